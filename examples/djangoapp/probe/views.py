"""Probe views: each answers with what Django made of the request, or with a
response shape that is hard to carry through a proxy (cookies with commas,
binary and compressed bodies, slow and large answers, redirects).

The URLs and JSON keys are a contract with djfront's end-to-end tests.
"""

import gzip
import hashlib
import json
import struct
import time
import zlib

from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt

# Forwarding headers whoami reports, by JSON key; absent headers are null.
_HEADERS = {
    "x_forwarded_for": "HTTP_X_FORWARDED_FOR",
    "x_forwarded_host": "HTTP_X_FORWARDED_HOST",
    "x_forwarded_proto": "HTTP_X_FORWARDED_PROTO",
    "x_forwarded_port": "HTTP_X_FORWARDED_PORT",
    "x_real_ip": "HTTP_X_REAL_IP",
    "true_client_ip": "HTTP_TRUE_CLIENT_IP",
    "forwarded": "HTTP_FORWARDED",
    "x_request_id": "HTTP_X_REQUEST_ID",
    # hostforward removes the origin secret; a value here is a leak.
    "x_origin_verify": "HTTP_X_ORIGIN_VERIFY",
    "cookie": "HTTP_COOKIE",
    "user_agent": "HTTP_USER_AGENT",
}

# Upper bounds for the query parameters of /slow/ and /big/.
_MAX_SLEEP_SECONDS = 300.0
_MAX_BIG_BYTES = 64 << 20


@csrf_exempt
def whoami(request, rest=""):
    """Report, as JSON, the request as Django sees it. Any method.

    host, secure, scheme and absolute go through get_host() and is_secure(), so
    they show the effect of ALLOWED_HOSTS, USE_X_FORWARDED_HOST and
    SECURE_PROXY_SSL_HEADER; a host Django refuses yields its 400.
    """
    digest = hashlib.sha256()
    body_len = 0
    # Read the body in chunks: no size limit, and any method works.
    for chunk in iter(lambda: request.read(64 << 10), b""):
        digest.update(chunk)
        body_len += len(chunk)

    info = {
        "host": request.get_host(),
        "secure": request.is_secure(),
        "scheme": request.scheme,
        "absolute": request.build_absolute_uri(),
        "path": request.path,
        "full_path": request.get_full_path(),
        "raw_query": request.META.get("QUERY_STRING", ""),
        "query": {key: request.GET.getlist(key) for key in request.GET},
        "method": request.method,
        "remote_addr": request.META.get("REMOTE_ADDR"),
        "cookies": dict(request.COOKIES),
        "body_len": body_len,
        "body_sha256": digest.hexdigest(),
    }
    for key, meta in _HEADERS.items():
        info[key] = request.META.get(meta)
    return JsonResponse(info, json_dumps_params={"sort_keys": True, "indent": 1})


def form(request):
    """GET: an HTML form with a CSRF token. POST (CSRF-checked): echo field name."""
    if request.method == "POST":
        return HttpResponse(
            f"posted: {request.POST.get('name', '')}",
            content_type="text/plain; charset=utf-8",
        )
    return render(request, "probe/form.html")


def cookies(request):
    """Set three cookies whose attributes a proxy must carry intact:

    dated    Expires date with a comma in it
    private  HttpOnly; Secure; SameSite=Lax
    scoped   Path=/x
    """
    response = HttpResponse("cookies set\n", content_type="text/plain; charset=utf-8")
    response.set_cookie("dated", "1", expires="Fri, 31 Dec 2099 23:59:59 GMT")
    response.set_cookie("private", "s3cret", httponly=True, secure=True, samesite="Lax")
    response.set_cookie("scoped", "x", path="/x")
    return response


def _png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width, height):
    """Return a width x height RGB PNG, a deterministic colour gradient."""
    rows = b"".join(
        b"\x00" + bytes(v for x in range(width) for v in (x * 255 // width, y * 255 // height, 0xA5))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(rows, 9))
        + _png_chunk(b"IEND", b"")
    )


_PNG = png(16, 16)


def binary(request):
    """A small PNG: bytes that are not valid UTF-8."""
    return HttpResponse(_PNG, content_type="image/png")


def gzipped(request):
    """JSON compressed with gzip, sent with Content-Encoding: gzip."""
    payload = json.dumps({"compressed": True, "text": "djfront " * 64}).encode()
    response = HttpResponse(gzip.compress(payload, mtime=0), content_type="application/json")
    response["Content-Encoding"] = "gzip"
    response["Vary"] = "Accept-Encoding"
    return response


def slow(request):
    """Sleep ?s= seconds (a float, default 1), then answer 200."""
    try:
        seconds = float(request.GET.get("s", "1"))
    except ValueError:
        return HttpResponseBadRequest("s: want a number of seconds\n")
    if not 0 <= seconds <= _MAX_SLEEP_SECONDS:
        return HttpResponseBadRequest(f"s: want 0 to {_MAX_SLEEP_SECONDS:g} seconds\n")
    time.sleep(seconds)
    return HttpResponse(f"slept {seconds:g}s\n", content_type="text/plain; charset=utf-8")


def big(request):
    """Answer ?bytes=N bytes of text/plain (a repeating line of 37 bytes)."""
    try:
        size = int(request.GET.get("bytes", "0"))
    except ValueError:
        return HttpResponseBadRequest("bytes: want a whole number\n")
    if not 0 <= size <= _MAX_BIG_BYTES:
        return HttpResponseBadRequest(f"bytes: want 0 to {_MAX_BIG_BYTES}\n")
    line = b"0123456789abcdefghijklmnopqrstuvwxyz\n"
    body = (line * (size // len(line) + 1))[:size]
    return HttpResponse(body, content_type="text/plain; charset=utf-8")


def redirect_to_whoami(request):
    """302 to the relative URL of whoami; Django writes Location as is."""
    return redirect("whoami")
