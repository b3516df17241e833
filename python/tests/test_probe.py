"""Tests of djfront.probe, run with Django's test runner:

    cd python && ../.venv/bin/python -m django test tests.test_probe --settings=tests.probe_settings

(python/django_test.go's TestDjangoTests runs them with the package's other tests.)
"""

import os
from unittest import mock

from django.test import SimpleTestCase, override_settings

from djfront import probe

TOKEN = "probe-token-for-tests-0123456789"

# The proxy settings djfront's Django settings set, and the include as a
# project writes it: on the test classes, so that they pass under any
# settings module (tests.probe_settings or the package's tests.settings).
PROXIED = {
    "ALLOWED_HOSTS": ["www.example.com"],
    "USE_X_FORWARDED_HOST": True,
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    # Not the site itself: the probe must find it by scheme://get_host().
    "CSRF_TRUSTED_ORIGINS": ["https://admin.example.org"],
    "ROOT_URLCONF": "tests.probe_urls",
    "MIDDLEWARE": [],
}

# What hostforward sends for a viewer of https://www.example.com.
VIA_PROXY = {
    "HTTP_HOST": "a1b2c3.execute-api.us-east-1.amazonaws.com",
    "HTTP_X_FORWARDED_HOST": "www.example.com",
    "HTTP_X_FORWARDED_PROTO": "https",
    "HTTP_X_FORWARDED_FOR": "192.0.2.10",
    "REMOTE_ADDR": "10.0.0.5",
    "HTTP_ORIGIN": "https://www.example.com",
}


def headers(**changes):
    meta = dict(VIA_PROXY, HTTP_X_DJFRONT_PROBE_TOKEN=TOKEN)
    for key, value in changes.items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    return meta


@override_settings(DJFRONT_PROBE_TOKEN=TOKEN, **PROXIED)
class ProbeTest(SimpleTestCase):
    def get(self, **meta):
        return self.client.get("/djfront/probe/", **meta)

    def test_reports_what_django_saw(self):
        cases = {
            "through the proxy": (headers(), {
                "host": "www.example.com", "host_error": None, "scheme": "https", "is_secure": True,
                "remote_addr": "10.0.0.5", "x_forwarded_for": "192.0.2.10",
                "origin": "https://www.example.com", "csrf_origin_ok": True, "csrf_reason": None,
            }),
            "a trusted origin of another host": (headers(HTTP_ORIGIN="https://admin.example.org"), {
                "csrf_origin_ok": True,
            }),
            "the http origin of an https site": (headers(HTTP_ORIGIN="http://www.example.com"), {
                "csrf_origin_ok": False,
                "csrf_reason": "Origin 'http://www.example.com' is neither 'https://www.example.com' nor in CSRF_TRUSTED_ORIGINS",
            }),
            "no X-Forwarded-Proto: Django thinks http": (headers(HTTP_X_FORWARDED_PROTO=None), {
                "scheme": "http", "is_secure": False, "csrf_origin_ok": False,
            }),
            "no Origin": (headers(HTTP_ORIGIN=None), {
                "origin": None, "csrf_origin_ok": False, "csrf_reason": "no Origin header was sent",
            }),
            "a host Django refuses": (headers(HTTP_X_FORWARDED_HOST="d111.cloudfront.net"), {
                "host": None, "raw_host": "d111.cloudfront.net", "csrf_origin_ok": False,
                "csrf_reason": "Django refused the host, so no origin matches",
            }),
        }
        for name, (meta, want) in cases.items():
            with self.subTest(name):
                resp = self.get(**meta)
                self.assertEqual(resp.status_code, 200)
                got = resp.json()
                self.assertEqual(got["djfront_probe"], 1)
                for key, value in want.items():
                    self.assertEqual(got[key], value, key)

    def test_disallowed_host_names_the_error(self):
        got = self.get(**headers(HTTP_X_FORWARDED_HOST="evil.example")).json()
        self.assertIn("Invalid HTTP_HOST header: 'evil.example'", got["host_error"])

    def test_never_cached(self):
        for name, meta in {"answer": headers(), "refusal": headers(HTTP_X_DJFRONT_PROBE_TOKEN="wrong")}.items():
            with self.subTest(name):
                cache_control = self.get(**meta)["Cache-Control"]
                for directive in ("no-store", "private"):
                    self.assertIn(directive, cache_control)

    def test_refuses_a_wrong_or_missing_token(self):
        cases = {
            "wrong": headers(HTTP_X_DJFRONT_PROBE_TOKEN="probe-token-for-tests-0123456788"),
            "a prefix": headers(HTTP_X_DJFRONT_PROBE_TOKEN=TOKEN[:-1]),
            "missing": headers(HTTP_X_DJFRONT_PROBE_TOKEN=None),
        }
        for name, meta in cases.items():
            with self.subTest(name):
                resp = self.get(**meta)
                self.assertEqual(resp.status_code, 403)
                self.assertNotIn("host", resp.json())

    def test_compares_in_constant_time(self):
        with mock.patch.object(probe.hmac, "compare_digest", wraps=probe.hmac.compare_digest) as compare:
            self.assertEqual(self.get(**headers()).status_code, 200)
        compare.assert_called_once()
        a, b = compare.call_args.args
        self.assertEqual((len(a), len(b)), (32, 32), "digests, so the length does not show either")

    def test_safe_methods_only(self):
        for method in ("post", "put", "delete", "patch"):
            with self.subTest(method):
                resp = getattr(self.client, method)("/djfront/probe/", **headers())
                self.assertEqual(resp.status_code, 405)
        self.assertEqual(self.client.head("/djfront/probe/", **headers()).status_code, 200)


@override_settings(**PROXIED)
class ProbeOffTest(SimpleTestCase):
    def test_off_unless_a_long_enough_token_is_set(self):
        cases = {
            "unset": (None, None),
            "empty": ("", None),
            "too short": ("short-token", None),
            "too short in the environment": (None, "short-token"),
        }
        for name, (setting, environ) in cases.items():
            env = {} if environ is None else {"DJFRONT_PROBE_TOKEN": environ}
            with self.subTest(name), override_settings(DJFRONT_PROBE_TOKEN=setting), \
                    mock.patch.dict(os.environ, env):
                if environ is None:
                    os.environ.pop("DJFRONT_PROBE_TOKEN", None)
                token = setting or environ or "x"
                if "short" in name:
                    with self.assertLogs("djfront.probe", "WARNING"):
                        resp = self.client.get("/djfront/probe/", **headers(HTTP_X_DJFRONT_PROBE_TOKEN=token))
                else:
                    resp = self.client.get("/djfront/probe/", **headers(HTTP_X_DJFRONT_PROBE_TOKEN=token))
                self.assertEqual(resp.status_code, 404)

    def test_token_from_the_environment(self):
        with override_settings(DJFRONT_PROBE_TOKEN=None), mock.patch.dict(os.environ, {"DJFRONT_PROBE_TOKEN": TOKEN}):
            self.assertEqual(self.client.get("/djfront/probe/", **headers()).status_code, 200)
