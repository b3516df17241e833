"""Django settings for an app served by djfront.

djfront puts a Django app behind CloudFront -> API Gateway HTTP API -> the
hostforward Lambda -> the app. hostforward gives the app the viewer's host,
scheme and client address in X-Forwarded-* headers, after checking them; this
module tells Django to believe those headers, serves static and media files
from the stack's S3 bucket through the same CloudFront distribution, and
connects to the database that DATABASE_URL names.

Use it at the end of your project's settings.py (where `djfront init` puts
it), so that it sets what the lines above it leave to the environment:

    from djfront import settings as djfront_settings
    djfront_settings.apply(globals())

or at the top, before your own lines, as a star import:

    from djfront.settings import *  # noqa: F401,F403

Both set the values of from_environ() below and DATABASES["default"] from
DATABASE_URL (djfront.database has the URL contract and the connection
defaults). apply() sees your DATABASES: without DATABASE_URL it keeps your
"default", and without either it raises ImproperlyConfigured naming
DATABASE_URL; with DATABASE_URL it replaces your "default" and keeps your
other aliases. The star import runs before your lines, so it sets DATABASES
only when the environment names a database, and a DATABASES of yours below
it replaces that one. Importing this module reads nothing; the star import
reads the environment once, apply() each time it is called.

For a dsql:// DATABASE_URL (Aurora DSQL) both also set MIGRATION_MODULES:
djfront.dsql's auth and contenttypes migrations, which create those tables
in their final form since DSQL cannot alter their columns (your own
MIGRATION_MODULES entries win with apply()). apply() also puts
djfront.middleware.ConflictRetryMiddleware last in your MIDDLEWARE, which
runs a view again after DSQL's conflict error (40001); with the star
import, list it yourself (check --deploy warns, djfront.W010).

Put "djfront" in INSTALLED_APPS (its system checks) and
"djfront.middleware.UpstreamVerifyMiddleware" first in MIDDLEWARE.

The values come from the environment, named after the stack's outputs:

    DJFRONT_HOSTS            comma-separated viewer hosts: the custom domain
                             and/or dxxxx.cloudfront.net; ".example.com" means
                             the domain and its subdomains (Django semantics).
                             Required unless DJANGO_DEBUG is on.
    DJFRONT_BUCKET           the static and media bucket. Unset: static and
                             media stay on the local filesystem (development).
    DJFRONT_STATIC_PREFIX    key prefix (and URL path) of static files, "static".
    DJFRONT_MEDIA_PREFIX     key prefix (and URL path) of media files, "media".
    DJFRONT_CDN_DOMAIN       host[:port] that serves /static and /media (the
                             distribution); default: the first DJFRONT_HOSTS entry.
    DJFRONT_S3_ENDPOINT_URL  S3 endpoint for local emulators such as moto only.
    DJFRONT_MEDIA_SANDBOXED  "1"/"true"/"yes"/"on": the distribution sends
                             Content-Security-Policy: sandbox on media (the
                             template's does, and sets it), which check
                             djfront.W007 asks for. Unset: the settings
                             module's DJFRONT_MEDIA_SANDBOXED, if any, stands.
    DJFRONT_UPSTREAM_SECRETS comma-separated X-Upstream-Verify values the app
                             accepts (hostforward's UPSTREAM_VERIFY_SECRET);
                             two while you rotate it. Read by
                             djfront.middleware.UpstreamVerifyMiddleware.
                             Or DJFRONT_UPSTREAM_SECRETS_SECRET_ARN: the
                             secret hostforward sends (its
                             UPSTREAM_VERIFY_SECRET_ARN), whose AWSCURRENT,
                             AWSPENDING and AWSPREVIOUS values are accepted
                             (see secret_versions() below).
    AWS_REGION, AWS_DEFAULT_REGION   the bucket's region (first one set wins).
    DJANGO_DEBUG             "1"/"true"/"yes"/"on" turns DEBUG on; default off.
    DATABASE_URL             the database (djfront.database): postgres://,
                             dsql://, sqlite:///, mysql://. Or
                             DATABASE_URL_SECRET_ARN: the secret that holds it.
    DATABASE_PASSWORD        the password, when the URL has none. Or
                             DATABASE_PASSWORD_SECRET_ARN: a secret holding it,
                             or RDS's managed master user secret (JSON with
                             "password"), read again when the database
                             refuses it (RDS rotates it; djfront.postgresql).

A bad value raises ImproperlyConfigured naming the variable, so a broken
deployment stops at start-up instead of serving wrong links.

Secrets by ARN: secret("DJANGO_SECRET_KEY") returns the variable's value,
or, when DJANGO_SECRET_KEY_SECRET_ARN is set instead, the SecretString of
that Secrets Manager secret, read at settings import. The template's
in-function mode passes the secret key and the database URL that way, so no
value shows in the function's configuration. Outside AWS the endpoint comes
from AWS_ENDPOINT_URL_SECRETS_MANAGER or AWS_ENDPOINT_URL (moto, for local
runs), which boto3 1.26 does not read itself.

Django: https://docs.djangoproject.com/en/5.2/ref/settings/
django-storages (1.13): https://django-storages.readthedocs.io/en/1.13.2/backends/amazon-S3.html
"""

