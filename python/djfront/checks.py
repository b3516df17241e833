"""System checks for an app behind djfront (``manage.py check --deploy``).

Each catches a trap of running Django behind CloudFront, API Gateway and
hostforward, and its message says what to set. They run with --deploy only:
development settings are not expected to meet them.
"""

import os
import sys
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

MIDDLEWARE = "djfront.middleware.UpstreamVerifyMiddleware"
CONFLICT_RETRY = "djfront.middleware.ConflictRetryMiddleware"
DSQL_ENGINE = "aurora_dsql_django"
PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Hosts of local runs, which no viewer uses: they need no trusted origin.
LOCAL_HOSTS = frozenset({"localhost", ".localhost", "127.0.0.1", "[::1]", "*"})
YEAR = 31536000


@register(Tags.security, deploy=True)
def check_proxy_headers(app_configs=None, **kwargs):
    """USE_X_FORWARDED_HOST and SECURE_PROXY_SSL_HEADER, as hostforward sends them."""
    errors = []
    if not getattr(settings, "USE_X_FORWARDED_HOST", False):
        errors.append(Warning(
            "USE_X_FORWARDED_HOST is off: behind hostforward the Host header is the last hop's, so "
            "Django sees the wrong host (DisallowedHost, wrong absolute URLs).",
            hint="Set USE_X_FORWARDED_HOST = True (djfront.settings does).",
            id="djfront.W001",
        ))
    if tuple(getattr(settings, "SECURE_PROXY_SSL_HEADER", None) or ()) != PROXY_SSL_HEADER:
        errors.append(Warning(
            "SECURE_PROXY_SSL_HEADER is not ('HTTP_X_FORWARDED_PROTO', 'https'): TLS ends at CloudFront, "
            "so request.is_secure() is False, absolute URLs say http:// and CSRF's Origin check fails.",
            hint="Set SECURE_PROXY_SSL_HEADER = ('HTTP_X_FORWARDED_PROTO', 'https') (djfront.settings does).",
            id="djfront.W002",
        ))
    return errors


def _required_origins(hosts):
    for host in hosts:
        if host in LOCAL_HOSTS:
            continue
        if host.startswith("."):
            yield f"https://{host[1:]}"
            yield f"https://*{host}"
        else:
            yield f"https://{host}"


def _covered(origin, trusted):
    if origin in trusted:
        return True
    scheme, _, host = origin.partition("://")
    for t in trusted:
        t_scheme, _, t_host = t.partition("://")
        if t_scheme == scheme and t_host.startswith("*.") and not host.startswith("*") \
                and host.endswith(t_host[1:]):
            return True
    return False


@register(Tags.security, Tags.compatibility, deploy=True)
def check_csrf_trusted_origins(app_configs=None, **kwargs):
    """CSRF_TRUSTED_ORIGINS covers every viewer host in ALLOWED_HOSTS."""
    trusted = list(getattr(settings, "CSRF_TRUSTED_ORIGINS", []))
    missing = [o for o in _required_origins(getattr(settings, "ALLOWED_HOSTS", [])) if not _covered(o, trusted)]
    if not missing:
        return []
    return [Warning(
        "CSRF_TRUSTED_ORIGINS does not cover " + ", ".join(missing) + ": forms posted from those "
        "origins fail Django's Origin check with 403.",
        hint="Add " + ", ".join(repr(o) for o in missing) + " to CSRF_TRUSTED_ORIGINS "
        "(djfront.settings derives the list from DJFRONT_HOSTS).",
        id="djfront.W003",
    )]


@register(Tags.security, deploy=True)
def check_upstream_middleware(app_configs=None, **kwargs):
    """UpstreamVerifyMiddleware first in MIDDLEWARE, with secrets to check."""
    middleware = list(getattr(settings, "MIDDLEWARE", None) or [])
    secrets = getattr(settings, "DJFRONT_UPSTREAM_SECRETS", None) or []
    if not secrets:
        return [Warning(
            "DJFRONT_UPSTREAM_SECRETS is empty: the app answers requests that did not come through "
            "hostforward, and anyone who finds its address can forge X-Forwarded-Host and -Proto.",
            hint="Set DJFRONT_UPSTREAM_SECRETS to hostforward's UPSTREAM_VERIFY_SECRET (environment "
            "variable DJFRONT_UPSTREAM_SECRETS with djfront.settings) and put "
            f"'{MIDDLEWARE}' first in MIDDLEWARE.",
            id="djfront.W004",
        )]
    if MIDDLEWARE not in middleware:
        return [Warning(
            f"DJFRONT_UPSTREAM_SECRETS is set but {MIDDLEWARE} is not in MIDDLEWARE: nothing checks "
            "X-Upstream-Verify.",
            hint=f"Add '{MIDDLEWARE}' as the first entry of MIDDLEWARE.",
            id="djfront.W005",
        )]
    if middleware[0] != MIDDLEWARE:
        return [Warning(
            f"{MIDDLEWARE} is not first in MIDDLEWARE: {middleware[0]} and the others before it run "
            "on requests that did not come through hostforward.",
            hint=f"Move '{MIDDLEWARE}' to the top of MIDDLEWARE.",
            id="djfront.W006",
        )]
    return []


