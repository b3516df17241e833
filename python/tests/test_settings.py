"""Tests of djfront.settings: from_environ, database, apply and the star import."""

import io
import logging
import logging.config
import os
import subprocess
import sys
import unittest
from pathlib import Path
from unittest import mock

from django.core.exceptions import ImproperlyConfigured
from django.test.utils import override_settings

os.environ.setdefault("DJFRONT_HOSTS", "import.example.com")  # the import computes settings
from djfront import settings as djfront_settings  # noqa: E402

S3 = "storages.backends.s3boto3.S3Boto3Storage"
S3_MANIFEST = "djfront.storage.StaticStorage"
LOCAL_MANIFEST = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"


class FromEnvironTest(unittest.TestCase):
    def test_valid(self):
        cases = [
            {
                "name": "development without hosts",
                "env": {"DJANGO_DEBUG": "1"},
                "want": {
                    "DEBUG": True,
                    "ALLOWED_HOSTS": [],
                    "CSRF_TRUSTED_ORIGINS": [],
                    "SESSION_COOKIE_SECURE": False,
                    "CSRF_COOKIE_SECURE": False,
                    "STATIC_URL": "/static/",
                    "MEDIA_URL": "/media/",
                },
            },
            {
                "name": "hosts normalized, patterns and duplicates",
                "env": {"DJFRONT_HOSTS": " WWW.Example.com, .example.org,www.example.com,,[::1]"},
                "want": {
                    "DEBUG": False,
                    "ALLOWED_HOSTS": ["www.example.com", ".example.org", "[::1]"],
                    "CSRF_TRUSTED_ORIGINS": [
                        "https://www.example.com",
                        "https://example.org",
                        "https://*.example.org",
                        "https://[::1]",
                    ],
                    "SESSION_COOKIE_SECURE": True,
                    "CSRF_COOKIE_SECURE": True,
                    "USE_X_FORWARDED_HOST": True,
                    "USE_X_FORWARDED_PORT": True,
                    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
                },
            },
            {
                "name": "local storage with custom prefixes",
                "env": {
                    "DJFRONT_HOSTS": "d111111abcdef8.cloudfront.net",
                    "DJFRONT_STATIC_PREFIX": "/assets/static/",
                    "DJFRONT_MEDIA_PREFIX": "uploads",
                },
                "want": {"STATIC_URL": "/assets/static/", "MEDIA_URL": "/uploads/"},
            },
            {
                "name": "bucket served by the first host",
                "env": {
                    "DJFRONT_HOSTS": "www.example.com,d111111abcdef8.cloudfront.net",
                    "DJFRONT_BUCKET": "site-assets",
                    "AWS_DEFAULT_REGION": "eu-west-1",
                },
                "want": {
                    "STATIC_URL": "https://www.example.com/static/",
                    "MEDIA_URL": "https://www.example.com/media/",
                    "STORAGES": {
                        "default": {
                            "BACKEND": S3,
                            "OPTIONS": {
                                "bucket_name": "site-assets",
                                "custom_domain": "www.example.com",
                                "querystring_auth": False,
                                "region_name": "eu-west-1",
                                "default_acl": None,
                                "location": "media",
                                "file_overwrite": False,
                            },
                        },
                        "staticfiles": {
                            "BACKEND": S3_MANIFEST,
                            "OPTIONS": {
                                "bucket_name": "site-assets",
                                "custom_domain": "www.example.com",
                                "querystring_auth": False,
                                "region_name": "eu-west-1",
                                "default_acl": None,
                                "location": "static",
                            },
                        },
                    },
                },
            },
            {
                "name": "bucket behind an explicit CDN domain and an emulator",
                "env": {
                    "DJFRONT_HOSTS": ".example.com",
                    "DJFRONT_BUCKET": "site-assets",
                    "DJFRONT_CDN_DOMAIN": "d111111abcdef8.cloudfront.net",
                    "DJFRONT_S3_ENDPOINT_URL": "http://127.0.0.1:5000",
                    "AWS_REGION": "us-east-1",
                    "AWS_DEFAULT_REGION": "eu-west-1",
                },
                "want": {
                    "STATIC_URL": "https://d111111abcdef8.cloudfront.net/static/",
                    "STORAGES": {
                        "default": {
                            "BACKEND": S3,
                            "OPTIONS": {
                                "bucket_name": "site-assets",
                                "custom_domain": "d111111abcdef8.cloudfront.net",
                                "querystring_auth": False,
                                "region_name": "us-east-1",
                                "default_acl": None,
                                "endpoint_url": "http://127.0.0.1:5000",
                                "addressing_style": "path",
                                "location": "media",
                                "file_overwrite": False,
                            },
                        },
                        "staticfiles": {
                            "BACKEND": S3_MANIFEST,
                            "OPTIONS": {
                                "bucket_name": "site-assets",
                                "custom_domain": "d111111abcdef8.cloudfront.net",
                                "querystring_auth": False,
                                "region_name": "us-east-1",
                                "default_acl": None,
                                "endpoint_url": "http://127.0.0.1:5000",
                                "addressing_style": "path",
                                "location": "static",
                            },
                        },
                    },
                },
            },
        ]
        for case in cases:
            with self.subTest(case["name"]):
                got = djfront_settings.from_environ(case["env"])
                for name, want in case["want"].items():
                    self.assertEqual(got[name], want, name)

    def test_upstream_secrets(self):
        cases = [
            ("unset", {}, []),
            ("one", {"DJFRONT_UPSTREAM_SECRETS": "abc"}, ["abc"]),
            ("two while rotating", {"DJFRONT_UPSTREAM_SECRETS": " new , old "}, ["new", "old"]),
        ]
        for name, env, want in cases:
            with self.subTest(name):
                got = djfront_settings.from_environ({"DJFRONT_HOSTS": "www.example.com", **env})
                self.assertEqual(got["DJFRONT_UPSTREAM_SECRETS"], want)
        with self.assertRaises(ImproperlyConfigured) as caught:
            djfront_settings.from_environ({"DJFRONT_HOSTS": "www.example.com", "DJFRONT_UPSTREAM_SECRETS": "s3cr3t,,x"})
        self.assertIn("DJFRONT_UPSTREAM_SECRETS: empty entry", str(caught.exception))
        self.assertNotIn("s3cr3t", str(caught.exception))

    def test_media_sandboxed(self):
        # Set only when the environment says, so a settings module's own value stands otherwise.
        cases = [
            ("unset", {}, None),
            ("empty", {"DJFRONT_MEDIA_SANDBOXED": " "}, None),
            ("on, as the template sets it", {"DJFRONT_MEDIA_SANDBOXED": "true"}, True),
            ("off", {"DJFRONT_MEDIA_SANDBOXED": "0"}, False),
        ]
        for name, env, want in cases:
            with self.subTest(name):
                got = djfront_settings.from_environ({"DJFRONT_HOSTS": "www.example.com", **env})
                self.assertEqual(got.get("DJFRONT_MEDIA_SANDBOXED"), want)
        with self.assertRaises(ImproperlyConfigured) as caught:
            djfront_settings.from_environ({"DJFRONT_HOSTS": "www.example.com", "DJFRONT_MEDIA_SANDBOXED": "maybe"})
        self.assertIn("DJFRONT_MEDIA_SANDBOXED='maybe'", str(caught.exception))

    def test_local_storages_without_bucket(self):
        got = djfront_settings.from_environ({"DJFRONT_HOSTS": "www.example.com"})
        self.assertEqual(got["STORAGES"]["staticfiles"]["BACKEND"], LOCAL_MANIFEST)

    def test_invalid(self):
        cases = [
            ("no hosts outside DEBUG", {}, "DJFRONT_HOSTS=''"),
            ("scheme", {"DJFRONT_HOSTS": "https://www.example.com"}, "DJFRONT_HOSTS='https://www.example.com': give the host name without a scheme"),
            ("path", {"DJFRONT_HOSTS": "www.example.com/app"}, "without a path"),
            ("port", {"DJFRONT_HOSTS": "www.example.com:443"}, "without a port"),
            ("wildcard", {"DJFRONT_HOSTS": "*"}, "'*' would accept any Host header"),
            ("bad label", {"DJFRONT_HOSTS": "www..example.com"}, "not a host name"),
            ("underscore", {"DJFRONT_HOSTS": "my_host.example.com"}, "not a host name"),
            ("debug flag", {"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG='maybe'"),
            ("bucket name", {"DJFRONT_HOSTS": "a.example.com", "DJFRONT_BUCKET": "Bad_Bucket"}, "DJFRONT_BUCKET='Bad_Bucket'"),
            ("no CDN host", {"DJFRONT_HOSTS": ".example.com", "DJFRONT_BUCKET": "site-assets"}, "DJFRONT_CDN_DOMAIN=''"),
            ("CDN with scheme", {"DJFRONT_HOSTS": "a.example.com", "DJFRONT_BUCKET": "site-assets", "DJFRONT_CDN_DOMAIN": "https://cdn.example.com"}, "DJFRONT_CDN_DOMAIN="),
            ("CDN port", {"DJFRONT_HOSTS": "a.example.com", "DJFRONT_BUCKET": "site-assets", "DJFRONT_CDN_DOMAIN": "cdn.example.com:99999"}, "the port must be"),
            ("prefix traversal", {"DJFRONT_HOSTS": "a.example.com", "DJFRONT_STATIC_PREFIX": "a/../b"}, "DJFRONT_STATIC_PREFIX='a/../b'"),
            ("empty prefix", {"DJFRONT_HOSTS": "a.example.com", "DJFRONT_MEDIA_PREFIX": "/"}, "DJFRONT_MEDIA_PREFIX='/'"),
            ("overlapping prefixes", {"DJFRONT_HOSTS": "a.example.com", "DJFRONT_MEDIA_PREFIX": "static/uploads"}, "must not overlap DJFRONT_STATIC_PREFIX"),
            ("endpoint scheme", {"DJFRONT_HOSTS": "a.example.com", "DJFRONT_BUCKET": "site-assets", "DJFRONT_S3_ENDPOINT_URL": "ftp://127.0.0.1"}, "DJFRONT_S3_ENDPOINT_URL='ftp://127.0.0.1'"),
            ("endpoint path", {"DJFRONT_HOSTS": "a.example.com", "DJFRONT_BUCKET": "site-assets", "DJFRONT_S3_ENDPOINT_URL": "http://127.0.0.1/bucket"}, "DJFRONT_S3_ENDPOINT_URL="),
            ("region", {"DJFRONT_HOSTS": "a.example.com", "DJFRONT_BUCKET": "site-assets", "AWS_REGION": "US East"}, "AWS_REGION='US East'"),
        ]
        for name, env, want in cases:
            with self.subTest(name):
                with self.assertRaises(ImproperlyConfigured) as caught:
                    djfront_settings.from_environ(env)
                self.assertIn(want, str(caught.exception))



HOSTS = {"DJFRONT_HOSTS": "www.example.com"}
PG_URL = "postgres://app:p%40ss@db.example.com:5432/site"
SQLITE = {"ENGINE": "django.db.backends.sqlite3", "NAME": "/srv/db.sqlite3"}


class DatabaseTest(unittest.TestCase):
    def test_database(self):
        cases = [
            ("unset", {}, None),
            ("empty", {"DATABASE_URL": ""}, None),
            ("URL", {"DATABASE_URL": PG_URL},
             {"ENGINE": "django.db.backends.postgresql", "NAME": "site", "USER": "app", "PASSWORD": "p@ss",
              "HOST": "db.example.com", "PORT": "5432", "OPTIONS": {}, "CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}),
            ("password apart", {"DATABASE_URL": "postgres://app@db/site?sslmode=require", "DATABASE_PASSWORD": "{x"},
             {"USER": "app", "PASSWORD": "{x", "OPTIONS": {"sslmode": "require"}}),
        ]
        for name, env, want in cases:
            with self.subTest(name):
                got = djfront_settings.database(env)
                if want is None:
                    self.assertIsNone(got)
                    continue
                for key, value in want.items():
                    self.assertEqual(got[key], value, key)

    def test_database_errors(self):
        cases = [
            ("bad URL", {"DATABASE_URL": "postgres://db"}, "DATABASE_URL: name the database"),
            ("two passwords", {"DATABASE_URL": PG_URL, "DATABASE_PASSWORD": "x"}, "DATABASE_PASSWORD: set only for"),
            ("password for dsql", {"DATABASE_URL": "dsql://c.dsql.us-east-1.on.aws", "DATABASE_PASSWORD": "x"},
             "DATABASE_PASSWORD: set only for"),
            ("password for sqlite", {"DATABASE_URL": "sqlite:////tmp/db", "DATABASE_PASSWORD": "x"},
             "DATABASE_PASSWORD: set only for"),
        ]
        for name, env, want in cases:
            with self.subTest(name):
                with self.assertRaises(ImproperlyConfigured) as caught:
                    djfront_settings.database(env)
                self.assertTrue(str(caught.exception).startswith(want), str(caught.exception))
                self.assertNotIn("p%40ss", str(caught.exception))

    def test_apply(self):
        dev = {"default": SQLITE, "cache": SQLITE}
        parsed = djfront_settings.database({"DATABASE_URL": PG_URL})
        cases = [
            ("URL over startproject's SQLite, other aliases kept", {"DATABASES": dev, "DEBUG": True},
             {"DATABASE_URL": PG_URL}, {"default": parsed, "cache": SQLITE}),
            ("URL, no DATABASES of the project's", {}, {"DATABASE_URL": PG_URL}, {"default": parsed}),
            ("no URL: the project's DATABASES stay", {"DATABASES": dev}, {}, dev),
        ]
        for name, namespace, env, want in cases:
            with self.subTest(name):
                set_ = djfront_settings.apply(namespace, {**HOSTS, **env})
                self.assertEqual(namespace["DATABASES"], want)
                self.assertIs(namespace["DEBUG"], False, "DJANGO_DEBUG unset turns DEBUG off")
                self.assertEqual(namespace["ALLOWED_HOSTS"], ["www.example.com"])
                self.assertEqual(set(set_) - {"DATABASES", "LOGGING"}, set(djfront_settings.from_environ(HOSTS)))

    def test_logging(self):
        # Without a LOGGING of the project's, a 500's traceback reaches
        # stderr (the function's log) with DEBUG off; Django's defaults
        # print it only with DEBUG on.
        mine = {"version": 1, "loggers": {"shop": {"level": "DEBUG"}}}
        cases = [
            # name, the settings module's LOGGING, want LOGGING set by apply()
            ("none", None, djfront_settings.STDERR_LOGGING),
            ("startproject's empty dict", {}, djfront_settings.STDERR_LOGGING),
            ("the project's own wins", mine, None),
        ]
        for name, logging_, want in cases:
            with self.subTest(name):
                namespace = {"DATABASES": {"default": SQLITE}}
                if logging_ is not None:
                    namespace["LOGGING"] = logging_
                set_ = djfront_settings.apply(namespace, HOSTS)
                self.assertEqual(set_.get("LOGGING"), want)
                self.assertEqual(namespace.get("LOGGING"), logging_ if want is None else want)

    def test_logging_reaches_stderr(self):
        request_logger = logging.getLogger("django.request")
        saved = (list(request_logger.handlers), request_logger.level, request_logger.propagate)
        stderr = io.StringIO()
        try:
            with mock.patch("sys.stderr", stderr), override_settings(DEBUG=False):
                logging.config.dictConfig(djfront_settings.STDERR_LOGGING)
                request_logger.error("Internal Server Error: /boom/", exc_info=(ValueError, ValueError("manifest"), None))
        finally:
            request_logger.handlers[:], request_logger.level, request_logger.propagate = saved
            logging.getLogger("djfront").handlers[:] = []
        self.assertIn("Internal Server Error: /boom/", stderr.getvalue())
        self.assertIn("ValueError: manifest", stderr.getvalue())

    def test_migration_modules(self):
        # Aurora DSQL cannot alter the columns Django's auth and contenttypes
        # migrations change: djfront.dsql's create them in their final form.
        dsql_url = "dsql://admin@abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws/postgres"
        dsql = {"auth": "djfront.dsql.auth", "contenttypes": "djfront.dsql.contenttypes"}
        mine = {"shop": "shop.db_migrations", "auth": "mysite.auth_migrations"}
        cases = [
            # name, the settings module's MIGRATION_MODULES, DATABASE_URL, want (None: not set)
            ("dsql", None, dsql_url, dsql),
            ("dsql, the project's own entries win", mine, dsql_url, {**dsql, **mine}),
            ("postgres", None, PG_URL, None),
            ("sqlite", None, "sqlite:////tmp/db.sqlite3", None),
        ]
        for name, modules, url, want in cases:
            with self.subTest(name):
                namespace = {} if modules is None else {"MIGRATION_MODULES": dict(modules)}
                set_ = djfront_settings.apply(namespace, {**HOSTS, "DATABASE_URL": url})
                self.assertEqual(namespace.get("MIGRATION_MODULES"), want)
                self.assertEqual("MIGRATION_MODULES" in set_, want is not None)
                self.assertEqual(djfront_settings.exported({**HOSTS, "DATABASE_URL": url}).get("MIGRATION_MODULES"),
                                 None if want is None else dsql)

    def test_conflict_retry(self):
        # Aurora DSQL fails a conflicting transaction at COMMIT (40001):
        # apply() puts the middleware that runs the view again last.
        dsql_url = "dsql://admin@abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws/postgres"
        mw = ["djfront.middleware.UpstreamVerifyMiddleware", "django.contrib.sessions.middleware.SessionMiddleware"]
        retry = djfront_settings.CONFLICT_RETRY
        cases = [
            # name, the settings module's MIDDLEWARE, DATABASE_URL, want MIDDLEWARE
            ("dsql", mw, dsql_url, [*mw, retry]),
            ("dsql, already there", [*mw, retry], dsql_url, [*mw, retry]),
            ("dsql, no MIDDLEWARE", None, dsql_url, [retry]),
            ("postgres", mw, PG_URL, mw),
        ]
        for name, middleware, url, want in cases:
            with self.subTest(name):
                namespace = {} if middleware is None else {"MIDDLEWARE": list(middleware)}
                djfront_settings.apply(namespace, {**HOSTS, "DATABASE_URL": url})
                self.assertEqual(namespace.get("MIDDLEWARE", []), want)

    def test_apply_without_a_database(self):
        for name, namespace in [("no DATABASES", {}), ("empty DATABASES", {"DATABASES": {}}),
                                ("no default", {"DATABASES": {"other": SQLITE}})]:
            with self.subTest(name):
                with self.assertRaises(ImproperlyConfigured) as caught:
                    djfront_settings.apply(namespace, HOSTS)
                self.assertTrue(str(caught.exception).startswith("DATABASE_URL is unset: set it"))
                self.assertNotIn("ALLOWED_HOSTS", namespace, "nothing set when it fails")

    def test_exported(self):
        cases = [
            ("no database", HOSTS, sorted(djfront_settings.from_environ(HOSTS))),
            ("with a database", {**HOSTS, "DATABASE_URL": PG_URL},
             sorted([*djfront_settings.from_environ(HOSTS), "DATABASES"])),
        ]
        for name, env, want in cases:
            with self.subTest(name):
                got = djfront_settings.exported(env)
                self.assertEqual(sorted(got), want)
                for key in got:
                    self.assertTrue(key.isupper(), key)

    def test_star_import(self):
        # In a process of its own: the star import computes its settings once.
        script = (
            "import djfront.settings as m\n"
            "assert 'DEBUG' not in vars(m), 'computed at import'\n"
            "from djfront.settings import *\n"
            "print(sorted(k for k in globals() if k.isupper()), DATABASES['default']['HOST'])\n"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJFRONT_", "DJANGO_", "DATABASE_"))}
        env.update(HOSTS, DATABASE_URL=PG_URL, PYTHONDONTWRITEBYTECODE="1")
        out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                             cwd=Path(__file__).resolve().parent.parent, check=False)
        self.assertEqual(out.returncode, 0, out.stderr)
        want = sorted([*djfront_settings.from_environ(HOSTS), "DATABASES"])
        self.assertEqual(out.stdout, f"{want} db.example.com\n")
