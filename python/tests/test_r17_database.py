"""Review r-17: percent-decoded values that no connection can carry.

parse() refuses control characters in the URL as written, but percent-
decodes user, password, host, name and query values afterwards. A NUL
there ends libpq's connection string early: psycopg then connects with
what came before it and libpq's defaults for the rest (a password with %00
sent the connection to the local Unix socket, /var/run/postgresql, instead
of the URL's host). The module's contract: "A malformed URL raises
ImproperlyConfigured naming DATABASE_URL".
"""

import unittest

from django.core.exceptions import ImproperlyConfigured

from djfront.database import parse


class DecodedNulTest(unittest.TestCase):
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
