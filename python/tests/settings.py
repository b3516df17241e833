"""Settings for djfront's own tests (python -m django test, from python/)."""

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
