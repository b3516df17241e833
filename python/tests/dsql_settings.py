"""Settings of the Aurora DSQL tests' own processes (tests/test_dsql.py):
Django's contrib apps, with the database djfront.settings.apply() makes of
DATABASE_URL. With DJFRONT_TEST_DSQL_STANDIN=1, that database (a local
PostgreSQL) is used through tests.dsql_standin, aurora-dsql-django's backend
on PostgreSQL, in the schema DJFRONT_TEST_DSQL_SCHEMA.
"""

import os

from djfront import settings as djfront_settings

SECRET_KEY = "djfront-tests-only"
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "djfront",
]
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

djfront_settings.apply(globals())

if os.environ.get("DJFRONT_TEST_DSQL_STANDIN"):
    DATABASES["default"]["ENGINE"] = "tests.dsql_standin"  # noqa: F821  (apply() set it)
    DATABASES["default"]["OPTIONS"]["options"] = f"-c search_path={os.environ['DJFRONT_TEST_DSQL_SCHEMA']}"  # noqa: F821
