"""Tests of djfront.database.parse, the DATABASE_URL contract."""

import random
import unittest

from django.core.exceptions import ImproperlyConfigured

from djfront.database import parse

PG = "django.db.backends.postgresql"
DSQL = "aurora_dsql_django"
ENDPOINT = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws"


class ParseTest(unittest.TestCase):
    def test_valid(self):
        cases = [
            ("sqlite absolute", "sqlite:////tmp/db.sqlite3",
             {"ENGINE": "django.db.backends.sqlite3", "NAME": "/tmp/db.sqlite3"}),
            ("sqlite relative", "sqlite:///db.sqlite3",
             {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}),
            ("sqlite in memory", "sqlite://:memory:",
             {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}),
            ("postgres, all parts", "postgres://app:s3cret@db.example.com:5432/site?sslmode=require",
             {"ENGINE": PG, "NAME": "site", "USER": "app", "PASSWORD": "s3cret",
              "HOST": "db.example.com", "PORT": "5432", "OPTIONS": {"sslmode": "require"}}),
            ("postgresql scheme, no port", "postgresql://app@db/site",
             {"ENGINE": PG, "NAME": "site", "USER": "app", "PASSWORD": "", "HOST": "db", "PORT": ""}),
            ("scheme case-insensitive", "POSTGRES://db/site", {"ENGINE": PG, "NAME": "site", "HOST": "db"}),
            ("percent-decoded password and name", "postgres://app:p%40ss%3Aw%2Frd@db/my%20site",
             {"PASSWORD": "p@ss:w/rd", "NAME": "my site"}),
            ("IPv6 host", "postgres://app@[2001:db8::1]:5433/site", {"HOST": "2001:db8::1", "PORT": "5433"}),
            ("Unix socket directory", "postgres://%2Fvar%2Frun%2Fpostgresql/site", {"HOST": "/var/run/postgresql"}),
            ("integer options", "mysql://app:pw@db/site?charset=utf8mb4&connect_timeout=5",
             {"ENGINE": "django.db.backends.mysql",
              "OPTIONS": {"charset": "utf8mb4", "connect_timeout": 5}}),
            ("a server's connection kept 60 s, checked", "postgres://db/site",
             {"CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True, "OPTIONS": {}}),
            ("conn_max_age", "postgres://db/site?conn_max_age=300", {"CONN_MAX_AGE": 300, "CONN_HEALTH_CHECKS": True}),
            ("conn_max_age=0 closes after each request", "postgres://db/site?conn_max_age=0",
             {"CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False}),
            ("mysql kept too", "mysql://db/site", {"CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}),
            ("sqlite file not kept", "sqlite:////tmp/db.sqlite3", {"CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False}),
            ("sqlite conn_max_age", "sqlite:////tmp/db.sqlite3?conn_max_age=5",
             {"CONN_MAX_AGE": 5, "CONN_HEALTH_CHECKS": True}),
            ("sqlite in memory not kept", "sqlite://:memory:", {"CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False}),
            ("dsql, as the template sets it", f"dsql://admin@{ENDPOINT}/postgres?region=us-east-1",
             {"ENGINE": DSQL, "NAME": "postgres", "USER": "admin", "PASSWORD": "", "HOST": ENDPOINT, "PORT": "",
              "OPTIONS": {"region": "us-east-1", "sslmode": "require"},
              "CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}),
            ("dsql defaults: admin, postgres", f"dsql://{ENDPOINT}",
             {"ENGINE": DSQL, "NAME": "postgres", "USER": "admin", "OPTIONS": {"sslmode": "require"}}),
            ("dsql role, options kept", f"dsql://app@{ENDPOINT}/postgres?sslmode=verify-full&sslrootcert=system"
             "&token_duration_secs=900&conn_max_age=2700",
             {"USER": "app", "CONN_MAX_AGE": 2700,
              "OPTIONS": {"sslmode": "verify-full", "sslrootcert": "system", "token_duration_secs": 900}}),
            ("dsql cluster ID and region", "dsql://admin@abcdefghijklmnopqrstuvwxyz/postgres?region=eu-west-1",
             {"HOST": "abcdefghijklmnopqrstuvwxyz", "OPTIONS": {"region": "eu-west-1", "sslmode": "require"}}),
            ("dsql endpoint of another partition suffix", "dsql://x.dsql-gamma.us-east-1.on.aws",
             {"HOST": "x.dsql-gamma.us-east-1.on.aws"}),
        ]
        for name, url, want in cases:
            with self.subTest(name):
                got = parse(url)
                for key, value in want.items():
                    self.assertEqual(got.get(key), value, f"{key} of {url}")

    def test_invalid(self):
        cases = [
            ("no scheme", "db.example.com/site",
             "want a URL starting sqlite://, postgres://, postgresql://, dsql://, mysql://"),
            ("unknown scheme", "oracle://db/site", "want a URL starting"),
            ("space", "postgres://db/my site", "spaces or control characters"),
            ("newline", "postgres://db/site\n", "spaces or control characters"),
            ("bad port", "postgres://db:5x/site", "not a URL"),
            ("port out of range", "postgres://db:70000/site", "not a URL"),
            ("port zero", "postgres://db:0/site", "the port must be a number from 1 to 65535"),
            ("unclosed IPv6", "postgres://[::1/site", "not a URL"),
            ("no host", "postgres:///site", "name the database server"),
            ("no name", "postgres://db", "name the database, one path segment"),
            ("two segments", "postgres://db/a/b", "name the database, one path segment"),
            ("fragment", "postgres://db/site#x", "no #fragment allowed"),
            ("query without =", "postgres://db/site?sslmode", "not key=value pairs"),
            ("repeated option", "postgres://db/site?a=1&a=2", "'a' is given twice"),
            ("conn_max_age not a number", "postgres://db/site?conn_max_age=-1", "whole number of seconds"),
            ("sqlite with a host", "sqlite://tmp/db.sqlite3", "a sqlite URL has no host"),
            ("sqlite without a file", "sqlite:///", "name the database file"),
            ("sqlite directory", "sqlite:////tmp/", "name the database file"),
            ("dsql password", f"dsql://admin:pw@{ENDPOINT}/postgres", "a dsql:// URL has no password"),
            ("dsql empty password", f"dsql://admin:@{ENDPOINT}/postgres", "a dsql:// URL has no password"),
            ("dsql host not an endpoint", "dsql://admin@db.example.com/postgres?region=us-east-1",
             "give the cluster endpoint (ID.dsql.REGION.on.aws), or the cluster ID and ?region="),
            ("dsql cluster ID without region", "dsql://admin@abcdefghijklmnopqrstuvwxyz/postgres",
             "or the cluster ID and ?region="),
            ("dsql region mismatch", f"dsql://{ENDPOINT}?region=eu-west-1",
             "region=eu-west-1 is not the endpoint's region, us-east-1"),
            ("dsql bad region", f"dsql://{ENDPOINT}?region=US_EAST", "region must be an AWS region name"),
            ("dsql connection past the hour", f"dsql://{ENDPOINT}?conn_max_age=2701",
             "conn_max_age must be at most 2700: Aurora DSQL closes connections after an hour"),
            ("dsql two segments", f"dsql://{ENDPOINT}/a/b", "one path segment"),
        ]
        for name, url, want in cases:
            with self.subTest(name):
                with self.assertRaises(ImproperlyConfigured) as ctx:
                    parse(url)
                message = str(ctx.exception)
                self.assertTrue(message.startswith("DATABASE_URL: "), message)
                self.assertIn(want, message)

    def test_password_never_in_the_message(self):
        for url in ["postgres://app:hunter2@db:99999/site", "postgres://app:hunter2@db/a/b",
                    "mysql://app:hunter2@/site", "postgres://app:hunter2@db/site?x",
                    f"dsql://admin:hunter2@{ENDPOINT}/postgres"]:
            with self.subTest(url):
                with self.assertRaises(ImproperlyConfigured) as ctx:
                    parse(url)
                self.assertNotIn("hunter2", str(ctx.exception))

    def test_random_input(self):
        """Fuzz with seeds: any string gives a dict or ImproperlyConfigured, nothing else."""
        alphabet = "sqlitepostgresmydq:/@?&=#%[]._-0123456789 \x00é"
        seeds = ["sqlite:////tmp/db.sqlite3", "postgres://u:p@h:5432/n?sslmode=require", "mysql://h/n",
                 f"dsql://admin@{ENDPOINT}/postgres?region=us-east-1"]
        rng = random.Random(8)
        for _ in range(3000):
            s = list(rng.choice(seeds))
            for _ in range(rng.randint(1, 4)):
                i = rng.randrange(len(s) + 1)
                op = rng.randrange(3)
                if op == 0:
                    s.insert(i, rng.choice(alphabet))
                elif s and op == 1:
                    del s[min(i, len(s) - 1)]
                elif s:
                    s[min(i, len(s) - 1)] = rng.choice(alphabet)
            url = "".join(s)
            try:
                got = parse(url)
            except ImproperlyConfigured:
                continue
            self.assertIn(got["ENGINE"], {"django.db.backends.sqlite3", PG, "django.db.backends.mysql", DSQL}, url)
            self.assertTrue(got["NAME"], url)
            if got["ENGINE"] == DSQL:
                self.assertEqual(got["PASSWORD"], "", url)
                self.assertLessEqual(got["CONN_MAX_AGE"], 2700, url)


class DecodedNulTest(unittest.TestCase):
    """parse() refuses control characters in the URL as written, and in
    user, password, host, name and query values once percent-decoded: a NUL
    there ends libpq's connection string early, and psycopg connects with
    what came before it and libpq's defaults for the rest (a password with
    %00 sent the connection to the local Unix socket instead of the URL's
    host)."""

    def test_decoded_nul_is_refused(self):
        cases = [
            ("in the password", "postgres://app:s3cr%00et@db.example.com/site"),
            ("in the user", "postgres://ap%00p:s3cret@db.example.com/site"),
            ("in the name", "postgres://app:s3cret@db.example.com/si%00te"),
            ("in the host", "postgres://app:s3cret@db.example.com%00.evil/site"),
            ("in a query value", "postgres://app:s3cret@db.example.com/site?sslmode=verify-full%00"),
        ]
        for name, url in cases:
            with self.subTest(name):
                try:
                    got = parse(url)
                except ImproperlyConfigured as err:
                    self.assertTrue(str(err).startswith("DATABASE_URL: "), err)
                    self.assertNotIn("s3cr", str(err))
                    continue
                self.fail(f"parse accepted a NUL: {got}")


class QueryRepeatsAPartTest(unittest.TestCase):
    """A query parameter that names a part the URL already has goes into
    OPTIONS, where Django's PostgreSQL backend lets ?dbname= win over the
    path: postgres://app:pw@127.0.0.1/app?dbname=postgres connects to the
    database postgres while NAME says app (Django 4.2, 5.2 and 6.1). The
    URL says two things; parse() should refuse it."""

    def test_query_repeats_a_part(self):
        for key in ("dbname", "user", "password", "host", "port"):
            with self.subTest(key):
                url = f"postgres://app:s3cret@db.example.com:5432/site?{key}=other"
                with self.assertRaises(ImproperlyConfigured) as raised:
                    parse(url)
                self.assertIn(key, str(raised.exception))


if __name__ == "__main__":
    unittest.main()
