"""Review r-17: ConflictRetryMiddleware and ATOMIC_REQUESTS of another database.

Django wraps a view in transaction.atomic for every database with
ATOMIC_REQUESTS (BaseHandler.make_view_atomic), but only when no
process_view answered. ConflictRetryMiddleware answers from process_view,
calling the bare view, so a second database's ATOMIC_REQUESTS no longer
holds: a view that writes there and then fails keeps its write. The
middleware's docstring says it replaces ATOMIC_REQUESTS "for the default
database". Against a real PostgreSQL (DJFRONT_TEST_POSTGRES_URL, the
"postgres" alias), the default database being SQLite.
"""

import io
import unittest

from django.core.handlers.wsgi import WSGIHandler
from django.db import connections
from django.test.utils import override_settings
from django.urls import path

from . import need
from .test_postgres import ALIAS, TABLE, URL


def setUpModule():
    need.variable(URL, "go test ./python starts PostgreSQL and sets it (tests/settings.py)")


def write_then_fail(request):
    with connections[ALIAS].cursor() as cursor:
        cursor.execute(f"INSERT INTO {TABLE} (run) VALUES (1)")
    raise ValueError("the view fails after its write")


urlpatterns = [path("fail", write_then_fail)]


def post(path_info):
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": path_info, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "www.example.com", "SERVER_PORT": "443", "HTTP_HOST": "www.example.com",
        "HTTP_X_UPSTREAM_VERIFY": "new-credential", "wsgi.input": io.BytesIO(), "wsgi.url_scheme": "https",
    }
    status = []
    response = WSGIHandler()(environ, lambda s, headers, exc_info=None: status.append(s))
    try:
        b"".join(response)
    finally:
        response.close()
    return int(status[0].split()[0])


class OtherDatabaseAtomicRequestsTest(unittest.TestCase):
    def setUp(self):
        with connections[ALIAS].cursor() as cursor:
            cursor.execute(f"CREATE TABLE {TABLE} (id serial PRIMARY KEY, run integer NOT NULL)")
        connections[ALIAS].settings_dict["ATOMIC_REQUESTS"] = True

    def tearDown(self):
        connections[ALIAS].settings_dict["ATOMIC_REQUESTS"] = False
        with connections[ALIAS].cursor() as cursor:
            cursor.execute(f"DROP TABLE {TABLE}")
        connections[ALIAS].close()

    def test_failed_view_rolls_back_the_other_database(self):
        cases = [
            ("without the middleware", ["djfront.middleware.UpstreamVerifyMiddleware"]),
            ("with ConflictRetryMiddleware",
             ["djfront.middleware.UpstreamVerifyMiddleware", "djfront.middleware.ConflictRetryMiddleware"]),
        ]
        for name, middleware in cases:
            with self.subTest(name), override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=middleware):
                with connections[ALIAS].cursor() as cursor:
                    cursor.execute(f"TRUNCATE {TABLE}")
                with self.assertLogs("django.request", "ERROR"):
                    self.assertEqual(post("/fail"), 500)
                with connections[ALIAS].cursor() as cursor:
                    cursor.execute(f"SELECT run FROM {TABLE}")
                    got = [row[0] for row in cursor.fetchall()]
                self.assertEqual(got, [], "the failed view's write to the ATOMIC_REQUESTS database")
