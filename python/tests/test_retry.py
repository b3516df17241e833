"""What ConflictRetryMiddleware runs a second time.

A view run again after a 40001 must see the request the first run saw: what
the first run consumed from it (the body stream, an upload's file position)
is given back, and what it changed on it (the session) is undone, so a view
that is correct when run once stays correct when retried. That holds too
when a middleware before it (as CsrfViewMiddleware does for a form post)
parsed the body already.
Against a real PostgreSQL (DJFRONT_TEST_POSTGRES_URL), like test_postgres.
"""

import io
import json

from django.core.handlers.wsgi import WSGIHandler
from django.db import connections
from django.http import HttpResponse
from django.test.utils import override_settings
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from . import need
from .test_postgres import ALIAS, TABLE, URL, TableTest

CONFLICT = "DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$"


def setUpModule():
    need.variable(URL, "go test ./python starts PostgreSQL and sets it (tests/settings.py)")


class Once:
    """Fails the first run of the view with SQLSTATE 40001, after its insert."""

    count = 0

    def run(self, value):
        self.count += 1
        with connections["default"].cursor() as cursor:
            cursor.execute(f"INSERT INTO {TABLE} (run) VALUES (%s)", [value])
            if self.count == 1:
                cursor.execute(CONFLICT)


once = Once()


@csrf_exempt
def json_stream_view(request):
    # Reads the JSON body from the request's stream, as json.load(request)
    # or a streaming parser does.
    doc = json.load(request)
    once.run(doc["n"])
    return HttpResponse("ok")


@csrf_exempt
def upload_view(request):
    data = request.FILES["f"].read()
    once.run(len(data))
    return HttpResponse(str(len(data)))


@csrf_exempt
def session_view(request):
    # Counts this client's posts in its session, and records the count.
    n = request.session.get("n", 0) + 1
    request.session["n"] = n
    once.run(n)
    return HttpResponse(str(n))


urlpatterns = [path("json", json_stream_view), path("upload", upload_view), path("session", session_view)]


class ParseFirstMiddleware:
    """Reads request.POST before the view, as CsrfViewMiddleware does for a
    form post without the token header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, *_):
        request.POST  # noqa: B018


def post(path_info, body, content_type):
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": path_info, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "www.example.com", "SERVER_PORT": "443", "HTTP_HOST": "www.example.com",
        "HTTP_X_UPSTREAM_VERIFY": "new-credential", "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "https",
        "CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body)),
    }
    status = []
    response = WSGIHandler()(environ, lambda s, headers, exc_info=None: status.append(s))
    try:
        out = b"".join(response)
    finally:
        response.close()
    return int(status[0].split()[0]), out.decode()


def multipart(name, content):
    boundary = "djfrontboundary"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"a.bin\"\r\n"
        f"Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


class RetriedRequestTest(TableTest):
    """A view retried after one conflict must see the request it saw the
    first time: the second run answers as a single run would and commits
    the same value."""

    def test_retried_view_sees_the_same_request(self):
        upload, upload_type = multipart("f", b"x" * 5)
        cases = [
            # name, path, body, content type, want committed
            ("JSON read from the stream", "/json", b'{"n": 7}', "application/json", [7]),
            ("an uploaded file read", "/upload", upload, upload_type, [5]),
            ("the session changed", "/session", b"", "text/plain", [1]),
            ("an uploaded file parsed before the view", "/upload", upload, upload_type, [5], True),
        ]
        middleware = ["djfront.middleware.UpstreamVerifyMiddleware", "django.contrib.sessions.middleware.SessionMiddleware",
                      "djfront.middleware.ConflictRetryMiddleware"]
        parse_first = [*middleware[:-1], f"{__name__}.ParseFirstMiddleware", middleware[-1]]
        default = connections["default"]
        connections["default"] = connections[ALIAS]
        try:
            with override_settings(ROOT_URLCONF=__name__, SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies"):
                for name, path_info, body, content_type, want, *parsed in cases:
                    with self.subTest(name), override_settings(MIDDLEWARE=parse_first if parsed else middleware):
                        with connections[ALIAS].cursor() as cursor:
                            cursor.execute(f"TRUNCATE {TABLE}")
                        once.count = 0
                        with self.assertNoLogs("django.request", "ERROR"):
                            status, out = post(path_info, body, content_type)
                        self.assertEqual((status, self.committed()), (200, want), out)
                        self.assertEqual(once.count, 2, "runs")
        finally:
            connections["default"] = default
