"""SnapStart hooks: what the app does before Lambda snapshots it and after a
restore, run in the gunicorn worker when hostforward asks.

Under SnapStart hostforward snapshots a booted app: the gunicorn master, its
worker and every Python object in them. Before the snapshot it POSTs to
``/djfront/snapstart/before-snapshot/`` and, in each restored copy, to
``/djfront/snapstart/after-restore/`` (the prefix is DJFRONT_SNAPSTART_PATH,
which hostforward sets), with the token it gave the app in
DJFRONT_SNAPSTART_TOKEN in the X-Djfront-Snapstart-Token header.
UpstreamVerifyMiddleware, first in MIDDLEWARE, answers them (answer_early)
before any other middleware can redirect them (SECURE_SSL_REDIRECT,
LoginRequiredMiddleware, PREPEND_WWW) and whatever the URLconf; without it the
views of ``path("djfront/", include("djfront.urls"))`` do. Without the token
variable (no SnapStart) they answer 404; a wrong token gets 403. Each phase
runs once in a process, after-restore only after before-snapshot (409
otherwise): a restored copy never snapshots again.

Before the snapshot, in this order:

1. the process is checked to be the only worker of its server (gunicorn
   ``--workers 1``; worker_count): the hook reaches one worker, and the
   others would keep their connections and state in the snapshot;
2. the functions registered with snapshot_restore_py's
   ``@register_before_snapshot`` (the decorators the managed runtime offers
   to Python handlers), in reverse order of registration, as the runtime
   runs them;
3. every database connection of the process is closed, those of every
   gunicorn thread included: Django's connections are per thread, and
   ``connections.close_all()`` closes only the calling thread's, so djfront
   records each connection as it is opened (the ``connection_created``
   signal, connected in ``DjfrontConfig.ready``) and closes the others with
   Django's ``inc_thread_sharing()``, which is safe here because hostforward
   sends no other request during the snapshot's init; then Django's
   connection pools (``OPTIONS["pool"]``, Django 5.1+) are closed, as a
   connection closed by Django returns to its pool, still open.

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
from django.http import Http404, HttpResponse, HttpResponseForbidden, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

try:
    import snapshot_restore_py
except ImportError:  # the hooks then are djfront's own
    snapshot_restore_py = None

TOKEN_ENV = "DJFRONT_SNAPSTART_TOKEN"
# Where hostforward POSTs the hooks (its UPSTREAM_SNAPSTART_PATH), and the
# default of both.
PATH_ENV = "DJFRONT_SNAPSTART_PATH"
DEFAULT_PATH = "/djfront/snapstart/"
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
    thread opened it, and every connection pool; return how many connections
    were open. Call it only while no other thread uses its connection."""
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
    close_pools()
    return closed


def close_pools():
    """Close the connection pool of every database that has one (Django
    5.1+'s psycopg pool, OPTIONS["pool"]): closing a pooled connection only
    returns it to the pool. The pool is made again at its next use."""
    for alias in connections:
        wrapper = connections[alias]
        if wrapper.settings_dict.get("OPTIONS", {}).get("pool") and hasattr(wrapper, "close_pool"):
            wrapper.close_pool()


def worker_count():
    """Return how many processes serve the app as this one does: its
    siblings (same parent, same command line, as the workers a gunicorn
    master forks), itself included; 1 where /proc cannot tell."""

    def read(pid, name):
        try:
            with open(f"/proc/{pid}/{name}", "rb") as f:
                return f.read()
        except OSError:
            return None

    ppid, cmdline = os.getppid(), read("self", "cmdline")
    if cmdline is None:
        return 1
    count = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        stat = read(pid, "stat")
        # The parent's pid is the second field after the command's ")".
        if stat and stat[stat.rfind(b")") + 2 :].split()[1:2] == [str(ppid).encode()]:
            count += read(pid, "cmdline") == cmdline
    return max(count, 1)


def _registered(getter):
    return list(getattr(snapshot_restore_py, getter)()) if snapshot_restore_py else []


def before_snapshot():
    """Run the before-snapshot hooks (see the module doc); return what was done."""
    workers = worker_count()
    if workers > 1:
        raise RuntimeError(
            f"{workers} workers serve the app, and the SnapStart hooks reach only the one that answers: the others "
            "would keep their database connections and state in the snapshot; run one worker (gunicorn --workers 1, "
            "threads are fine)"
        )
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
# What each phase needs to have run before it in this process.
_NEEDS = {"before-snapshot": None, "after-restore": "before-snapshot"}
# The phases run (or tried) in this process: each runs once per restore cycle.
_ran = set()
_ran_lock = threading.Lock()


def _claim(phase):
    """Record that phase runs now; False if it ran already or its turn has
    not come (after-restore before any before-snapshot)."""
    with _ran_lock:
        need = _NEEDS[phase]
        if phase in _ran or (need is not None and need not in _ran):
            return False
        _ran.add(phase)
        return True


def answer_early(request):
    """Return the hook's answer when request is a POST for one of
    hostforward's hooks (DJFRONT_SNAPSTART_PATH + phase + "/") and SnapStart
    is on, else None. UpstreamVerifyMiddleware calls it for requests it
    verified, before the rest of MIDDLEWARE and the URLconf."""
    if len(os.environ.get(TOKEN_ENV, "")) < MIN_TOKEN_LENGTH:
        return None
    prefix = os.environ.get(PATH_ENV) or DEFAULT_PATH
    phase = request.path.removeprefix(prefix).removesuffix("/")
    if phase not in PHASES or request.path != prefix + phase + "/":
        return None
    return hook(request, phase)


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
    if not _claim(phase):
        return HttpResponse(f"the {phase} hook ran already, or its turn has not come", status=409)
    try:
        done = PHASES[phase]()
    except Exception as exc:  # reported to hostforward, which fails the phase
        logger.exception("SnapStart %s hook failed", phase)
        return JsonResponse({"phase": phase, "error": f"{type(exc).__name__}: {exc}"}, status=500)
    logger.info("SnapStart %s hooks done: %s", phase, done)
    return JsonResponse(dict(done, phase=phase, pid=os.getpid()))