import copy
import hashlib
import ipaddress
import json
import os
import re
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from .database import ENGINES
from .database import parse as parse_database_url
from .dsql import MIGRATION_MODULES as DSQL_MIGRATION_MODULES

# The ENGINE of a PostgreSQL database whose password RDS rotates
# (DATABASE_PASSWORD_SECRET_ARN): Django's, reading the password again when
# the server refuses it (djfront.postgresql).
ROTATED_PASSWORD_ENGINE = "djfront.postgresql"
# The middleware that runs a view again after a conflict (SQLSTATE 40001),
# which Aurora DSQL reports at COMMIT instead of waiting for a lock.
CONFLICT_RETRY = "djfront.middleware.ConflictRetryMiddleware"

# One DNS label: letters, digits and inner hyphens, at most 63 characters.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOSTNAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
# S3 bucket naming rules (general purpose buckets).
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
# A key prefix: slash-separated segments of URL-safe characters.
_PREFIX = re.compile(r"[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*")
_REGION = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


def _fail(variable, value, problem):
    return ImproperlyConfigured(f"{variable}={value!r}: {problem}")


def _flag(environ, variable):
    """Return the boolean variable holds: False when unset or empty."""
    value = environ.get(variable, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise _fail(variable, value, "want one of 1, true, yes, on, 0, false, no, off")


def _media_sandboxed(environ):
    """Return {"DJFRONT_MEDIA_SANDBOXED": bool} when the environment says
    whether the distribution sandboxes media, else {}: the settings module's
    own value, if any, stands."""
    if not environ.get("DJFRONT_MEDIA_SANDBOXED", "").strip():
        return {}
    return {"DJFRONT_MEDIA_SANDBOXED": _flag(environ, "DJFRONT_MEDIA_SANDBOXED")}


def _is_ipv6_literal(host):
    if not (host.startswith("[") and host.endswith("]")):
        return False
    try:
        ipaddress.IPv6Address(host[1:-1])
    except ValueError:
        return False
    return True


def _host(variable, entry, *, pattern_ok, port_ok):
    """Validate one host name as Django's ALLOWED_HOSTS understands it.

    The value must be a bare host: hostforward and Django match the Host
    header's name, so a scheme, path or port here is a mistake that would
    make every request fail with DisallowedHost.
    """
    host = entry.strip().lower()
    if "://" in host:
        raise _fail(variable, entry, "give the host name without a scheme (no https://)")
    if "/" in host:
        raise _fail(variable, entry, "give the host name without a path")
    if host == "*":
        raise _fail(variable, entry, "name the hosts; '*' would accept any Host header")
    if _is_ipv6_literal(host):
        return host
    name, sep, port = host.partition(":")
    if sep:
        if not port_ok:
            raise _fail(variable, entry, "give the host name without a port")
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise _fail(variable, entry, "the port must be a number from 1 to 65535")
    bare = name[1:] if pattern_ok and name.startswith(".") else name
    if not _HOSTNAME.fullmatch(bare):
        raise _fail(variable, entry, "not a host name (letters, digits, hyphens and dots)")
    return host


def _hosts(environ, debug):
    raw = environ.get("DJFRONT_HOSTS", "")
    hosts = []
    for entry in raw.split(","):
        if entry.strip():
            host = _host("DJFRONT_HOSTS", entry, pattern_ok=True, port_ok=False)
            if host not in hosts:
                hosts.append(host)
    if not hosts and not debug:
        raise _fail(
            "DJFRONT_HOSTS", raw,
            "name the site's viewer hosts (a stack output) or set DJANGO_DEBUG=1",
        )
    return hosts


def _trusted_origins(hosts):
    """Return CSRF_TRUSTED_ORIGINS for hosts (Django 4.x wants scheme://host).

    ".example.com" allows the domain and every subdomain in ALLOWED_HOSTS; the
    origin list says the same with two entries, because "https://*.example.com"
    does not match the bare domain.
    """
    origins = []
    for host in hosts:
        if host.startswith("."):
            origins += [f"https://{host[1:]}", f"https://*{host}"]
        else:
            origins.append(f"https://{host}")
    return list(dict.fromkeys(origins))


def _prefix(environ, variable, default):
    raw = environ.get(variable, default)
    prefix = raw.strip().strip("/")
    if not _PREFIX.fullmatch(prefix) or any(s in (".", "..") for s in prefix.split("/")):
        raise _fail(variable, raw, "want a key prefix such as static or assets/static")
    return prefix


def _overlaps(a, b):
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def _endpoint(environ):
    raw = environ.get("DJFRONT_S3_ENDPOINT_URL", "").strip()
    if not raw:
        return None
    url = urlsplit(raw)
    if url.scheme not in ("http", "https") or not url.netloc or url.path not in ("", "/") \
            or url.query or url.fragment:
        raise _fail("DJFRONT_S3_ENDPOINT_URL", raw, "want http(s)://host[:port] of an S3 emulator")
    return raw


def _region(environ):
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        raw = environ.get(variable, "").strip()
        if raw:
            if not _REGION.fullmatch(raw):
                raise _fail(variable, raw, "not an AWS region name such as us-east-1")
            return raw
    return None  # boto3 falls back to its own configuration chain.


def _storages(environ, hosts, static_prefix, media_prefix):
    """Return STORAGES, STATIC_URL and MEDIA_URL."""
    bucket = environ.get("DJFRONT_BUCKET", "").strip()
    if not bucket:
        # Development: files under STATIC_ROOT / MEDIA_ROOT (set those in your
        # settings). The manifest storage writes the same hashed names as the S3
        # one, so templates behave the same; with DEBUG on it serves originals.
        return (
            {
                "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                "staticfiles": {
                    "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage",
                },
            },
            f"/{static_prefix}/",
            f"/{media_prefix}/",
        )
    if not _BUCKET.fullmatch(bucket):
        raise _fail("DJFRONT_BUCKET", bucket, "not an S3 bucket name")

    cdn = environ.get("DJFRONT_CDN_DOMAIN", "").strip()
    variable = "DJFRONT_CDN_DOMAIN"
    if not cdn:
        if not hosts or hosts[0].startswith("."):
            raise _fail(
                "DJFRONT_CDN_DOMAIN", cdn,
                "required with DJFRONT_BUCKET when the first DJFRONT_HOSTS entry is not a host",
            )
        cdn, variable = hosts[0], "DJFRONT_HOSTS"
    cdn = _host(variable, cdn, pattern_ok=False, port_ok=True)

    common = {
        "bucket_name": bucket,
        # url() returns https://<cdn>/<location>/<name>: the file through
        # CloudFront (the bucket is private, readable by the distribution only).
        "custom_domain": cdn,
        # No presigned query strings: CloudFront caches one URL per file, and
        # signatures would make every URL unique and expire.
        "querystring_auth": False,
        "region_name": _region(environ),
        # No ACLs: the bucket enforces bucket-owner ownership (ACLs disabled).
        "default_acl": None,
    }
    endpoint = _endpoint(environ)
    if endpoint:
        # Local emulators answer on one host name, so bucket-in-path URLs.
        # (boto3 1.26 does not read AWS_ENDPOINT_URL itself, hence this variable.)
        common.update(endpoint_url=endpoint, addressing_style="path")

    storages = {
        # Media: user uploads under <media prefix>/. file_overwrite False keeps
        # each upload under a new name, so a cached copy is never stale and
        # nothing needs invalidating.
        "default": {
            "BACKEND": "storages.backends.s3boto3.S3Boto3Storage",
            "OPTIONS": {**common, "location": media_prefix, "file_overwrite": False},
        },
        # Static: collectstatic uploads name.<12 hex>.ext, the original name and
        # staticfiles.json under <static prefix>/; templates link the hashed
        # names, which never change, and the invalidate Lambda refreshes the rest.
        # djfront.storage.StaticStorage adds Cache-Control for the hashed copies only.
        "staticfiles": {
            "BACKEND": "djfront.storage.StaticStorage",
            "OPTIONS": {**common, "location": static_prefix},
        },
    }
    # The storages build their URLs themselves; these say the same for code
    # that reads the settings directly ({% get_static_prefix %}, admin, apps).
    return storages, f"https://{cdn}/{static_prefix}/", f"https://{cdn}/{media_prefix}/"


