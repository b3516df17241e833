"""Against a real PostgreSQL: the connection djfront.database configures
survives a connection that died between two requests (as one may while
Lambda keeps the execution environment frozen), and retry_on_conflict and
ConflictRetryMiddleware run a transaction again on a real SQLSTATE 40001.

go test ./python starts PostgreSQL and passes its URL as
DJFRONT_TEST_POSTGRES_URL (tests/settings.py makes it the "postgres"
alias); without it the tests skip, or fail when CI is set. Requests go
through Django's WSGIHandler, as under gunicorn, so Django's per-request
connection handling (request_started, request_finished) runs as deployed.
"""

import io
import unittest

from django.core.handlers.wsgi import WSGIHandler
from django.db import DatabaseError, IntegrityError, connections, transaction
from django.http import HttpResponse
from django.test.utils import override_settings
from django.urls import path

from djfront.transaction import retry_on_conflict

from . import need

URL = "DJFRONT_TEST_POSTGRES_URL"
ALIAS = "postgres"
TABLE = "djfront_test_runs"


def setUpModule():
    need.variable(URL, "go test ./python starts PostgreSQL and sets it (tests/settings.py)")


def backend_pid(request):
    with connections[ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return HttpResponse(str(cursor.fetchone()[0]))


class Runs:
    """A function that records its run in TABLE and then fails with the
    SQLSTATE codes[n - 1] on its nth run (None: returns n)."""

    def __init__(self, *codes, using=ALIAS):
        self.codes, self.using, self.count = codes, using, 0

    def __call__(self, *args):
        self.count += 1
        code = self.codes[min(self.count, len(self.codes)) - 1]
        with connections[self.using].cursor() as cursor:
            cursor.execute(f"INSERT INTO {TABLE} (run) VALUES (%s)", [self.count])
            if code:
                # A conflict as the server reports it (codes are the tests' own constants).
                cursor.execute(f"DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '{code}'; END $$")
        return self.count


runs = Runs()  # the views'; each test sets its codes


def runs_view(request):
    return HttpResponse(str(runs(request)))


@transaction.non_atomic_requests
def runs_view_non_atomic(request):
    return runs_view(request)


urlpatterns = [path("pid", backend_pid), path("runs", runs_view), path("runs-non-atomic", runs_view_non_atomic)]


def request(handler, path_info):
    """Send handler one request, as a WSGI server would; return status and body."""
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": path_info, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "www.example.com", "SERVER_PORT": "443", "HTTP_HOST": "www.example.com",
        "HTTP_X_UPSTREAM_VERIFY": "new-credential", "wsgi.input": io.BytesIO(), "wsgi.url_scheme": "https",
    }
    status = []
    response = handler(environ, lambda s, headers, exc_info=None: status.append(s))
    try:
        body = b"".join(response)
    finally:
        response.close()  # request_finished, as the server's end of the response
    return int(status[0].split()[0]), body.decode()


def terminate(pid):
    """End the server process of pid's connection (pg_terminate_backend),
    waiting until it is gone, from a connection of its own."""
    other = connections.create_connection(ALIAS)
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
            if cursor.fetchone()[0] is not True:
                raise AssertionError(f"backend {pid} still there")
    finally:
        other.close()


