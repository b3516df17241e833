"""Settings of the Aurora DSQL tests' own processes (tests/test_dsql.py):
Django's contrib apps, with the database djfront.settings.apply() makes of
DATABASE_URL. With DJFRONT_TEST_DSQL_STANDIN=1, the settings apply() makes
of a dsql:// URL, but DATABASE_URL's database (a local PostgreSQL) used
through tests.dsql_standin, aurora-dsql-django's backend on PostgreSQL, in
the schema DJFRONT_TEST_DSQL_SCHEMA. There, DJFRONT_TEST_DSQL_DJANGO_MIGRATIONS=1
takes Django's own migrations instead of djfront.dsql's, and
DJFRONT_TEST_DSQL_ACCEPT_ALL=1 makes the stand-in refuse nothing: both, the
schema Django's migrations would make if DSQL took all they ask.
"""

import os

from djfront import settings as djfront_settings
from djfront.database import parse as parse_database_url

# The cluster the stand-in stands for.
DSQL_URL = "dsql://admin@abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws/postgres"

SECRET_KEY = "djfront-tests-only"
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "djfront",
    "tests.dsql_app",
]
ROOT_URLCONF = "tests.dsql_urls"
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Each DDL statement the adapter wrote on stdout ("DDL: ..."), for the test to read.
LOGGING = {
    "version": 1,
    "formatters": {"ddl": {"format": "DDL: %(message)s"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "ddl"}},
    "loggers": {"tests.dsql_standin": {"handlers": ["stdout"], "level": "DEBUG", "propagate": False}},
}

if os.environ.get("DJFRONT_TEST_DSQL_STANDIN"):
    # What apply() makes of a dsql:// URL (MIGRATION_MODULES among it), with
    # DATABASE_URL's local PostgreSQL as the connection.
    djfront_settings.apply(globals(), {**os.environ, "DATABASE_URL": DSQL_URL})
    DATABASES["default"] = {  # noqa: F821  (apply() set it)
        **parse_database_url(os.environ["DATABASE_URL"]),
        "ENGINE": "tests.dsql_standin",
    }
    DATABASES["default"]["OPTIONS"]["options"] = f"-c search_path={os.environ['DJFRONT_TEST_DSQL_SCHEMA']}"
    DATABASES["default"]["DSQL_STANDIN_ACCEPT_ALL"] = bool(os.environ.get("DJFRONT_TEST_DSQL_ACCEPT_ALL"))
    if os.environ.get("DJFRONT_TEST_DSQL_DJANGO_MIGRATIONS"):
        MIGRATION_MODULES = {}
else:
    djfront_settings.apply(globals())
