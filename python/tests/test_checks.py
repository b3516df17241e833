"""Tests of djfront.checks: each check flagged, and cleared by what its message says to set."""

from django.core.checks import run_checks
from django.test import SimpleTestCase, override_settings

MW = "djfront.middleware.UpstreamVerifyMiddleware"
RETRY = "djfront.middleware.ConflictRetryMiddleware"
DSQL = {"default": {"ENGINE": "aurora_dsql_django", "NAME": "postgres"}}

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
            ("djfront.W010", {"DATABASES": DSQL}, {"DATABASES": DSQL, "MIDDLEWARE": [MW, RETRY]},
             f"Add '{RETRY}' as the last entry of MIDDLEWARE"),
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


class AppliedSettingsTest(SimpleTestCase):
    """djfront.W009: a line after djfront's block changed what apply() set."""

    ENV = {"DJFRONT_HOSTS": "www.example.com", "DJFRONT_BUCKET": "assets-bucket", "AWS_REGION": "eu-west-1"}

    def setUp(self):
        import os
        import sys
        from unittest import mock

        os.environ.setdefault("DJFRONT_HOSTS", "import.example.com")  # the import computes settings
        from djfront import settings as djfront_settings

        self.djfront_settings = djfront_settings
        # The test settings module plays one that ran djfront's block.
        self.module = sys.modules[os.environ["DJANGO_SETTINGS_MODULE"]]
        self.module._djfront_settings = djfront_settings
        self.addCleanup(delattr, self.module, "_djfront_settings")
        patch = mock.patch.dict(os.environ, self.ENV)
        patch.start()
        self.addCleanup(patch.stop)

    def applied(self, env=None):
        """The settings apply() sets from env (default ENV)."""
        return self.djfront_settings.from_environ(env or self.ENV)

    def w009(self, base=None, **after):
        """W009's message, if any, for the settings apply() sets from ENV
        (or base) with after's changes on top."""
        with override_settings(**{**GOOD, **(base or self.applied()), **after}):
            found = [m for m in run_checks(include_deployment_checks=True) if m.id == "djfront.W009"]
        self.assertLessEqual(len(found), 1)
        return found[0].msg if found else None

    def test_each_change_after_the_block(self):
        cases = [
            ("DEBUG", {"DEBUG": True}, "DEBUG is True, djfront.settings set False"),
            ("ALLOWED_HOSTS", {"ALLOWED_HOSTS": ["www.example.com", "internal.example.com"]},
             "ALLOWED_HOSTS is ['www.example.com', 'internal.example.com'], djfront.settings set ['www.example.com']"),
            ("CSRF_COOKIE_SECURE", {"CSRF_COOKIE_SECURE": False}, "CSRF_COOKIE_SECURE is False"),
            ("STORAGES", {"STORAGES": {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}},
             "STORAGES is {'default': {'BACKEND': 'django.core.files.storage.FileSystemStorage'}"),
            ("STATIC_URL", {"STATIC_URL": "/static/"},
             "STATIC_URL is '/static/', djfront.settings set 'https://www.example.com/static/'"),
        ]
        for name, after, want in cases:
            with self.subTest(name):
                msg = self.w009(**after)
                self.assertIsNotNone(msg, f"{after} not flagged")
                self.assertIn(want, msg)
                self.assertIn(self.module.__name__, msg)
        # The settings as apply() set them pass, tuples for its lists too.
        self.assertIsNone(self.w009())
        self.assertIsNone(self.w009(ALLOWED_HOSTS=("www.example.com",)))

    def test_secret_key_and_database_after_the_block(self):
        # A literal SECRET_KEY or a DATABASES["default"] after the block
        # replaces the stack's key or DATABASE_URL's database: flagged by
        # name, never showing the key or the password.
        import copy
        from unittest import mock

        patch = mock.patch.dict(self.djfront_settings._applied, clear=True)
        patch.start()
        self.addCleanup(patch.stop)
        env = {**self.ENV, "DATABASE_URL": "postgres://app:db-hunter2@db.example/app"}
        block = {"SECRET_KEY": "the-stacks-key-hunter2", "DATABASES": {"other": {"ENGINE": "x"}}}
        self.djfront_settings.apply(block, env)
        default = block["DATABASES"]["default"]
        # What django.db.connections adds in place (setdefault).
        with_django_defaults = {"ATOMIC_REQUESTS": False, "CONN_MAX_AGE": 0, "TIME_ZONE": None, "TEST": {"NAME": None},
                                **copy.deepcopy(default), "OPTIONS": {"extra": 1, **default.get("OPTIONS", {})}}
        renamed = {**default, "NAME": "other"}
        sqlite = {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}
        cases = [
            ("as the block left them", {}, None),
            ("Django's defaults added", {"DATABASES": {**block["DATABASES"], "default": with_django_defaults}}, None),
            ("SECRET_KEY literal", {"SECRET_KEY": "django-insecure-hunter2"}, "SECRET_KEY is not what djfront's block set"),
            ("DATABASES['default'] replaced", {"DATABASES": {"default": sqlite}}, "DATABASES['default'] is not what"),
            ("DATABASES['default']['NAME'] changed", {"DATABASES": {"default": renamed}}, "DATABASES['default'] is not what"),
        ]
        for name, after, want in cases:
            with self.subTest(name):
                msg = self.w009(base=block, **after)
                if want is None:
                    self.assertIsNone(msg)
                    continue
                self.assertIsNotNone(msg, f"{name} not flagged")
                self.assertIn(want, msg)
                self.assertNotIn("hunter2", msg)

    def test_only_a_module_that_applied(self):
        self.assertIsNotNone(self.w009(DEBUG=True))
        # Settings written by hand, or the star import at the top (whose
        # later lines are meant to win): no djfront.settings module in the
        # settings module, nothing to compare.
        del self.module._djfront_settings
        self.addCleanup(setattr, self.module, "_djfront_settings", self.djfront_settings)
        self.assertIsNone(self.w009(DEBUG=True))

    def test_only_an_environment_apply_accepts(self):
        import os
        from unittest import mock

        self.assertIsNotNone(self.w009(DEBUG=True))
        # Without hosts or DEBUG apply() raises at start-up: no settings to
        # compare with.
        with mock.patch.dict(os.environ, {"DJFRONT_HOSTS": ""}):
            self.assertIsNone(self.w009(DEBUG=True))

    def test_media_sandboxed_from_the_environment(self):
        # The template's environment: media from the site's own host, sandboxed
        # by the distribution. Neither W007 nor W009 has anything to say.
        import os
        from unittest import mock

        env = {**self.ENV, "DJFRONT_MEDIA_SANDBOXED": "true"}
        with mock.patch.dict(os.environ, env):
            with override_settings(**{**GOOD, **self.applied(env)}):
                got = [m.id for m in run_checks(include_deployment_checks=True) if m.id in ("djfront.W007", "djfront.W009")]
            self.assertEqual(got, [])
            # A line after the block that turns it off is a change like any other.
            self.assertIn("DJFRONT_MEDIA_SANDBOXED is False", self.w009(DJFRONT_MEDIA_SANDBOXED=False))
        # Unset in the environment: the settings module's own value is not compared.
        self.assertIsNone(self.w009(DJFRONT_MEDIA_SANDBOXED=True))

    def test_upstream_secrets_not_read(self):
        # The secret's ARN is not read (no Secrets Manager here: reading it
        # would raise) and the secrets are not compared.
        import os
        from unittest import mock

        arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:upstream-AbCdEf"
        with mock.patch.dict(os.environ, {"DJFRONT_UPSTREAM_SECRETS_SECRET_ARN": arn, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}):
            self.assertIsNone(self.w009(DJFRONT_UPSTREAM_SECRETS=["rotated"]))
            self.assertIn("DEBUG is True", self.w009(DEBUG=True))
