"""UpstreamVerifyMiddleware: the app answers only requests from hostforward.
ConflictRetryMiddleware: each view in one transaction, run again on a
conflict (Aurora DSQL)."""

import copy
import hashlib
import hmac
import io
import ipaddress

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed, RequestDataTooBig
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.http import HttpResponseForbidden
from django.utils.datastructures import MultiValueDict

from . import snapstart
from .transaction import retry_on_conflict

HEADER = "HTTP_X_UPSTREAM_VERIFY"  # X-Upstream-Verify in request.META
# The viewer's address as hostforward checked it (X-Real-IP: one bare IP,
# from CloudFront's True-Client-IP or API Gateway's sourceIp).
REAL_IP = "HTTP_X_REAL_IP"
# Where UpstreamVerifyMiddleware keeps REMOTE_ADDR as the server gave it
# (hostforward's loopback address) when it replaces it.
PEER_ADDR = "DJFRONT_PEER_ADDR"


def _digest(value):
    return hashlib.sha256(value.encode("utf-8", "surrogateescape")).digest()


class UpstreamVerifyMiddleware:
    """Refuse, with 403, every request whose X-Upstream-Verify header does not
    equal one of ``settings.DJFRONT_UPSTREAM_SECRETS``.

    hostforward sends its UPSTREAM_VERIFY_SECRET on every request it forwards
    and drops any copy a client sent, so only requests that came through the
    distribution and hostforward carry it. Put this middleware first in
    MIDDLEWARE: the proxy headers (X-Forwarded-Host, -Proto) that Django
    trusts are checked by hostforward, and nothing else may look at a
    request that did not pass it.

    Settings:

    - ``DJFRONT_UPSTREAM_SECRETS``: a list of accepted values, two while you
      rotate (add the new one, switch hostforward, remove the old; by ARN,
      djfront.settings lists the secret's current, pending and previous
      values). Empty or
      unset: the middleware removes itself (development; ``check --deploy``
      warns).
    - ``DJFRONT_UPSTREAM_EXEMPT_PATHS``: exact paths answered without the
      header, for a load balancer's health check (for example
      ``["/healthz"]``). Default none.

    It answers hostforward's SnapStart hooks itself (djfront.snapstart's
    answer_early), before the rest of MIDDLEWARE and the URLconf.

    Values are compared as SHA-256 digests with hmac.compare_digest, so
    neither their content nor their length shows in the timing.

    On a verified request, REMOTE_ADDR becomes the viewer's address that
    hostforward restored and sent as X-Real-IP (it drops a client's copy
    of that header), and the server's REMOTE_ADDR (hostforward's loopback
    address) moves to ``DJFRONT_PEER_ADDR``. Any other request, an exempt
    path's without the header included, keeps REMOTE_ADDR as the server
    set it; so does one whose X-Real-IP is not one IP address.
    """

    def __init__(self, get_response):
        secrets = getattr(settings, "DJFRONT_UPSTREAM_SECRETS", None) or []
        if isinstance(secrets, str) or not all(isinstance(s, str) and s for s in secrets):
            raise ImproperlyConfigured(
                "DJFRONT_UPSTREAM_SECRETS must be a list of non-empty strings "
                "(the values of hostforward's UPSTREAM_VERIFY_SECRET)"
            )
        if not secrets:
            raise MiddlewareNotUsed("DJFRONT_UPSTREAM_SECRETS is empty: requests are not checked")
        exempt = getattr(settings, "DJFRONT_UPSTREAM_EXEMPT_PATHS", None) or []
        if isinstance(exempt, str) or not all(isinstance(p, str) and p.startswith("/") for p in exempt):
            raise ImproperlyConfigured(
                "DJFRONT_UPSTREAM_EXEMPT_PATHS must be a list of paths starting with /, like ['/healthz']"
            )
        self.get_response = get_response
        self.digests = [_digest(s) for s in secrets]
        self.exempt = frozenset(exempt)

    def __call__(self, request):
        if self.verified(request):
            restore_client_address(request.META)
            # hostforward's SnapStart hooks, before anything can redirect them.
            return snapstart.answer_early(request) or self.get_response(request)
        if request.path_info in self.exempt:
            return self.get_response(request)
        return HttpResponseForbidden(
            "403 Forbidden: this app answers only requests forwarded by djfront's hostforward\n",
            content_type="text/plain; charset=utf-8",
        )

    def verified(self, request):
        got = _digest(request.META.get(HEADER, ""))
        ok = False
        for d in self.digests:
            ok |= hmac.compare_digest(got, d)
        return ok


def restore_client_address(meta):
    """Set meta["REMOTE_ADDR"] to the address in X-Real-IP, keeping the old
    value as meta[PEER_ADDR]; leave meta as it is when X-Real-IP is not one
    IPv4 or IPv6 address. Only for a request verified as hostforward's."""
    try:
        addr = ipaddress.ip_address(meta.get(REAL_IP, "").strip())
    except ValueError:
        return
    if getattr(addr, "scope_id", None):  # a zone is free text; hostforward sends none
        return
    meta[PEER_ADDR] = meta.get("REMOTE_ADDR", "")
    meta["REMOTE_ADDR"] = str(addr)


