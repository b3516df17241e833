"""Tests of djfront.checks: each check flagged, and cleared by what its message says to set."""

from django.core.checks import run_checks
from django.test import SimpleTestCase, override_settings

MW = "djfront.middleware.UpstreamVerifyMiddleware"

# Settings that pass every djfront check.
GOOD = {
    "USE_X_FORWARDED_HOST": True,
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "ALLOWED_HOSTS": ["www.example.com", ".example.org", "localhost"],
    "CSRF_TRUSTED_ORIGINS": ["https://www.example.com", "https://example.org", "https://*.example.org"],
    "MIDDLEWARE": [MW, "django.middleware.common.CommonMiddleware"],
    "DJFRONT_UPSTREAM_SECRETS": ["s"],
    "MEDIA_URL": "https://media.example.net/media/",
    "STORAGES": {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "djfront.storage.StaticStorage", "OPTIONS": {"bucket_name": "b"}},
    },
}


def djfront_messages(**overrides):
    with override_settings(**{**GOOD, **overrides}):
        return {m.id: m for m in run_checks(include_deployment_checks=True) if m.id.startswith("djfront.")}


class ChecksTest(SimpleTestCase):
    def test_good_settings_pass(self):
        self.assertEqual(djfront_messages(), {})

    def test_only_with_deploy(self):
        with override_settings(**{**GOOD, "USE_X_FORWARDED_HOST": False}):
            ids = [m.id for m in run_checks() if m.id.startswith("djfront.")]
        self.assertEqual(ids, [])

    def test_each_check(self):
        s3 = "storages.backends.s3boto3.S3ManifestStaticStorage"
        cases = [
            # id, settings that trigger it, the fix its hint names, text the hint must contain
            ("djfront.W001", {"USE_X_FORWARDED_HOST": False}, {"USE_X_FORWARDED_HOST": True},
             "Set USE_X_FORWARDED_HOST = True"),
            ("djfront.W002", {"SECURE_PROXY_SSL_HEADER": None},
             {"SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https")},
             "Set SECURE_PROXY_SSL_HEADER = ('HTTP_X_FORWARDED_PROTO', 'https')"),
            ("djfront.W002", {"SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_SSL", "on")},
             {"SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https")}, "SECURE_PROXY_SSL_HEADER"),
            ("djfront.W003", {"CSRF_TRUSTED_ORIGINS": ["https://www.example.com"]},
             {"CSRF_TRUSTED_ORIGINS": ["https://www.example.com", "https://example.org", "https://*.example.org"]},
             "Add 'https://example.org', 'https://*.example.org' to CSRF_TRUSTED_ORIGINS"),
            ("djfront.W003", {"CSRF_TRUSTED_ORIGINS": ["http://www.example.com", "https://example.org", "https://*.example.org"]},
             {"CSRF_TRUSTED_ORIGINS": ["https://*.example.com", "https://example.org", "https://*.example.org"]},
             "Add 'https://www.example.com'"),
            ("djfront.W004", {"DJFRONT_UPSTREAM_SECRETS": []}, {"DJFRONT_UPSTREAM_SECRETS": ["s"]},
             "Set DJFRONT_UPSTREAM_SECRETS to hostforward's UPSTREAM_VERIFY_SECRET"),
            ("djfront.W005", {"MIDDLEWARE": ["django.middleware.common.CommonMiddleware"]},
             {"MIDDLEWARE": [MW, "django.middleware.common.CommonMiddleware"]},
             f"Add '{MW}' as the first entry of MIDDLEWARE"),
            ("djfront.W006", {"MIDDLEWARE": ["django.middleware.security.SecurityMiddleware", MW]},
             {"MIDDLEWARE": [MW, "django.middleware.security.SecurityMiddleware"]},
             f"Move '{MW}' to the top of MIDDLEWARE"),
            ("djfront.W007", {"MEDIA_URL": "/media/"}, {"MEDIA_URL": "/media/", "DJFRONT_MEDIA_SANDBOXED": True},
             "set DJFRONT_MEDIA_SANDBOXED = True"),
            ("djfront.W007", {"MEDIA_URL": "https://cdn.example.org/media/"},
             {"MEDIA_URL": "https://media.example.net/media/"}, "Serve media from another domain"),
            ("djfront.W008", {"STORAGES": {"staticfiles": {"BACKEND": s3, "OPTIONS": {}}}},
             {"STORAGES": {"staticfiles": {"BACKEND": "djfront.storage.StaticStorage"}}},
             "Set STORAGES['staticfiles']['BACKEND'] = 'djfront.storage.StaticStorage'"),
            ("djfront.W008", {"STORAGES": {"staticfiles": {"BACKEND": s3, "OPTIONS": {"object_parameters": {"CacheControl": "max-age=3600"}}}}},
             {"STORAGES": {"staticfiles": {"BACKEND": s3, "OPTIONS": {"object_parameters": {"CacheControl": "public, max-age=31536000"}}}}},
             "djfront.storage.StaticStorage"),
        ]
        for check_id, bad, fixed, hint in cases:
            with self.subTest(check_id, bad=bad):
                got = djfront_messages(**bad)
                self.assertIn(check_id, got, f"{bad} not flagged")
                self.assertIn(hint, got[check_id].hint)
                self.assertNotIn(check_id, djfront_messages(**fixed), f"{fixed} does not clear it")

    def test_local_static_storage_not_flagged(self):
        local = {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}
        self.assertNotIn("djfront.W008", djfront_messages(STORAGES=local))
