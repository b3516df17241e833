"""The probe view: what Django made of the request, for `djfront check`.

Mounted with ``path("djfront/", include("djfront.urls"))``, it answers
``GET /djfront/probe/`` with JSON: the host Django's get_host() returns (or why
it refused it), request.scheme and is_secure(), the client address as Django
sees it (REMOTE_ADDR and X-Forwarded-For) and whether the request's Origin
would pass Django's CSRF origin check. `djfront check --probe-token T URL`
reads it to make its host, scheme and csrf checks exact instead of inferred.

It is off (404) unless DJFRONT_PROBE_TOKEN is set, in the settings or the
environment, to a token of at least 16 characters; a request must then carry
it in the X-Djfront-Probe-Token header (not Authorization: CloudFront strips
that from GET requests), compared in constant time, else 403. Answers are
never cached (Cache-Control: private, no-store). GET and HEAD only.
"""

import hashlib
import hmac
import logging
import os

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import Http404, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

# The request header of the token, as WSGI names it in request.META.
TOKEN_META = "HTTP_X_DJFRONT_PROBE_TOKEN"

# A shorter token keeps the probe off: it would be guessable.
MIN_TOKEN_LENGTH = 16

logger = logging.getLogger("djfront.probe")


def configured_token():
    """Return DJFRONT_PROBE_TOKEN (settings first, then the environment), or
    "" when the probe is off."""
    token = getattr(settings, "DJFRONT_PROBE_TOKEN", None)
    if token is None:
        token = os.environ.get("DJFRONT_PROBE_TOKEN", "")
    token = (token or "").strip()
    if token and len(token) < MIN_TOKEN_LENGTH:
        logger.warning(
            "DJFRONT_PROBE_TOKEN has %d characters, fewer than %d: the probe stays off",
            len(token), MIN_TOKEN_LENGTH,
        )
        return ""
    return token


def token_matches(given, expected):
    """Compare the tokens in constant time: as SHA-256 digests, so neither
    their content nor their length shows in the timing."""
    digest = lambda s: hashlib.sha256(s.encode("utf-8", "surrogatepass")).digest()  # noqa: E731
    return hmac.compare_digest(digest(given), digest(expected))


def _csrf_origin(request, host_error):
    """Return (ok, reason): would CsrfViewMiddleware accept this Origin?"""
    origin = request.META.get("HTTP_ORIGIN")
    if origin is None:
        return False, "no Origin header was sent"
    if host_error:
        return False, "Django refused the host, so no origin matches"
    # The middleware's own check (Django >= 4.0): Origin against
    # scheme://get_host() and CSRF_TRUSTED_ORIGINS.
    if CsrfViewMiddleware(lambda request: None)._origin_verified(request):
        return True, None
    expected = f"{request.scheme}://{request.get_host()}"
    return False, f"Origin {origin!r} is neither {expected!r} nor in CSRF_TRUSTED_ORIGINS"


@never_cache
@require_safe
def probe(request):
    """Answer with what Django saw of this request (see the module doc)."""
    expected = configured_token()
    if not expected:
        raise Http404("the djfront probe is off")
    if not token_matches(request.META.get(TOKEN_META, ""), expected):
        return JsonResponse({"error": "probe token refused"}, status=403)
    host, host_error = None, None
    try:
        host = request.get_host()
    except DisallowedHost as e:
        host_error = str(e)
    csrf_ok, csrf_reason = _csrf_origin(request, host_error)
    return JsonResponse(
        {
            "djfront_probe": 1,
            "host": host,
            "host_error": host_error,
            "raw_host": request._get_raw_host(),
            "scheme": request.scheme,
            "is_secure": request.is_secure(),
            "remote_addr": request.META.get("REMOTE_ADDR"),
            "x_forwarded_for": request.META.get("HTTP_X_FORWARDED_FOR"),
            "origin": request.META.get("HTTP_ORIGIN"),
            "csrf_origin_ok": csrf_ok,
            "csrf_reason": csrf_reason,
        },
        json_dumps_params={"sort_keys": True},
    )
