"""Aurora DSQL as far as it goes without a cluster, through aurora-dsql-django
and the configuration djfront.settings.apply() makes of a dsql:// URL:

- the connection the adapter opens: the parameters it hands psycopg, with
  the IAM token it signed from (fake) credentials, locally;
- the adapter's DDL: Django's contrib apps and an app of the project's
  (tests.dsql_app) migrated, and used, through its backend on a local
  PostgreSQL standing in for the cluster, refusing the ALTER TABLE forms
  DSQL refuses (tests.dsql_standin; needs DJFRONT_TEST_POSTGRES_URL, like
  tests/test_postgres.py). Django's own auth migrations fail there; with
  djfront.dsql's (MIGRATION_MODULES, set by djfront.settings) migrate
  succeeds and makes the schema Django's own would make if DSQL took it.

A cluster alone shows what else it refuses, its asynchronous index jobs,
limits and conflicts. Each case runs in a process of its own
(tests/dsql_settings.py): creating the adapter's backend makes every
AutoField of the process a UUID.
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
REFERENCE = "djfront_dsql_reference"
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

# Django's contrib apps, and a model of the project's, at work on UUID
# primary keys; then the admin's login form and a page behind it.
USE = """
import json
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import Client
from tests.dsql_app.models import Note
user = User.objects.create_superuser("a" * 150, "admin@example.com", "pw", first_name="f" * 150)
session = SessionStore()
session["_auth_user_id"] = str(user.pk)
session.save()
LogEntry.objects.create(user=user, content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk),
                        object_repr="admin", action_flag=ADDITION)
