"""Tests of djfront.middleware.UpstreamVerifyMiddleware, through Django's test client."""

from django.core.exceptions import ImproperlyConfigured
from django.test import Client, SimpleTestCase, override_settings


class UpstreamVerifyMiddlewareTest(SimpleTestCase):
    def get(self, path, **headers):
        return Client().get(path, HTTP_HOST="www.example.com", **headers)

    def test_requests(self):
        cases = [
            ("current credential", "/", {"HTTP_X_UPSTREAM_VERIFY": "new-credential"}, 200),
            ("previous credential, during rotation", "/", {"HTTP_X_UPSTREAM_VERIFY": "old-credential"}, 200),
            ("no credential", "/", {}, 403),
            ("wrong credential", "/", {"HTTP_X_UPSTREAM_VERIFY": "new-credentia"}, 403),
            ("longer credential", "/", {"HTTP_X_UPSTREAM_VERIFY": "new-credential "}, 403),
            ("empty credential", "/", {"HTTP_X_UPSTREAM_VERIFY": ""}, 403),
            ("health check exempt", "/healthz", {}, 200),
            ("exempt path is exact", "/healthz/", {}, 403),
            ("unknown path refused before URL resolution", "/nope", {}, 403),
        ]
        for name, path, headers, want in cases:
            with self.subTest(name):
                resp = self.get(path, **headers)
                self.assertEqual(resp.status_code, want, resp.content)
                if want == 403:
                    self.assertIn(b"forwarded by djfront's hostforward", resp.content)

    def test_client_address(self):
        # The test client's REMOTE_ADDR, 127.0.0.1, stands for hostforward's loopback address.
        verify = {"HTTP_X_UPSTREAM_VERIFY": "new-credential"}
        cases = [
            ("verified: the viewer's IPv4", "/addresses", {**verify, "HTTP_X_REAL_IP": "203.0.113.7"}, 200,
             "203.0.113.7 127.0.0.1"),
            ("verified: the viewer's IPv6", "/addresses", {**verify, "HTTP_X_REAL_IP": "2001:db8::1"}, 200,
             "2001:db8::1 127.0.0.1"),
            ("verified without X-Real-IP", "/addresses", verify, 200, "127.0.0.1 None"),
            ("verified, not an address", "/addresses", {**verify, "HTTP_X_REAL_IP": "203.0.113.7, 10.0.0.1"}, 200,
             "127.0.0.1 None"),
            ("verified, an IPv6 zone", "/addresses", {**verify, "HTTP_X_REAL_IP": "fe80::1%eth0"}, 200,
             "127.0.0.1 None"),
            ("forged header, no credential", "/addresses", {"HTTP_X_REAL_IP": "203.0.113.7"}, 403, None),
            ("forged header, wrong credential", "/addresses",
             {"HTTP_X_UPSTREAM_VERIFY": "nope", "HTTP_X_REAL_IP": "203.0.113.7"}, 403, None),
            ("forged header on an exempt path", "/healthz-addresses", {"HTTP_X_REAL_IP": "203.0.113.7"}, 200,
             "127.0.0.1 None"),
        ]
        for name, path, headers, want_status, want_body in cases:
            with self.subTest(name), override_settings(DJFRONT_UPSTREAM_EXEMPT_PATHS=["/healthz-addresses"]):
                resp = self.get(path, **headers)
                self.assertEqual(resp.status_code, want_status, resp.content)
                if want_body is not None:
                    self.assertEqual(resp.content.decode(), want_body)

    def test_refused_before_host_validation(self):
        # First in MIDDLEWARE: a forged host never reaches anything that reads it.
        resp = Client().get("/", HTTP_HOST="evil.example.net")
        self.assertEqual(resp.status_code, 403)

    @override_settings(DJFRONT_UPSTREAM_SECRETS=[])
    def test_no_secrets_turns_it_off(self):
        self.assertEqual(self.get("/").status_code, 200)

    def test_bad_settings(self):
        cases = [
            ("a string, not a list", {"DJFRONT_UPSTREAM_SECRETS": "abc"}, "DJFRONT_UPSTREAM_SECRETS must be a list"),
            ("an empty entry", {"DJFRONT_UPSTREAM_SECRETS": ["a", ""]}, "DJFRONT_UPSTREAM_SECRETS must be a list"),
            ("exempt path without slash", {"DJFRONT_UPSTREAM_EXEMPT_PATHS": ["healthz"]}, "DJFRONT_UPSTREAM_EXEMPT_PATHS must be"),
        ]
        for name, overrides, want in cases:
            with self.subTest(name), override_settings(**overrides):
                with self.assertRaises(ImproperlyConfigured) as caught:
                    self.get("/")
                self.assertIn(want, str(caught.exception))


class ConflictRetryMiddlewareTest(SimpleTestCase):
    """Its position; tests/test_postgres.py has it retry views on PostgreSQL."""

    databases = {"default"}  # it opens a transaction for the view

    def test_position(self):
        retry = "djfront.middleware.ConflictRetryMiddleware"
        csrf = "django.middleware.csrf.CsrfViewMiddleware"
        cases = [
            ("last", [csrf, retry], None),
            ("before CsrfViewMiddleware", [retry, csrf], f"{retry} must be last in MIDDLEWARE"),
        ]
        for name, middleware, want in cases:
            with self.subTest(name), override_settings(MIDDLEWARE=middleware):
                if want is None:
                    self.assertEqual(Client().get("/", HTTP_HOST="www.example.com").status_code, 200)
                    continue
                with self.assertRaises(ImproperlyConfigured) as caught:
                    Client().get("/", HTTP_HOST="www.example.com")
                self.assertIn(want, str(caught.exception))