def _upstream_secrets(environ):
    # The template's in-function mode names the secret instead
    # (DJFRONT_UPSTREAM_SECRETS_SECRET_ARN: the one hostforward sends, whole,
    # as X-Upstream-Verify; hostforward re-reads it, so its pending and
    # previous values are accepted too).
    versions = secret_versions("DJFRONT_UPSTREAM_SECRETS", environ)
    if versions is not None:
        return versions
    raw = environ.get("DJFRONT_UPSTREAM_SECRETS") or ""
    secrets = [s.strip() for s in raw.split(",")] if raw.strip() else []
    if any(not s for s in secrets):
        # Never echo the value: it is a secret.
        raise ImproperlyConfigured("DJFRONT_UPSTREAM_SECRETS: empty entry in the comma-separated list")
    return secrets


def _secretsmanager(environ):
    import boto3  # only when a secret is named by ARN

    endpoint = environ.get("AWS_ENDPOINT_URL_SECRETS_MANAGER") or environ.get("AWS_ENDPOINT_URL") or None
    return boto3.client("secretsmanager", region_name=_region(environ), endpoint_url=endpoint)


def secret(name, environ=None, client=None):
    """Return the value of the variable name, or of the secret it names.

    With name + "_SECRET_ARN" set, the value is the SecretString of that
    Secrets Manager secret (GetSecretValue through client, by default a
    boto3 client built from environ); otherwise environ[name], or None when
    unset. Setting both is an error. Raises ImproperlyConfigured naming the
    variable when the ARN is malformed or the secret cannot be read; the
    message never contains a secret value.
    """
    environ = os.environ if environ is None else environ
    arn = _secret_arn(name, environ)
    if not arn:
        return environ.get(name)
    variable = name + "_SECRET_ARN"
    return _read_secret(variable, arn, _client(variable, arn, environ, client), "AWSCURRENT")


