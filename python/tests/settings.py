"""Settings for djfront's own tests (python -m django test, from python/)."""

import os

SECRET_KEY = "djfront-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["www.example.com", "testserver"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "djfront"]
MIDDLEWARE = ["djfront.middleware.UpstreamVerifyMiddleware", "django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "tests.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DJFRONT_UPSTREAM_SECRETS = ["new-credential", "old-credential"]
DJFRONT_UPSTREAM_EXEMPT_PATHS = ["/healthz"]
USE_TZ = True

# A PostgreSQL database of the test's own (go test ./python starts one):
# tests/test_postgres.py uses it as is, as the "postgres" alias, with the
# connection settings djfront.database gives a postgres:// URL.
if os.environ.get("DJFRONT_TEST_POSTGRES_URL"):
    from djfront.database import parse

    DATABASES["postgres"] = parse(os.environ["DJFRONT_TEST_POSTGRES_URL"])
