"""djfront: the Django side of an app served through CloudFront, API Gateway
and the hostforward Lambda.

- djfront.settings: ALLOWED_HOSTS, the proxy headers, cookies, CSRF origins
  and S3 storages behind CloudFront, read from the environment
  (``from djfront.settings import *``);
- djfront.middleware.UpstreamVerifyMiddleware: 403 for requests that did not
  come through hostforward (its X-Upstream-Verify header);
- djfront.checks: system checks (``manage.py check --deploy``) for the
  settings the proxy chain needs; registered when "djfront" is in
  INSTALLED_APPS;
- djfront.storage.StaticStorage: S3 manifest static storage whose hashed
  files are cached for a year.

Importing this package computes nothing; djfront.settings reads the
environment when it is imported.
"""

__version__ = "0.1.0"