def _site_origin(url, hosts):
    """Whether url (MEDIA_URL) is served from one of the site's own hosts."""
    parts = urlsplit(url)
    if not parts.netloc:
        return True  # a path: the site's own origin
    host = (parts.hostname or "").lower()
    for h in hosts:
        if h == host or (h.startswith(".") and (host == h[1:] or host.endswith(h))):
            return True
    return False


@register(Tags.security, deploy=True)
def check_media_origin(app_configs=None, **kwargs):
    """Uploads served from the site's origin must be sandboxed."""
    media_url = getattr(settings, "MEDIA_URL", "") or ""
    if not media_url or getattr(settings, "DJFRONT_MEDIA_SANDBOXED", False):
        return []
    if not _site_origin(media_url, getattr(settings, "ALLOWED_HOSTS", [])):
        return []
    return [Warning(
        f"Media files are served from the site's own origin (MEDIA_URL={media_url!r}) without a "
        "sandbox: an uploaded HTML or SVG file runs its scripts as your site, with its cookies.",
        hint="Serve media from another domain (DJFRONT_CDN_DOMAIN, MEDIA_URL), or send "
        "'Content-Security-Policy: sandbox' on the media responses (a CloudFront response headers "
        "policy on /media/*, as djfront's template does) and then set DJFRONT_MEDIA_SANDBOXED = True "
        "(or the environment variable DJFRONT_MEDIA_SANDBOXED=true with djfront.settings, as the template does).",
        id="djfront.W007",
    )]


def _long_lived(options):
    cache_control = (options.get("object_parameters") or {}).get("CacheControl", "")
    for directive in cache_control.replace(" ", "").split(","):
        name, _, value = directive.partition("=")
        if name == "max-age" and value.isdigit() and int(value) >= YEAR:
            return True
    return False


@register(Tags.caches, deploy=True)
def check_static_cache_control(app_configs=None, **kwargs):
    """Hashed static files on S3 need a long-lived Cache-Control."""
    config = (getattr(settings, "STORAGES", None) or {}).get("staticfiles") or {}
    backend = config.get("BACKEND", "")
    if not backend.startswith("storages.") and backend != "djfront.storage.StaticStorage":
        return []  # served by the app or another tool, which sets its own headers
    if backend == "djfront.storage.StaticStorage" or _long_lived(config.get("OPTIONS") or {}):
        return []
    try:
        from djfront.storage import StaticStorage

        if issubclass(import_string(backend), StaticStorage):
            return []
    except ImportError:
        pass
    return [Warning(
        f"Static files are stored by {backend} without a long-lived Cache-Control: the hashed names "
        "(app.3f2a9c1b7d4e.css) never change, yet browsers revalidate them and CloudFront keeps "
        "them a day at most.",
        hint="Set STORAGES['staticfiles']['BACKEND'] = 'djfront.storage.StaticStorage' (djfront.settings "
        "does), which marks hashed names 'max-age=31536000, immutable'.",
        id="djfront.W008",
    )]


# Settings djfront.settings computes that W009 does not compare: reading the
# upstream secrets again (by ARN) would call Secrets Manager from a check,
# and a rotation since start-up is a difference with nothing wrong.
UNCOMPARED = frozenset({"DJFRONT_UPSTREAM_SECRETS"})


def _applied_module():
    """Return the settings module if it holds djfront.settings as a module
    (``from djfront import settings as _djfront_settings``, as the block
    djfront init writes does before it calls apply()), else None."""
    djfront_settings = sys.modules.get("djfront.settings")
    name = getattr(settings, "SETTINGS_MODULE", None) or os.environ.get("DJANGO_SETTINGS_MODULE") or ""
    module = sys.modules.get(name)
    if djfront_settings is None or module is None:
        return None
    if any(value is djfront_settings for value in vars(module).values()):
        return module
    return None