Note.objects.create(author=user, title="first")
client = Client(HTTP_HOST="www.example.com")
login = client.post("/admin/login/?next=/admin/", {"username": user.username, "password": "pw"})
index = client.get("/admin/")
print(json.dumps({
    "pk": type(user.pk).__name__,
    "authenticated": authenticate(username=user.username, password="pw") == user,
    "session": SessionStore(session_key=session.session_key).get("_auth_user_id") == str(user.pk),
    "log entries": LogEntry.objects.filter(user=user).count(),
    "permission": User.objects.get(pk=user.pk).has_perm("auth.change_user"),
    "notes": list(Note.objects.filter(author__username=user.username).values_list("title", flat=True)),
    "login": [login.status_code, login.headers.get("Location")],
    "admin index": [index.status_code, "Site administration" in index.content.decode()],
    "login session": Session.objects.filter(session_key=client.cookies["sessionid"].value).exists(),
}))
"""

# The schema of a database schema, to compare: columns, indexes, constraints,
# with the schema's name taken out of their definitions.
CATALOG = [
    ("SELECT table_name, column_name, data_type, character_maximum_length, is_nullable, column_default"
     " FROM information_schema.columns WHERE table_schema = %s"),
    "SELECT tablename, indexname, replace(indexdef, %s || '.', '') FROM pg_indexes WHERE schemaname = %s",
    ("SELECT t.relname, c.conname, c.contype, c.condeferrable, replace(pg_get_constraintdef(c.oid), %s || '.', '')"
     " FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid WHERE c.connamespace = %s::regnamespace"),
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

    def run_standin(self, *args, schema=SCHEMA, **env):
        """Run python -m django args with the stand-in in schema; return the
        finished process."""
        return run(["-m", "django", *args], DATABASE_URL=self.url, DJFRONT_TEST_DSQL_STANDIN="1",
                   DJFRONT_TEST_DSQL_SCHEMA=schema, **env)

    def standin(self, *args, **kwargs):
        """Return the output of run_standin(), which must succeed."""
        out = self.run_standin(*args, **kwargs)
        self.assertEqual(out.returncode, 0, f"{args}: {out.stderr}\n{out.stdout}")
        return out.stdout

    def catalog(self, schema):
        got = []
        with connections["postgres"].cursor() as cursor:
            for query in CATALOG:
                cursor.execute(query, [schema] * query.count("%s"))
                got.append(sorted(cursor.fetchall(), key=repr))
        connections["postgres"].close()
        return got

    def test_migrate_and_use(self):
        # migrate writes "Applying x..." and the statements follow on its line.
        ddl = re.findall(r"DDL: (.*)", self.standin("migrate", "--noinput"))
        with self.subTest("UUID primary keys, referenced as UUIDs"):
            users = next(s for s in ddl if s.startswith('CREATE TABLE "auth_user" '))
            self.assertIn('"id" uuid NOT NULL PRIMARY KEY DEFAULT gen_random_uuid()', users)
            log = next(s for s in ddl if s.startswith('CREATE TABLE "django_admin_log" '))
            self.assertIn('"user_id" uuid NOT NULL REFERENCES "auth_user" ("id")', log)
        with self.subTest("indexes built asynchronously"):
            indexes = [s for s in ddl if re.match(r"CREATE (UNIQUE )?INDEX ", s)]
            self.assertTrue(indexes)
            self.assertEqual([s for s in indexes if " INDEX ASYNC " not in s], [])
        with self.subTest("tables created in their final form, never altered"):
            self.assertIn('"username" varchar(150) NOT NULL UNIQUE', users)
            self.assertEqual([s for s in ddl if s.startswith("ALTER TABLE")], [])
        with self.subTest("contrib apps at work, the admin login"):
            got = json.loads(self.standin("shell", "-c", USE).splitlines()[-1])
            want = {"pk": "UUID", "authenticated": True, "session": True, "log entries": 1, "permission": True,
                    "notes": ["first"], "login": [302, "/admin/"], "admin index": [200, True], "login session": True}
            self.assertEqual(got, want)

    def test_django_migrations_refused(self):
        # The stand-in refuses what DSQL refuses: Django's own auth migrations.
        out = self.run_standin("migrate", "--noinput", DJFRONT_TEST_DSQL_DJANGO_MIGRATIONS="1")
        self.assertNotEqual(out.returncode, 0, out.stdout)
        want = ('NotSupportedError: unsupported ALTER TABLE statement, ALTER COLUMN ... TYPE (as Aurora DSQL): '
                'ALTER TABLE "auth_permission" ALTER COLUMN "name" TYPE varchar(255)')
        self.assertIn(want, out.stderr)

    def test_schema_as_django_makes_it(self):
        # Django's own migrations through the same backend, refusing nothing,
        # in a second schema: the schema djfront.dsql's must equal.
        self.schema(f"DROP SCHEMA IF EXISTS {REFERENCE} CASCADE", f"CREATE SCHEMA {REFERENCE}")
        self.addCleanup(self.schema, f"DROP SCHEMA {REFERENCE} CASCADE")
        self.standin("migrate", "--noinput", schema=REFERENCE, DJFRONT_TEST_DSQL_DJANGO_MIGRATIONS="1",
                     DJFRONT_TEST_DSQL_ACCEPT_ALL="1")
        self.standin("migrate", "--noinput")
        want, got = self.catalog(REFERENCE), self.catalog(SCHEMA)
        for name, got_rows, want_rows in zip(["columns", "indexes", "constraints"], got, want):
            with self.subTest(name):
                self.assertTrue(want_rows)
                self.assertEqual(got_rows, want_rows)

    def test_tables_of_djangos_0001_stop_migrate(self):
        # A migrate tried before djfront.dsql: Django's own 0001 made the
        # tables; djfront.dsql's 0002 must not pass them as final.
        self.standin("migrate", "--noinput", "auth", "0001", DJFRONT_TEST_DSQL_DJANGO_MIGRATIONS="1")
        out = self.run_standin("migrate", "--noinput")
        self.assertNotEqual(out.returncode, 0, out.stdout)
        want = ("SchemaMismatch: django_content_type was not created by djfront.dsql's first migration "
                "(name: NOT NULL varchar(100), want no column)")
        self.assertIn(want, out.stderr)
