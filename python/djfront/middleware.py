"""UpstreamVerifyMiddleware: the app answers only requests from hostforward.
ConflictRetryMiddleware: each view in one transaction, run again on a
conflict (Aurora DSQL)."""

import hashlib
import hmac

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS
from django.http import HttpResponseForbidden

from .transaction import retry_on_conflict

HEADER = "HTTP_X_UPSTREAM_VERIFY"  # X-Upstream-Verify in request.META


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

    Values are compared as SHA-256 digests with hmac.compare_digest, so
    neither their content nor their length shows in the timing.
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
        if request.path_info in self.exempt or self.verified(request):
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
    and a TemplateResponse renders after it. Views marked
    transaction.non_atomic_requests and async views run as usual, once.
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
        response = retry_on_conflict(view_func, using=DEFAULT_DB_ALIAS)(request, *view_args, **view_kwargs)
        if response is None:  # Django would call the view a second time
            name = f"{view_func.__module__}.{getattr(view_func, '__qualname__', view_func)}"
            raise ValueError(f"The view {name} didn't return an HttpResponse object. It returned None instead.")
        return response