def secret_versions(name, environ=None, client=None):
    """Return the values of the secret name + "_SECRET_ARN" names: its
    AWSCURRENT value, then those of AWSPENDING and AWSPREVIOUS when they
    exist; or None when that variable is unset. Errors as secret().

    For a credential one side sends and the other checks: the checking side,
    read at start-up, still accepts what the sending side, re-reading the
    secret later, sends once a rotation has staged a new value as AWSPENDING
    and then made it AWSCURRENT.
    """
    environ = os.environ if environ is None else environ
    arn = _secret_arn(name, environ)
    if not arn:
        return None
    variable = name + "_SECRET_ARN"
    client = _client(variable, arn, environ, client)
    values = [_read_secret(variable, arn, client, "AWSCURRENT")]
    for stage in ("AWSPENDING", "AWSPREVIOUS"):
        value = _read_secret(variable, arn, client, stage, missing_ok=True)
        if value is not None and value not in values:
            values.append(value)
    return values


def _secret_arn(name, environ):
    """Return the checked value of name + "_SECRET_ARN", or "" when unset."""
    variable = name + "_SECRET_ARN"
    arn = environ.get(variable, "").strip()
    if not arn:
        return ""
    if environ.get(name):
        raise ImproperlyConfigured(f"{variable}: set it or {name}, not both")
    if not (arn.startswith("arn:") and ":secretsmanager:" in arn):
        # Never echo the value: it may be a secret pasted into the wrong variable.
        raise ImproperlyConfigured(
            f"{variable}: not a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)"
        )
    return arn


