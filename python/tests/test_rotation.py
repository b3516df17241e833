"""The aurora-serverless database after RDS rotates its password.

The template gives the app DATABASE_PASSWORD_SECRET_ARN, RDS's managed
master user secret, which RDS rotates (every 7 days by default), and
conn_max_age=0, so every request opens a new connection; one with the old
password fails with SQLSTATE 28P01. djfront.settings then selects the
djfront.postgresql backend, which reads the secret again and retries the
connection once, rather than wait for a new execution environment
(docs/database.md). Against a real PostgreSQL (DJFRONT_TEST_POSTGRES_URL)
and moto's Secrets Manager (AWS_ENDPOINT_URL), like test_postgres and
test_secret.
"""

import json
import unittest
import uuid
from contextlib import nullcontext

import boto3
from django.core.handlers.wsgi import WSGIHandler
from django.db import connections
from django.db.utils import ConnectionHandler, OperationalError
from django.http import HttpResponse
from django.test.utils import override_settings
from django.urls import path

from djfront import settings as djfront_settings
from djfront.database import parse

from . import need
from .test_postgres import URL, request

REGION = "us-east-1"


def select_one(_request):
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        return HttpResponse(str(cursor.fetchone()[0]))


urlpatterns = [path("one", select_one)]


class PasswordRotationTest(unittest.TestCase):
    def test_request_after_rotation(self):
        url = need.variable(URL, "go test ./python starts PostgreSQL and sets it (tests/settings.py)")
        endpoint = need.variable("AWS_ENDPOINT_URL", "go test ./python starts moto and sets it")
        db = parse(url)
        client = boto3.client("secretsmanager", region_name=REGION, endpoint_url=endpoint)
        arn = client.create_secret(
            Name=f"djfront-test-rotated-{uuid.uuid4().hex}", SecretString=json.dumps({"username": db["USER"], "password": db["PASSWORD"]}),
        )["ARN"]
        # The template's aurora-serverless form: no password in the URL, conn_max_age=0.
        port = f":{db['PORT']}" if db["PORT"] else ""
        environ = {
            "AWS_ENDPOINT_URL": endpoint, "AWS_REGION": REGION, "DATABASE_PASSWORD_SECRET_ARN": arn,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}{port}/{db['NAME']}?conn_max_age=0",
        }
        handler = ConnectionHandler({"default": djfront_settings.database(environ)})
        saved = connections._connections.default if hasattr(connections._connections, "default") else None
        connections._connections.default = handler["default"]
        rotated = db["PASSWORD"] + "-rotated"
        try:
            with override_settings(ROOT_URLCONF=__name__):
                self.assertEqual(request(WSGIHandler(), "/one"), (200, "1"), "before the rotation")
                # RDS's managed rotation: the role's password, then the secret.
                admin = ConnectionHandler({"default": db})["default"]
                with admin.cursor() as cursor:
                    cursor.execute(f"ALTER ROLE CURRENT_USER PASSWORD '{rotated}'")
                admin.close()
                client.put_secret_value(
                    SecretId=arn, SecretString=json.dumps({"username": db["USER"], "password": rotated}),
                )
                with self.assertNoLogs("django.request", "ERROR"), \
                        self.assertLogs("djfront.postgresql", "WARNING") as logs:
                    got = request(WSGIHandler(), "/one")
                self.assertEqual(got, (200, "1"), "after the rotation")
                for secret in (db["PASSWORD"], rotated):
                    self.assertNotIn(secret, "\n".join(logs.output), "a password in the log")
        finally:
            connections["default"].close()
            if saved is None:
                del connections._connections.default
            else:
                connections._connections.default = saved
            back = ConnectionHandler({"default": {**db, "PASSWORD": rotated}})["default"]
            with back.cursor() as cursor:
                cursor.execute(f"ALTER ROLE CURRENT_USER PASSWORD '{db['PASSWORD']}'")
            back.close()


class Source:
    """A PASSWORD_SOURCE that returns password and counts its reads."""

    def __init__(self, password):
        self.password, self.reads = password, 0

    def __call__(self):
        self.reads += 1
        return self.password


class RefusedConnectionTest(unittest.TestCase):
    """djfront.postgresql reads the password again only for a refused
    password, once per connection, and retries only with another one."""

    def test_refused(self):
        db = parse(need.variable(URL, "go test ./python starts PostgreSQL and sets it (tests/settings.py)"))
        wrong = db["PASSWORD"] + "-wrong"
        cases = [
            # name, password tried, the source's password, want connected, want reads
            ("refused, the source has another: retried", wrong, db["PASSWORD"], True, 1),
            ("refused, the source has the same: raised", wrong, wrong, False, 1),
            ("not a password problem (nothing listens): no read", wrong, db["PASSWORD"], False, 0),
        ]
        for name, tried, current, want_connected, want_reads in cases:
            with self.subTest(name):
                source = Source(current)
                port = db["PORT"] if want_reads else "1"
                entry = {**db, "ENGINE": djfront_settings.ROTATED_PASSWORD_ENGINE, "PASSWORD": tried,
                         "PORT": port, "PASSWORD_SOURCE": source}
                conn = ConnectionHandler({"default": entry})["default"]
                with self.assertLogs("djfront.postgresql", "WARNING") if want_connected else nullcontext():
                    try:
                        conn.ensure_connection()
                        connected = True
                    except OperationalError:
                        connected = False
                conn.close()
                self.assertEqual((connected, source.reads), (want_connected, want_reads))
