"""ConflictRetryMiddleware and ATOMIC_REQUESTS of another database.

Django wraps a view in transaction.atomic for every database with
ATOMIC_REQUESTS (BaseHandler.make_view_atomic), but only when no
process_view answered. ConflictRetryMiddleware answers from process_view,
so it wraps the view in those transactions itself: a view that writes to a
second database with ATOMIC_REQUESTS and then fails loses its write, with
the middleware as without it. Against a real PostgreSQL
(DJFRONT_TEST_POSTGRES_URL, the "postgres" alias), the default database
being SQLite.
"""

from django.core.handlers.wsgi import WSGIHandler
from django.db import connections
from django.test.utils import override_settings
from django.urls import path

from . import need
from .test_postgres import ALIAS, TABLE, URL, TableTest, request


def setUpModule():
    need.variable(URL, "go test ./python starts PostgreSQL and sets it (tests/settings.py)")


def write_then_fail(_request):
    with connections[ALIAS].cursor() as cursor:
        cursor.execute(f"INSERT INTO {TABLE} (run) VALUES (1)")
    raise ValueError("the view fails after its write")


urlpatterns = [path("fail", write_then_fail)]


class OtherDatabaseAtomicRequestsTest(TableTest):
    def setUp(self):
        super().setUp()
        connections[ALIAS].settings_dict["ATOMIC_REQUESTS"] = True

    def tearDown(self):
        connections[ALIAS].settings_dict["ATOMIC_REQUESTS"] = False
        super().tearDown()

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
                    status, _ = request(WSGIHandler(), "/fail")
                self.assertEqual(status, 500)
                self.assertEqual(self.committed(), [], "the failed view's write to the ATOMIC_REQUESTS database")