def _client(variable, arn, environ, client):
    """Return client, or a Secrets Manager client built from environ."""
    if client is not None:
        return client
    try:
        return _secretsmanager(environ)
    except Exception as err:  # missing boto3, a bad region or endpoint
        raise ImproperlyConfigured(f"{variable}: cannot read secret {arn}: {type(err).__name__}") from None


def _read_secret(variable, arn, client, stage, missing_ok=False):
    """Return the SecretString of arn's version labelled stage; None when
    missing_ok and no version carries the label."""
    try:
        answer = client.get_secret_value(SecretId=arn, VersionStage=stage)
    except Exception as err:  # botocore's ClientError, credentials, endpoint, missing boto3
        code = getattr(err, "response", {}).get("Error", {}).get("Code") or type(err).__name__
        if missing_ok and code == "ResourceNotFoundException":
            return None
        suffix = "" if stage == "AWSCURRENT" else f" ({stage})"
        raise ImproperlyConfigured(f"{variable}: cannot read secret {arn}{suffix}: {code}") from None
    value = answer.get("SecretString")
    if not value and missing_ok:
        return None  # a version staged without a value yet
    if not value:
        raise ImproperlyConfigured(f"{variable}: secret {arn} has no SecretString (binary or empty)")
    return value


def from_environ(environ):
    """Return the djfront settings, by name, computed from environ.

    Raises ImproperlyConfigured naming the variable when a value is malformed.
    """
    debug = _flag(environ, "DJANGO_DEBUG")
    hosts = _hosts(environ, debug)
    static_prefix = _prefix(environ, "DJFRONT_STATIC_PREFIX", "static")
    media_prefix = _prefix(environ, "DJFRONT_MEDIA_PREFIX", "media")
    if _overlaps(static_prefix, media_prefix):
        raise _fail(
            "DJFRONT_MEDIA_PREFIX", media_prefix,
            f"must not overlap DJFRONT_STATIC_PREFIX={static_prefix!r}: "
            "uploads could replace static files",
        )
    storages, static_url, media_url = _storages(environ, hosts, static_prefix, media_prefix)

    return {
        "DEBUG": debug,
        # The viewer hosts, checked by Django against the host it is given. With
        # DEBUG on and no hosts, Django allows localhost variants by itself.
        "ALLOWED_HOSTS": hosts,
        # Django >= 4.0 checks a POST's Origin header against scheme://host of the
        # request (right, once the two settings below hold) and this list; list
        # the site's origins explicitly so cross-subdomain forms work too.
        "CSRF_TRUSTED_ORIGINS": _trusted_origins(hosts),
        # The app's Host header is whatever the last hop used; the viewer's host
        # is in X-Forwarded-Host. Django takes that header verbatim, so this is
        # safe ONLY because hostforward overwrites X-Forwarded-Host on every
        # request with the one viewer host it checked against its own
        # ALLOWED_HOSTS (a client-sent copy never gets through). An app that
        # clients can reach without passing hostforward must refuse their
        # requests, or anyone could pick the host that password-reset mails
        # and absolute URLs are built from: UpstreamVerifyMiddleware, first in
        # MIDDLEWARE, answers 403 to requests without hostforward's
        # X-Upstream-Verify (DJFRONT_UPSTREAM_SECRETS below).
        "USE_X_FORWARDED_HOST": True,
        # is_secure() is true when X-Forwarded-Proto is "https". hostforward
        # always replaces that header with the viewer's scheme (CloudFront
        # redirects http to https), so secure cookies, https:// absolute URLs
        # and the CSRF Origin check come out right. Same trust rule as above.
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
        # get_port() reads X-Forwarded-Port (hostforward sends 443 for https)
        # instead of the app server's own port. Django uses it when it rebuilds
        # a host without a Host header and in the CSRF Referer check when
        # CSRF_COOKIE_DOMAIN is set, which would otherwise compare against
        # "example.com:8000". Same trust rule as above.
        "USE_X_FORWARDED_PORT": True,
        # The session and CSRF cookies only travel over https, which the viewer
        # always uses; off in DEBUG so http://localhost development still logs in.
        "SESSION_COOKIE_SECURE": not debug,
        "CSRF_COOKIE_SECURE": not debug,
        # HSTS and the other security headers are added by CloudFront's managed
        # SecurityHeadersPolicy, and http -> https by the viewer protocol policy,
        # so SECURE_HSTS_* and SECURE_SSL_REDIRECT are left to the distribution.
        "STORAGES": storages,
        "STATIC_URL": static_url,
        "MEDIA_URL": media_url,
        # What UpstreamVerifyMiddleware accepts; empty turns it off (and
        # `check --deploy` says so).
        "DJFRONT_UPSTREAM_SECRETS": _upstream_secrets(environ),
        # Whether media responses carry Content-Security-Policy: sandbox
        # (the template's distribution sends it on /media/*), for check
        # W007; only when the environment says.
        **_media_sandboxed(environ),
    }


