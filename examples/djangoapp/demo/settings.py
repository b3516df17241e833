"""Settings of the djfront example project.

Everything about running behind CloudFront and hostforward comes from the
djfront package (python/djfront: settings, UpstreamVerifyMiddleware, checks),
the one users install. djfront/ beside manage.py is a link to python/djfront,
so this directory alone is the whole app (the Lambda zip of AppMode
in-function: sam build copies the package in) and the end-to-end tests
exercise what users get. The rest is a minimal Django project; its variables:

    DJANGO_SECRET_KEY        the secret key (the default is for development only),
                             or DJANGO_SECRET_KEY_SECRET_ARN: the Secrets Manager
                             secret that holds it (deployed; djfront.settings.secret)
    DATABASE_URL             the database, for example postgres://USER:PASSWORD@HOST/NAME,
                             dsql://admin@ENDPOINT/postgres or sqlite:////tmp/db.sqlite3
                             (djfront.database), or DATABASE_URL_SECRET_ARN: the
                             secret that holds it; djfront.settings.apply() below
    DJANGO_DB_PATH           without DATABASE_URL, a SQLite database file (the local
                             launcher's; unset too, apply() names DATABASE_URL)
    DJANGO_STATIC_ROOT       where collectstatic writes when DJFRONT_BUCKET is unset
    DJANGO_MEDIA_ROOT        where uploads go when DJFRONT_BUCKET is unset
    DJANGO_STATICFILES_DIRS  extra static source directories, os.pathsep-separated
                             (tests add or change files there, not in the repository)
"""

import os
from pathlib import Path

from djfront import settings as djfront_settings
from djfront.settings import secret

BASE_DIR = Path(__file__).resolve().parent.parent

# Development only: a deployment names the secret key's secret in
# DJANGO_SECRET_KEY_SECRET_ARN. `manage.py check --deploy` flags this value.
SECRET_KEY = secret("DJANGO_SECRET_KEY") or "django-insecure-djfront-example-key-for-development-only-never-deploy"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "djfront",
    "probe",
]

MIDDLEWARE = [
    # First: a request without hostforward's X-Upstream-Verify gets 403
    # before anything reads its headers (off while DJFRONT_UPSTREAM_SECRETS
    # is unset).
    "djfront.middleware.UpstreamVerifyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "demo.urls"
WSGI_APPLICATION = "demo.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if os.environ.get("DJANGO_DB_PATH"):
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["DJANGO_DB_PATH"]}}

STATIC_ROOT = os.environ.get("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles"))
MEDIA_ROOT = os.environ.get("DJANGO_MEDIA_ROOT", str(BASE_DIR / "media"))
STATICFILES_DIRS = [d for d in os.environ.get("DJANGO_STATICFILES_DIRS", "").split(os.pathsep) if d]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Warnings and errors (DisallowedHost, 403 CSRF failures, 500 tracebacks) go
# to stderr, where gunicorn's output and the tests' failure messages show them;
# so does each conflict retry ("conflict, running VIEW again", djfront.transaction
# at INFO: Aurora DSQL's 40001s, to count in the logs).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
    "loggers": {"djfront.transaction": {"level": "INFO"}},
}

# Last: DEBUG, hosts, proxy headers, cookies, STORAGES, upstream secrets and
# DATABASES["default"] from DATABASE_URL, over anything above (for Aurora DSQL
# also ConflictRetryMiddleware, last in MIDDLEWARE).
djfront_settings.apply(globals())
