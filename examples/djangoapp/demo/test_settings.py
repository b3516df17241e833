"""Tests of the example's settings: the database they end with, from the
environment (python3 -m unittest discover -s examples/djangoapp -p 'test_*.py';
go test ./test/template runs it on the project as the Lambda zip holds it).

Each case imports demo.settings in a process of its own, with only the
variables it names (and DJFRONT_HOSTS) set.
"""

import json
import os
import subprocess
import sys
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENDPOINT = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws"
SHOW = (
    "import json, demo.settings as s\n"
    "d = s.DATABASES['default']\n"
    "print(json.dumps([d['ENGINE'], d.get('HOST', ''), d['NAME'], d.get('CONN_MAX_AGE', 0)]))\n"
)


def settings_of(env, show=SHOW):
    """Import demo.settings with env, run show; return the process's result."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJFRONT_", "DJANGO_", "DATABASE_", "AWS_"))}
    clean.update(DJFRONT_HOSTS="www.example.com", PYTHONDONTWRITEBYTECODE="1", **env)
    return subprocess.run([sys.executable, "-c", show], cwd=ROOT, env=clean, capture_output=True, text=True,
                          check=False)


class DatabaseTest(unittest.TestCase):
    def test_database(self):
        cases = [
            ("PostgreSQL", {"DATABASE_URL": "postgres://app:pw@db.example.com/site"},
             ["django.db.backends.postgresql", "db.example.com", "site", 60]),
            ("Aurora DSQL", {"DATABASE_URL": f"dsql://admin@{ENDPOINT}/postgres?region=us-east-1"},
             ["aurora_dsql_django", ENDPOINT, "postgres", 60]),
            ("SQLite by URL", {"DATABASE_URL": "sqlite:////tmp/demo.sqlite3"},
             ["django.db.backends.sqlite3", "", "/tmp/demo.sqlite3", 0]),
            ("the launcher's SQLite file", {"DJANGO_DB_PATH": "/tmp/state/db.sqlite3"},
             ["django.db.backends.sqlite3", "", "/tmp/state/db.sqlite3", 0]),
            ("DATABASE_URL over DJANGO_DB_PATH",
             {"DATABASE_URL": "postgres://db.example.com/site", "DJANGO_DB_PATH": "/tmp/state/db.sqlite3"},
             ["django.db.backends.postgresql", "db.example.com", "site", 60]),
        ]
        for name, env, want in cases:
            with self.subTest(name):
                out = settings_of(env)
                self.assertEqual(out.returncode, 0, out.stderr)
                self.assertEqual(json.loads(out.stdout), want)

    def test_no_database(self):
        out = settings_of({})
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("ImproperlyConfigured: DATABASE_URL is unset: set it", out.stderr)


class ConflictRetryTest(unittest.TestCase):
    """Aurora DSQL fails a conflicting transaction at COMMIT with SQLSTATE
    40001 (docs/database.md). The template deploys this project with a
    dsql:// DATABASE_URL; its settings must then run each view under
    djfront.middleware.ConflictRetryMiddleware (last in MIDDLEWARE), or every
    conflict of an admin login or a session write is a 500, and log each
    retry (logger djfront.transaction, INFO), which the docs say to count."""

    def test_dsql_retries_conflicts(self):
        show = "import json, demo.settings as s; print(json.dumps(list(s.MIDDLEWARE)))"
        out = settings_of({"DATABASE_URL": f"dsql://admin@{ENDPOINT}/postgres?region=us-east-1"}, show)
        self.assertEqual(out.returncode, 0, out.stderr)
        middleware = json.loads(out.stdout)
        self.assertEqual(middleware[-1:], ["djfront.middleware.ConflictRetryMiddleware"], middleware)

    def test_retries_logged(self):
        show = (
            "import logging, logging.config, demo.settings as s\n"
            "logging.config.dictConfig(s.LOGGING)\n"
            "print(logging.getLogger('djfront.transaction').isEnabledFor(logging.INFO))\n"
        )
        out = settings_of({"DATABASE_URL": "sqlite:////tmp/demo.sqlite3"}, show)
        self.assertEqual((out.returncode, out.stdout), (0, "True\n"), out.stderr)


if __name__ == "__main__":
    unittest.main()