class ConflictRetryMiddleware:
    """Run each view in one transaction of the default database, and run it
    again when that transaction fails with a conflict, as
    djfront.transaction.retry_on_conflict does: what Aurora DSQL's optimistic
    concurrency control asks of a client.

    It must be last in MIDDLEWARE (ImproperlyConfigured otherwise): it calls
    the view from process_view, so the process_view hooks of middleware
    listed after it, such as CsrfViewMiddleware's check, would not run.
    process_exception hooks do not see the view's errors. Like
    ATOMIC_REQUESTS (which it replaces for the default database), it makes
    each view one transaction, subject to DSQL's per-transaction limits,
    and a TemplateResponse renders after it; every other database with
    ATOMIC_REQUESTS gets its transaction around each run, as Django's own
    handler would give it. Views marked transaction.non_atomic_requests
    (for the default database) and async views run as usual, once.

    Each run sees the request as the first did (rewind()): the body is read
    into memory before the first run (request.body, so within
    DATA_UPLOAD_MAX_MEMORY_SIZE), and each run gets a fresh stream, a fresh
    request.POST and request.FILES, the session as its store holds it, and
    the request's other attributes as they were. What a run did outside the
    database and the request (mail, S3, a call to another service, a cache
    write) is not undone: do it in transaction.on_commit().
    """

    def __init__(self, get_response):
        name = f"{type(self).__module__}.{type(self).__qualname__}"
        if list(settings.MIDDLEWARE)[-1:] != [name]:
            raise ImproperlyConfigured(
                f"{name} must be last in MIDDLEWARE: it calls the view itself, so the process_view "
                "of middleware after it (CsrfViewMiddleware's check) would not run"
            )
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if DEFAULT_DB_ALIAS in getattr(view_func, "_non_atomic_requests", ()) or iscoroutinefunction(view_func):
            return None
        first = snapshot(request)
        runs = []

        def run(*args, **kwargs):
            if runs:
                rewind(request, first)
            runs.append(True)
            return view_func(*args, **kwargs)

        view = _atomic_elsewhere(run, getattr(view_func, "_non_atomic_requests", ()))
        response = retry_on_conflict(view, using=DEFAULT_DB_ALIAS)(request, *view_args, **view_kwargs)
        if response is None:  # Django would call the view a second time
            name = f"{view_func.__module__}.{getattr(view_func, '__qualname__', view_func)}"
            raise ValueError(f"The view {name} didn't return an HttpResponse object. It returned None instead.")
        return response


def _atomic_elsewhere(view, non_atomic):
    """Return view in transaction.atomic() for every database but the
    default one with ATOMIC_REQUESTS, unless non_atomic names it (Django's
    BaseHandler.make_view_atomic, which never runs when process_view
    answers)."""
    for alias, settings_dict in connections.settings.items():
        if alias != DEFAULT_DB_ALIAS and settings_dict.get("ATOMIC_REQUESTS") and alias not in non_atomic:
            view = transaction.atomic(using=alias)(view)
    return view


def snapshot(request):
    """Read request's body into memory, when nothing has read it yet, and
    return what rewind() restores: its attributes and its session as they
    are. A body above DATA_UPLOAD_MAX_MEMORY_SIZE is left unread
    (RequestDataTooBig is the view's to meet, as without this middleware):
    another run then gets the POST and FILES the first parsed, its uploads
    rewound, but not the stream."""
    if not request._read_started and not hasattr(request, "_body"):
        try:
            request.body  # noqa: B018  caches it as request._body
        except RequestDataTooBig:
            pass
    session = getattr(request, "session", None)
    loaded = getattr(session, "_session_cache", None)
    return {
        "attributes": dict(vars(request)),
        "session_key": getattr(session, "session_key", None),
        # What middleware before the view put in a loaded session.
        "session": None if loaded is None else (copy.deepcopy(loaded), session.modified, session.accessed),
    }


def rewind(request, first):
    """Give request back the state snapshot() recorded in first, for another
    run of the view."""
    parsed = {k: v for k, v in vars(request).items() if k in ("_post", "_files", "_stream", "_read_started")}
    vars(request).clear()
    vars(request).update(first["attributes"])
    if hasattr(request, "_body"):
        # A fresh stream, and POST and FILES parsed from it again.
        request._stream, request._read_started = io.BytesIO(request._body), False
        for name in ("_post", "_files"):
            vars(request).pop(name, None)
    else:
        vars(request).update(parsed)
        for _, uploads in getattr(request, "_files", MultiValueDict()).lists():
            for upload in uploads:
                upload.seek(0)
    if "session" in first["attributes"]:
        request.session = _session(first["attributes"]["session"], first)
    if "_messages" in first["attributes"]:
        from django.contrib.messages.storage import default_storage

        request._messages = default_storage(request)


def _session(session, first):
    """Return a new session of session's class as snapshot() found it: as its
    store holds it (a failed run's saves to the database were rolled back
    with the run), with what was loaded into it before the view."""
    fresh = type(session)(first["session_key"])
    if first["session"] is not None:
        data, fresh.modified, fresh.accessed = first["session"]
        fresh._session_cache = copy.deepcopy(data)
    return fresh
