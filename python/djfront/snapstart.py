"""SnapStart hooks: what the app does before Lambda snapshots it and after a
restore, run in the gunicorn worker when hostforward asks.

Under SnapStart hostforward snapshots a booted app: the gunicorn master, its
worker and every Python object in them. Before the snapshot it POSTs to
``/djfront/snapstart/before-snapshot/`` and, in each restored copy, to
``/djfront/snapstart/after-restore/`` (``path("djfront/",
include("djfront.urls"))``), with the token it gave the app in
DJFRONT_SNAPSTART_TOKEN in the X-Djfront-Snapstart-Token header. Without that
variable (no SnapStart) the views answer 404; a wrong token gets 403.

Before the snapshot, in this order:

1. the functions registered with snapshot_restore_py's
   ``@register_before_snapshot`` (the decorators the managed runtime offers
   to Python handlers), in reverse order of registration, as the runtime
   runs them;
2. every database connection of the process is closed, those of every
   gunicorn thread included: Django's connections are per thread, and
   ``connections.close_all()`` closes only the calling thread's, so djfront
   records each connection as it is opened (the ``connection_created``
   signal, connected in ``DjfrontConfig.ready``) and closes the others with
   Django's ``inc_thread_sharing()``, which is safe here because hostforward
   sends no other request during the snapshot's init.

After a restore:

1. ``random`` is reseeded from the restored copy's ``os.urandom``;
2. the ``@register_after_restore`` functions, in order of registration.

A hook that raises makes the view answer 500 with the error, which
hostforward reports as Runtime.BeforeSnapshotError or
Runtime.AfterRestoreError. What still needs care is in docs/snapstart.md.
"""

import hashlib
import hmac
import logging
import os
import random
import threading
import weakref

from django.db import connections, transaction
from django.http import Http404, HttpResponseForbidden, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

try:
    import snapshot_restore_py
except ImportError:  # the hooks then are djfront's own
    snapshot_restore_py = None

TOKEN_ENV = "DJFRONT_SNAPSTART_TOKEN"
# The request header of the token, as WSGI names it in request.META.
TOKEN_META = "HTTP_X_DJFRONT_SNAPSTART_TOKEN"
# hostforward's tokens have 64 hex digits; a shorter one keeps the hooks off.
MIN_TOKEN_LENGTH = 32

logger = logging.getLogger("djfront.snapstart")

_opened = weakref.WeakSet()
_opened_lock = threading.Lock()


def track_connection(sender, connection, **kwargs):
    """connection_created receiver: remember connection, any thread's."""
    with _opened_lock:
        _opened.add(connection)


def close_all_connections():
    """Close every open database connection of this process, whichever
    thread opened it; return how many were open. Call it only while no
    other thread uses its connection."""
    connections.close_all()  # this thread's, tracked or not
    with _opened_lock:
        wrappers = list(_opened)
    closed = 0
    for wrapper in wrappers:
        if wrapper.connection is None:
            continue
        wrapper.inc_thread_sharing()
        try:
            wrapper.close()
        finally:
            wrapper.dec_thread_sharing()
        closed += 1
    return closed


def _registered(getter):
    return list(getattr(snapshot_restore_py, getter)()) if snapshot_restore_py else []


def before_snapshot():
    """Run the before-snapshot hooks (see the module doc); return what was done."""
    hooks = _registered("get_before_snapshot")
    for func, args, kwargs in reversed(hooks):
        func(*args, **kwargs)
    return {"hooks": len(hooks), "connections_closed": close_all_connections()}


def after_restore():
    """Run the after-restore hooks (see the module doc); return what was done."""
    random.seed()
    hooks = _registered("get_after_restore")
    for func, args, kwargs in hooks:
        func(*args, **kwargs)
    return {"hooks": len(hooks)}


def _token_matches(given, expected):
    digest = lambda s: hashlib.sha256(s.encode("utf-8", "surrogatepass")).digest()  # noqa: E731
    return hmac.compare_digest(digest(given), digest(expected))


PHASES = {"before-snapshot": before_snapshot, "after-restore": after_restore}


@csrf_exempt
@never_cache
@require_POST
@transaction.non_atomic_requests
def hook(request, phase):
    """Run phase's hooks for hostforward (see the module doc)."""
    expected = os.environ.get(TOKEN_ENV, "")
    if len(expected) < MIN_TOKEN_LENGTH or phase not in PHASES:
        raise Http404("no such SnapStart hook")
    if not _token_matches(request.META.get(TOKEN_META, ""), expected):
        return HttpResponseForbidden("wrong or missing X-Djfront-Snapstart-Token")
    try:
        done = PHASES[phase]()
    except Exception as exc:  # reported to hostforward, which fails the phase
        logger.exception("SnapStart %s hook failed", phase)
        return JsonResponse({"phase": phase, "error": f"{type(exc).__name__}: {exc}"}, status=500)
    logger.info("SnapStart %s hooks done: %s", phase, done)
    return JsonResponse(dict(done, phase=phase, pid=os.getpid()))