def _plain(value):
    """Return value with its tuples as lists, for comparing settings."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def applied_differences(current, environ, djfront_settings):
    """Return {name: (value in current, value djfront_settings.from_environ
    computes from environ)} for each setting that differs (UNCOMPARED
    aside), or {} when environ is not one from_environ accepts.

    The expected values are computed again rather than recorded: they are
    apply()'s, from the same environment, and no secret is read for them.
    """
    environ = {k: v for k, v in environ.items() if not k.startswith("DJFRONT_UPSTREAM_SECRETS")}
    try:
        expected = djfront_settings.from_environ(environ)
    except ImproperlyConfigured:
        return {}  # the settings module's own apply() would have raised
    differ = {}
    for name, want in expected.items():
        got = getattr(current, name, None)
        if name not in UNCOMPARED and _plain(got) != _plain(want):
            differ[name] = (got, want)
    return differ


def _contains(got, want):
    """Report whether got holds want: equal values, or a dict with each of
    want's keys holding its value (Django adds defaults to a database's
    dict in place, and to its OPTIONS and TEST)."""
    if isinstance(want, dict):
        return isinstance(got, dict) and all(k in got and _contains(got[k], v) for k, v in want.items())
    return _plain(got) == _plain(want)


def secret_differences(current, djfront_settings):
    """Return the names of the settings that hold secrets (SECRET_KEY,
    DATABASES["default"]) whose final value is not what djfront's block
    left, as djfront.settings.apply() recorded it; names only, never a
    value."""
    applied = getattr(djfront_settings, "_applied", {})
    names = []
    key = applied.get("SECRET_KEY")
    if key and djfront_settings.key_digest(getattr(current, "SECRET_KEY", None)) != key:
        names.append("SECRET_KEY")
    if "DATABASES" in applied:
        default = (getattr(current, "DATABASES", None) or {}).get("default")
        if not _contains(default, applied["DATABASES"]):
            names.append("DATABASES['default']")
    return names


def _short(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


@register(Tags.security, deploy=True)
def check_applied_settings(app_configs=None, **kwargs):
    """Nothing after djfront's block changed what djfront.settings.apply() set."""
    module = _applied_module()
    if module is None:
        return []
    djfront_settings = sys.modules["djfront.settings"]
    differ = applied_differences(settings, os.environ, djfront_settings)
    hidden = secret_differences(settings, djfront_settings)
    if not differ and not hidden:
        return []
    details = "; ".join([
        *(f"{name} is {_short(got)}, djfront.settings set {_short(want)}" for name, (got, want) in sorted(differ.items())),
        *(f"{name} is not what djfront's block set (not shown: it holds a secret)" for name in hidden),
    ])
    return [Warning(
        f"Settings differ from what djfront.settings.apply() sets from the environment: {details}. "
        f"A line after djfront's block in {module.__name__} (or code run later) changed them, so the "
        "site does not run with the hosts, proxy headers, cookies, storage, secret key or database the stack gives it.",
        hint="Set them through the environment (DJANGO_DEBUG, DJFRONT_HOSTS, DJFRONT_*) or above "
        "djfront's block, and keep the block last in the settings module. If the change is meant, "
        "silence it: SILENCED_SYSTEM_CHECKS = ['djfront.W009'].",
        id="djfront.W009",
    )]


@register(Tags.compatibility, deploy=True)
def check_conflict_retry(app_configs=None, **kwargs):
    """A default database on Aurora DSQL needs ConflictRetryMiddleware."""
    default = (getattr(settings, "DATABASES", None) or {}).get("default") or {}
    if default.get("ENGINE") != DSQL_ENGINE or CONFLICT_RETRY in list(getattr(settings, "MIDDLEWARE", None) or []):
        return []
    return [Warning(
        f"The default database is Aurora DSQL ({DSQL_ENGINE}) and {CONFLICT_RETRY} is not in MIDDLEWARE: "
        "DSQL fails a transaction that conflicts with another at COMMIT (SQLSTATE 40001), and without a "
        "retry that request is a 500.",
        hint=f"Add '{CONFLICT_RETRY}' as the last entry of MIDDLEWARE (djfront.settings.apply() does), or "
        "run each transaction with djfront.transaction.retry_on_conflict and silence this: "
        "SILENCED_SYSTEM_CHECKS = ['djfront.W010'].",
        id="djfront.W010",
    )]
