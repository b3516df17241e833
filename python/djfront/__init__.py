"""djfront: the Django side of an app served through CloudFront, API Gateway
and the hostforward Lambda.

- djfront.settings: ALLOWED_HOSTS, the proxy headers, cookies, CSRF origins,
  S3 storages behind CloudFront and DATABASES, read from the environment
  (``djfront.settings.apply(globals())`` at the end of settings.py, or
  ``from djfront.settings import *``);
- djfront.database: DATABASES["default"] from a DATABASE_URL (PostgreSQL,
  Aurora DSQL, SQLite, MySQL) with connections that survive Lambda's freeze;
- djfront.middleware.UpstreamVerifyMiddleware: 403 for requests that did not
  come through hostforward (its X-Upstream-Verify header);
- djfront.transaction.retry_on_conflict and
  djfront.middleware.ConflictRetryMiddleware: a transaction run again on a
  serialization conflict (Aurora DSQL's optimistic concurrency);
- djfront.checks: system checks (``manage.py check --deploy``) for the
  settings the proxy chain needs; registered when "djfront" is in
  INSTALLED_APPS;
- djfront.storage.StaticStorage: S3 manifest static storage whose hashed
  files are cached for a year.

Importing this package, or any of its modules, reads nothing; the settings
are read when apply() is called or the star import runs.
"""

__version__ = "0.1.0"