def database(environ=None, client=None):
    """Return DATABASES["default"] as the environment describes it, or None.

    The URL is DATABASE_URL, or the secret DATABASE_URL_SECRET_ARN names
    (secret()); the password, when the URL has none, DATABASE_PASSWORD or
    the secret DATABASE_PASSWORD_SECRET_ARN names, whose value may be RDS's
    JSON {"username": ..., "password": ...}. With that secret and a
    postgres:// URL, ENGINE is ROTATED_PASSWORD_ENGINE and PASSWORD_SOURCE
    reads the secret again: a connection refused after RDS rotated the
    password retries once with the new one. None when no URL is set.
    Raises ImproperlyConfigured naming the variable, never showing a value.
    """
    environ = os.environ if environ is None else environ
    url = secret("DATABASE_URL", environ, client)
    if not url:
        return None
    db = parse_database_url(url)
    source = _PasswordSource(environ, client)
    password = source()
    if password:
        if db.get("PASSWORD") or not db.get("HOST") or db["ENGINE"] == "aurora_dsql_django":
            raise ImproperlyConfigured(
                "DATABASE_PASSWORD: set only for a postgres:// or mysql:// DATABASE_URL without a password"
            )
        db["PASSWORD"] = password
        if source.arn and db["ENGINE"] == ENGINES["postgres"]:
            # RDS rotates it: djfront.postgresql reads it again when refused.
            db.update(ENGINE=ROTATED_PASSWORD_ENGINE, PASSWORD_SOURCE=source)
    return db


class _PasswordSource:
    """The password of DATABASE_PASSWORD, or of the secret that
    DATABASE_PASSWORD_SECRET_ARN names, read anew at each call (None when
    neither is set). Its repr shows the ARN only."""

    def __init__(self, environ, client):
        self.environ, self.client = environ, client
        self.arn = _secret_arn("DATABASE_PASSWORD", environ)

    def __call__(self):
        value = secret("DATABASE_PASSWORD", self.environ, self.client)
        return _password(value, bool(self.arn)) if value else value

    def __repr__(self):
        return f"<password of {self.arn or 'DATABASE_PASSWORD'}>"

    def __deepcopy__(self, memo):
        return self  # holds no state to copy: settings copies share the reader


def _password(value, from_secret):
    """Return the password a DATABASE_PASSWORD value holds."""
    if not (from_secret and value.lstrip().startswith("{")):
        return value
    # RDS's managed master user secret: {"username": "...", "password": "..."}
    try:
        doc = json.loads(value)
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("password"), str) or not doc["password"]:
        raise ImproperlyConfigured(
            'DATABASE_PASSWORD_SECRET_ARN: the secret is JSON without a "password" string'
        )
    return doc["password"]


def exported(environ=None):
    """Return what the star import exports: from_environ(environ), plus
    DATABASES when the environment names a database (database())."""
    environ = os.environ if environ is None else environ
    values = from_environ(environ)
    db = database(environ)
    if db is not None:
        values["DATABASES"] = {"default": db}
        values.update(_migration_modules(db, {}))
    return values


def _migration_modules(db, mine):
    """Return {"MIGRATION_MODULES": ...} for the database db, over mine (the
    settings module's MIGRATION_MODULES, which wins), or {} when db needs
    none. Aurora DSQL: Django's auth and contenttypes migrations made for it
    (djfront.dsql), since it cannot alter the columns they change."""
    if db["ENGINE"] != ENGINES["dsql"]:
        return {}
    return {"MIGRATION_MODULES": {**DSQL_MIGRATION_MODULES, **mine}}


