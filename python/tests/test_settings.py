"""Tests of djfront.settings.from_environ."""

import os
import unittest

from django.core.exceptions import ImproperlyConfigured

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

    def test_star_import_exports_settings_only(self):
        self.assertEqual(djfront_settings.__all__, sorted(djfront_settings.from_environ(os.environ)))
        for name in djfront_settings.__all__:
            self.assertTrue(name.isupper(), name)
