"""Minimal settings for the probe view's tests (tests/test_probe.py): the
proxy settings djfront's Django settings set, no database."""

SECRET_KEY = "djfront-probe-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["www.example.com"]
USE_X_FORWARDED_HOST = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Not the site itself: the probe must find it by scheme://get_host().
CSRF_TRUSTED_ORIGINS = ["https://admin.example.org"]
ROOT_URLCONF = "tests.probe_urls"
INSTALLED_APPS = []
MIDDLEWARE = []
DATABASES = {}
USE_TZ = True
LOGGING_CONFIG = None