class ConnectionTest(unittest.TestCase):
    def tearDown(self):
        connections[ALIAS].close()
        connections[ALIAS].settings_dict["CONN_HEALTH_CHECKS"] = True

    def test_settings(self):
        got = {k: connections[ALIAS].settings_dict[k] for k in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS")}
        self.assertEqual(got, {"CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True})

    def test_between_requests(self):
        cases = [
            # name, kill the connection between the requests, health checks, status of the second request
            ("kept from one request to the next", False, True, 200),
            ("died while frozen: replaced", True, True, 200),
            ("without health checks the request fails", True, False, 500),
        ]
        for name, kill, health_checks, want in cases:
            with self.subTest(name), override_settings(ROOT_URLCONF=__name__):
                connections[ALIAS].close()
                connections[ALIAS].settings_dict["CONN_HEALTH_CHECKS"] = health_checks
                handler = WSGIHandler()
                status, first = request(handler, "/pid")
                self.assertEqual(status, 200, first)
                if kill:
                    terminate(int(first))
                if want == 500:
                    with self.assertLogs("django.request", "ERROR"):
                        status, second = request(handler, "/pid")
                else:
                    status, second = request(handler, "/pid")
                self.assertEqual(status, want, second)
                if want == 200:
                    same = first == second
                    self.assertEqual(same, not kill, f"backend {first}, then {second}")


class TableTest(unittest.TestCase):
    def setUp(self):
        with connections[ALIAS].cursor() as cursor:
            cursor.execute(f"CREATE TABLE {TABLE} (id serial PRIMARY KEY, run integer NOT NULL)")

    def tearDown(self):
        with connections[ALIAS].cursor() as cursor:
            cursor.execute(f"DROP TABLE {TABLE}")
        connections[ALIAS].close()

    def committed(self):
        with connections[ALIAS].cursor() as cursor:
            cursor.execute(f"SELECT run FROM {TABLE} ORDER BY id")
            return [row[0] for row in cursor.fetchall()]


class RetryOnConflictTest(TableTest):
    def test_runs(self):
        cases = [
            # name, codes, attempts, in an atomic block, want runs, want error, want committed runs
            ("conflicts twice, then commits", ("40001", "40001", None), 4, False, 3, None, [3]),
            ("DSQL's code", ("OC000", None), 4, False, 2, None, [2]),
            ("conflicts every time", ("40001",), 4, False, 4, DatabaseError, []),
            ("attempts", ("40001",), 2, False, 2, DatabaseError, []),
            ("other errors at once", ("23505", None), 4, False, 1, IntegrityError, []),
            ("in an atomic block, once", ("40001", None), 4, True, 1, DatabaseError, []),
        ]
        for name, codes, attempts, nested, want_runs, want_error, want_committed in cases:
            with self.subTest(name):
                with connections[ALIAS].cursor() as cursor:
                    cursor.execute(f"TRUNCATE {TABLE}")
                func = Runs(*codes)
                decorated = retry_on_conflict(func, attempts=attempts, using=ALIAS)
                try:
                    if nested:
                        with transaction.atomic(using=ALIAS):
                            got = decorated()
                    else:
                        got = decorated()
                except Exception as err:  # noqa: BLE001  compared below
                    got = err
                if want_error:
                    self.assertIsInstance(got, want_error)
                else:
                    self.assertEqual(got, want_runs)
                self.assertEqual(func.count, want_runs)
                self.assertEqual(self.committed(), want_committed)


class ConflictRetryMiddlewareTest(TableTest):
    def test_views(self):
        cases = [
            ("conflicts twice, then answers", "/runs", ("40001", "40001", None), 200, [3]),
            ("conflicts every time", "/runs", ("40001",), 500, []),
            ("non_atomic_requests: once, as Django runs it", "/runs-non-atomic", ("40001", None), 500, [1]),
        ]
        # The middleware retries the default database's transactions: for
        # this test, the default database is PostgreSQL.
        middleware = ["djfront.middleware.UpstreamVerifyMiddleware", "djfront.middleware.ConflictRetryMiddleware"]
        default = connections["default"]
        connections["default"] = connections[ALIAS]
        try:
            with override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=middleware):
                for name, path_info, codes, want_status, want_committed in cases:
                    with self.subTest(name):
                        self.check_view(path_info, codes, want_status, want_committed)
        finally:
            connections["default"] = default

    def check_view(self, path_info, codes, want_status, want_committed):
        with connections[ALIAS].cursor() as cursor:
            cursor.execute(f"TRUNCATE {TABLE}")
        runs.__init__(*codes, using="default")
        if want_status == 500:
            with self.assertLogs("django.request", "ERROR"):
                status, body = request(WSGIHandler(), path_info)
        else:
            status, body = request(WSGIHandler(), path_info)
        self.assertEqual(status, want_status, body)
        self.assertEqual(self.committed(), want_committed)
