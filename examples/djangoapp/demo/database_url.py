"""DATABASES["default"] from a DATABASE_URL, as twelve-factor apps set it.

    sqlite:////tmp/db.sqlite3      an absolute path: four slashes
    sqlite:///db.sqlite3           relative to the working directory
    sqlite://:memory:              in memory
    postgres://USER:PASSWORD@HOST:PORT/NAME?sslmode=require&conn_max_age=60
    postgresql://...               the same
    mysql://USER:PASSWORD@HOST:PORT/NAME?charset=utf8mb4

User, password, host and name are percent-decoded (write "@" in a password as
%40, a Unix socket directory as the host %2Fvar%2Frun%2Fpostgresql). Query
parameters become the backend's OPTIONS (digits-only values as integers),
except conn_max_age: Django's CONN_MAX_AGE in seconds, which also turns on
CONN_HEALTH_CHECKS, so a connection that died while Lambda froze the
environment is replaced instead of failing the request.

A malformed URL raises ImproperlyConfigured naming DATABASE_URL and the
problem. The message never shows the URL itself, which holds the password.
"""

from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

ENGINES = {
    "sqlite": "django.db.backends.sqlite3",
    "postgres": "django.db.backends.postgresql",
    "postgresql": "django.db.backends.postgresql",
    "mysql": "django.db.backends.mysql",
}


def _fail(problem):
    return ImproperlyConfigured(f"DATABASE_URL: {problem}")


def _options(query):
    options, conn_max_age = {}, 0
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise _fail("the query string is not key=value pairs joined by &") from None
    for key, value in pairs:
        if key in options or (key == "conn_max_age" and conn_max_age):
            raise _fail(f"query parameter {key!r} is given twice")
        if key == "conn_max_age":
            if not value.isdigit() or not value.isascii():
                raise _fail("conn_max_age must be a whole number of seconds")
            conn_max_age = int(value)
        else:
            options[key] = int(value) if value.isascii() and value.isdigit() else value
    return options, conn_max_age


def parse(url):
    """Return the Django DATABASES entry that url describes."""
    if not url.isprintable() or any(c.isspace() for c in url):
        raise _fail("spaces or control characters; percent-encode them")
    scheme, sep, rest = url.partition("://")
    engine = ENGINES.get(scheme.lower()) if sep else None
    if engine is None:
        raise _fail(f"want a URL starting {', '.join(s + '://' for s in ENGINES)}")
    if engine.endswith("sqlite3") and rest == ":memory:":
        return {"ENGINE": engine, "NAME": ":memory:", "OPTIONS": {}, "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False}
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _fail("not a URL (check the host, the port and the brackets of an IPv6 address)") from None
    if port == 0:
        raise _fail("the port must be a number from 1 to 65535")
    if parts.fragment:
        raise _fail("no #fragment allowed")
    options, conn_max_age = _options(parts.query)
    db = {
        "ENGINE": engine,
        "OPTIONS": options,
        "CONN_MAX_AGE": conn_max_age,
        "CONN_HEALTH_CHECKS": conn_max_age > 0,
    }

    if engine.endswith("sqlite3"):
        if parts.netloc:
            raise _fail("a sqlite URL has no host: sqlite:////absolute/path or sqlite:///relative/path")
        name = unquote(parts.path[1:])
        if not name or name.endswith("/"):
            raise _fail("name the database file, for example sqlite:////tmp/db.sqlite3")
        db["NAME"] = name
        return db

    if not parts.hostname:
        raise _fail("name the database server: SCHEME://USER:PASSWORD@HOST:PORT/NAME")
    name = unquote(parts.path[1:])
    if not name or "/" in name:
        raise _fail("name the database, one path segment: SCHEME://USER:PASSWORD@HOST:PORT/NAME")
    db.update(
        NAME=name,
        USER=unquote(parts.username or ""),
        PASSWORD=unquote(parts.password or ""),
        HOST=unquote(parts.hostname),
        PORT=str(port) if port else "",
    )
    return db
