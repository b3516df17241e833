"""Aurora DSQL as far as it goes without a cluster, through aurora-dsql-django
and the configuration djfront.settings.apply() makes of a dsql:// URL:

- the connection the adapter opens: the parameters it hands psycopg, with
  the IAM token it signed from (fake) credentials, locally;
- the adapter's DDL: Django's contrib apps migrated, and used, through its
  backend on a local PostgreSQL standing in for the cluster
  (tests.dsql_standin; needs DJFRONT_TEST_POSTGRES_URL, like
  tests/test_postgres.py).

A cluster alone shows whether it accepts that DDL: it refuses ALTER COLUMN,
which eight contrib migrations use (the adapter's known issues). Each case
runs in a process of its own (tests/dsql_settings.py): creating the
adapter's backend makes every AutoField of the process a UUID.
"""

import json
import os
import re
import subprocess
import sys
import unittest
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from django.db import connections

from . import need

ENDPOINT = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws"
SCHEMA = "djfront_dsql_test"
PYTHON_DIR = Path(__file__).resolve().parent.parent

# What the adapter hands psycopg when Django connects; psycopg's connect is
# replaced by one that records its arguments and fails: no cluster here.
CONNECT = """
import json
from unittest import mock
import django
django.setup()
import psycopg
from django.db import connection
seen = {}
def connect(cls, *args, **kwargs):
    seen.update(kwargs)
    raise psycopg.OperationalError("no cluster here")
with mock.patch.object(psycopg.Connection, "connect", classmethod(connect)):
    try:
        connection.ensure_connection()
    except Exception as err:
        error = type(err).__name__
keys = ("host", "port", "dbname", "user", "password", "sslmode", "application_name")
print(json.dumps({"error": error, **{k: str(v) for k, v in seen.items() if k in keys}}))
"""

# Django's contrib apps at work on UUID primary keys.
USE = """
import json
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
user = User.objects.create_superuser("admin", "admin@example.com", "pw")
session = SessionStore()
session["_auth_user_id"] = str(user.pk)
session.save()
LogEntry.objects.create(user=user, content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk),
                        object_repr="admin", action_flag=ADDITION)
print(json.dumps({
    "pk": type(user.pk).__name__,
    "authenticated": authenticate(username="admin", password="pw") == user,
    "session": SessionStore(session_key=session.session_key).get("_auth_user_id") == str(user.pk),
    "log entries": LogEntry.objects.filter(user=user).count(),
    "permission": User.objects.get(pk=user.pk).has_perm("auth.change_user"),
}))
"""

# The ALTER COLUMN statements of Django's contrib migrations, which DSQL
# refuses ("unsupported ALTER TABLE ALTER COLUMN ... statement"): the
# adapter's reference/KNOWN_ISSUES.md lists these eight migrations.
REFUSED_BY_DSQL = [
    ("auth_group", "name"),  # auth.0010
    ("auth_permission", "name"),  # auth.0002
    ("auth_user", "email"),  # auth.0003
    ("auth_user", "first_name"),  # auth.0012
    ("auth_user", "last_login"),  # auth.0005
    ("auth_user", "last_name"),  # auth.0009
    ("auth_user", "username"),  # auth.0008
    ("django_content_type", "name"),  # contenttypes.0002
]


def setUpModule():
    need.module("aurora_dsql_django.base", "install the [dsql] extra (aurora-dsql-django, psycopg-pool)")