def _conflict_retry(db, middleware):
    """Return {"MIDDLEWARE": middleware with CONFLICT_RETRY last} for the
    database db when it needs a conflict retry (Aurora DSQL: 40001 at
    COMMIT) and middleware lacks it; else {}."""
    if db["ENGINE"] != ENGINES["dsql"] or CONFLICT_RETRY in middleware:
        return {}
    return {"MIDDLEWARE": [*middleware, CONFLICT_RETRY]}


# LOGGING when the settings module has none: Django's own defaults print a
# 500's traceback only with DEBUG on (and mail it to ADMINS otherwise), so a
# deployed app's errors would never reach the function's log, where
# hostforward's readiness messages send the reader. stderr is that log.
STDERR_LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"djfront_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
    "handlers": {
        "djfront_stderr": {"class": "logging.StreamHandler", "filters": ["djfront_debug_false"]},
    },
    "loggers": {
        "django.request": {"handlers": ["djfront_stderr"], "level": "ERROR"},
        "djfront": {"handlers": ["djfront_stderr"], "level": "INFO"},
    },
}


def _logging(current):
    """Return {"LOGGING": LOGGING} when the settings module set no LOGGING of
    its own (current is None or empty), else {}."""
    return {} if current else {"LOGGING": copy.deepcopy(STDERR_LOGGING)}


def apply(namespace, environ=None):
    """Set the djfront settings in namespace, a settings module's globals().

    Call it at the end of the module: it sets from_environ(environ) over
    what namespace holds, and DATABASES["default"] from DATABASE_URL
    (database()), keeping namespace's other DATABASES aliases. Without a
    DATABASE_URL it keeps namespace's DATABASES["default"], or raises
    ImproperlyConfigured naming DATABASE_URL when there is none. For Aurora
    DSQL it also sets MIGRATION_MODULES (djfront.dsql) and puts
    CONFLICT_RETRY last in MIDDLEWARE unless namespace has it. Without a
    LOGGING of namespace's it sets LOGGING (STDERR_LOGGING: a 500's traceback
    and djfront's own lines on stderr, the function's log). Returns the
    settings it set, by name.
    """
    environ = os.environ if environ is None else environ
    values = from_environ(environ)
    databases = namespace.get("DATABASES") or {}
    db = database(environ)
    if db is not None:
        values["DATABASES"] = {**databases, "default": db}
        values.update(_migration_modules(db, namespace.get("MIGRATION_MODULES") or {}))
        values.update(_conflict_retry(db, namespace.get("MIDDLEWARE") or []))
    elif not databases.get("default"):
        raise ImproperlyConfigured(
            "DATABASE_URL is unset: set it (or DATABASE_URL_SECRET_ARN) to the database's URL, "
            "for example postgres://USER:PASSWORD@HOST/NAME or sqlite:////tmp/db.sqlite3, "
            "or define DATABASES before djfront.settings.apply()"
        )
    values.update(_logging(namespace.get("LOGGING")))
    namespace.update(values)
    _record(namespace, values)
    return values


# What the last apply() left, for djfront.checks (djfront.W009) to compare
# the final settings with: "SECRET_KEY", a SHA-256 digest of the key (never
# the key), and "DATABASES", a copy of the DATABASES["default"] apply() set
# (only when it set one).
_applied = {}


def key_digest(key):
    """Return the SHA-256 digest (hex) of SECRET_KEY key, "" for a non-string."""
    return hashlib.sha256(key.encode()).hexdigest() if isinstance(key, str) else ""


def _record(namespace, values):
    """Record in _applied what apply() left in namespace."""
    _applied.clear()
    if namespace.get("SECRET_KEY"):
        _applied["SECRET_KEY"] = key_digest(namespace["SECRET_KEY"])
    if "DATABASES" in values:
        _applied["DATABASES"] = copy.deepcopy(values["DATABASES"]["default"])


def __getattr__(name):
    """Compute the star import's settings on first use (PEP 562).

    `from djfront.settings import *` asks for __all__ first: the settings
    are computed then, from os.environ, and stay for the process.
    """
    if "__all__" in globals() or (name != "__all__" and not name.isupper()):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    values = exported()
    globals().update(values)
    # The star import exports the settings and nothing else.
    globals()["__all__"] = sorted(values)
    if name not in globals():
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return globals()[name]