def run(args, **env):
    """Run python args in python/ with tests.dsql_settings and env only (no
    AWS configuration of the machine's); return the finished process."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DJFRONT_", "DJANGO_", "DATABASE_"))}
    clean.update(
        DJANGO_SETTINGS_MODULE="tests.dsql_settings", DJFRONT_HOSTS="www.example.com", PYTHONDONTWRITEBYTECODE="1",
        AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true",
        **env,
    )
    return subprocess.run([sys.executable, *args], cwd=PYTHON_DIR, env=clean, capture_output=True, text=True,
                          check=False, timeout=300)


class ConnectTest(unittest.TestCase):
    def test_token(self):
        cases = [
            # name, DATABASE_URL, user, token action, token lifetime
            ("admin, as the template sets it", f"dsql://admin@{ENDPOINT}/postgres?region=us-east-1",
             "admin", "DbConnectAdmin", None),
            ("a role of yours", f"dsql://app@{ENDPOINT}/postgres?token_duration_secs=900",
             "app", "DbConnect", "900"),
        ]
        for name, url, user, action, lifetime in cases:
            with self.subTest(name):
                out = run(["-c", CONNECT], DATABASE_URL=url,
                          AWS_ACCESS_KEY_ID="AKIADJFRONTTESTONLY1", AWS_SECRET_ACCESS_KEY="not-a-secret")
                self.assertEqual(out.returncode, 0, out.stderr)
                got = json.loads(out.stdout)
                self.assertEqual(got["error"], "OperationalError")
                want = {"host": ENDPOINT, "dbname": "postgres", "user": user, "sslmode": "require"}
                self.assertEqual({k: got.get(k) for k in want}, want)
                self.assertRegex(got["application_name"], r"^django:aurora-dsql-python-psycopg/")
                # The password is a presigned request: ENDPOINT/?Action=...&X-Amz-...
                token = urlsplit("https://" + got["password"])
                query = {k: v[0] for k, v in parse_qs(token.query).items()}
                self.assertEqual((token.netloc, query["Action"]), (ENDPOINT, action))
                self.assertRegex(query["X-Amz-Credential"], r"^AKIADJFRONTTESTONLY1/\d{8}/us-east-1/dsql/aws4_request$")
                self.assertRegex(query["X-Amz-Signature"], r"^[0-9a-f]{64}$")
                if lifetime:
                    self.assertEqual(query["X-Amz-Expires"], lifetime)


class StandInTest(unittest.TestCase):
    """The adapter's DDL on PostgreSQL (tests.dsql_standin)."""

    @classmethod
    def setUpClass(cls):
        cls.url = need.variable("DJFRONT_TEST_POSTGRES_URL", "go test ./python starts PostgreSQL and sets it")

    def setUp(self):
        self.schema(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE", f"CREATE SCHEMA {SCHEMA}")

    def tearDown(self):
        self.schema(f"DROP SCHEMA {SCHEMA} CASCADE")

    def schema(self, *statements):
        with connections["postgres"].cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        connections["postgres"].close()

    def run_standin(self, *args):
        out = run(["-m", "django", *args], DATABASE_URL=self.url, DJFRONT_TEST_DSQL_STANDIN="1",
                  DJFRONT_TEST_DSQL_SCHEMA=SCHEMA)
        self.assertEqual(out.returncode, 0, f"{args}: {out.stderr}\n{out.stdout}")
        return out.stdout

    def test_migrate_and_use(self):
        # migrate writes "Applying x..." and the statements follow on its line.
        ddl = re.findall(r"DDL: (.*)", self.run_standin("migrate", "--noinput"))
        with self.subTest("UUID primary keys, referenced as UUIDs"):
            users = next(s for s in ddl if s.startswith('CREATE TABLE "auth_user" '))
            self.assertIn('"id" uuid NOT NULL PRIMARY KEY DEFAULT gen_random_uuid()', users)
            log = next(s for s in ddl if s.startswith('CREATE TABLE "django_admin_log" '))
            self.assertIn('"user_id" uuid NOT NULL REFERENCES "auth_user" ("id")', log)
        with self.subTest("indexes built asynchronously"):
            indexes = [s for s in ddl if re.match(r"CREATE (UNIQUE )?INDEX ", s)]
            self.assertTrue(indexes)
            self.assertEqual([s for s in indexes if " INDEX ASYNC " not in s], [])
        with self.subTest("ALTER COLUMN: what only a cluster can refuse"):
            altered = re.findall(r'^ALTER TABLE "(\w+)" ALTER COLUMN "(\w+)"', "\n".join(ddl), re.MULTILINE)
            self.assertEqual(sorted(set(altered)), REFUSED_BY_DSQL)
        with self.subTest("contrib apps at work"):
            got = json.loads(self.run_standin("shell", "-c", USE).splitlines()[-1])
            want = {"pk": "UUID", "authenticated": True, "session": True, "log entries": 1, "permission": True}
            self.assertEqual(got, want)
