"""DATABASES["default"] from a database URL, the DATABASE_URL contract.

    postgres://USER:PASSWORD@HOST:PORT/NAME?sslmode=require   PostgreSQL: RDS, Aurora
    postgresql://...                                          the same
    dsql://USER@ENDPOINT/NAME?region=REGION                   Aurora DSQL (aurora-dsql-django)
    mysql://USER:PASSWORD@HOST:PORT/NAME?charset=utf8mb4      MySQL
    sqlite:////tmp/db.sqlite3                                 SQLite, an absolute path: four slashes
    sqlite:///db.sqlite3                                      relative to the working directory
    sqlite://:memory:                                         in memory

User, password, host and name are percent-decoded (write "@" in a password
as %40, a Unix socket directory as the host %2Fvar%2Frun%2Fpostgresql).
Query parameters become the backend's OPTIONS (digits-only values as
integers), except conn_max_age: Django's CONN_MAX_AGE in seconds. A query
parameter may not repeat a part of the URL (dbname, user, password, host,
port): Django's backend would let it win over the URL's. No value may hold
a control character once decoded (%00 ends libpq's connection string).

Connections. A database server's connection is kept CONN_MAX_AGE = 60
seconds (conn_max_age=N to change, 0 to close it after every request) with
CONN_HEALTH_CHECKS on. Lambda freezes an execution environment between
requests, with its connection open; the server or a NAT may drop that
connection meanwhile. Django checks a kept connection (SELECT 1) before the
first query of each request and opens a new one when it is dead, so the
request succeeds instead of failing with "server closed the connection".
Django closes a connection older than CONN_MAX_AGE only when a request
starts or ends, so a frozen environment keeps its connection until its next
request or its end: use conn_max_age=0 for a database that pauses when no
connection is open (Aurora Serverless v2 with MinCapacity 0).

Aurora DSQL. dsql:// configures the aurora-dsql-django adapter (ENGINE
"aurora_dsql_django", the [dsql] extra): no password, because the adapter
signs an IAM authentication token for each connection with the function's
credentials (locally, no call to AWS); USER defaults to admin (the token
then needs dsql:DbConnectAdmin, otherwise dsql:DbConnect), NAME to
postgres, sslmode to require. ENDPOINT is the cluster's endpoint,
ID.dsql.REGION.on.aws, or its ID with ?region=. DSQL closes connections
after one hour; since Django may use a connection for the length of a
request past CONN_MAX_AGE (a Lambda request lasts up to 15 minutes),
conn_max_age is at most 2700 there.

A malformed URL raises ImproperlyConfigured naming DATABASE_URL and the
problem. The message never shows the URL itself, which holds the password.

https://docs.djangoproject.com/en/5.2/ref/databases/#persistent-connections
https://docs.aws.amazon.com/aurora-dsql/latest/userguide/SECTION_authentication-token.html
"""

import re
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

ENGINES = {
    "sqlite": "django.db.backends.sqlite3",
    "postgres": "django.db.backends.postgresql",
    "postgresql": "django.db.backends.postgresql",
    "dsql": "aurora_dsql_django",
    "mysql": "django.db.backends.mysql",
}

# CONN_MAX_AGE of a database server's connections, unless the URL says.
CONN_MAX_AGE = 60
# The most a dsql:// URL may ask for: DSQL's one-hour connection limit less
# the longest Lambda request (15 minutes), during which Django does not
# close a connection.
DSQL_MAX_CONN_AGE = 3600 - 900

# A cluster endpoint: ID.dsql.REGION.on.aws (the region is group 1).
_DSQL_ENDPOINT = re.compile(r"[a-z0-9]+\.dsql[a-z0-9-]*\.([a-z0-9]+(?:-[a-z0-9]+)*)\.on\.aws")
_DSQL_CLUSTER_ID = re.compile(r"[a-z0-9]+")
_REGION = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# C0 and C1 control characters and DEL: a decoded NUL ends libpq's
# connection string, and none of them belongs in a name or a password.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Query parameters that libpq (and Django's backends) read as a part the
# URL already gives, which OPTIONS would override.
_URL_PARTS = ("dbname", "user", "password", "host", "port")


def _fail(problem):
    return ImproperlyConfigured(f"DATABASE_URL: {problem}")


def _options(query):
    """Return the query's OPTIONS and its conn_max_age (None when absent)."""
    options, conn_max_age = {}, None
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise _fail("the query string is not key=value pairs joined by &") from None
    for key, value in pairs:
        if _CONTROL.search(key) or _CONTROL.search(value):
            raise _fail(f"a percent-encoded control character in the query parameter {_printable(key)!r}")
        if key in _URL_PARTS:
            raise _fail(f"query parameter {key!r} repeats a part of the URL: give the {key} once, in the URL")
        if key in options or (key == "conn_max_age" and conn_max_age is not None):
            raise _fail(f"query parameter {key!r} is given twice")
        if key == "conn_max_age":
            if not value.isdigit() or not value.isascii():
                raise _fail("conn_max_age must be a whole number of seconds")
            conn_max_age = int(value)
        else:
            options[key] = int(value) if value.isascii() and value.isdigit() else value
    return options, conn_max_age


def _printable(key):
    """Return key with its control characters escaped, for a message."""
    return _CONTROL.sub(lambda m: f"%{ord(m.group()):02X}", key)


def _decoded(part, raw):
    """Return raw percent-decoded; a control character in it is an error
    naming part (never the value)."""
    value = unquote(raw)
    if _CONTROL.search(value):
        raise _fail(f"a percent-encoded control character in the {part}")
    return value


def _connections(conn_max_age, default):
    age = default if conn_max_age is None else conn_max_age
    return {"CONN_MAX_AGE": age, "CONN_HEALTH_CHECKS": age > 0}


def parse(url):
    """Return the Django DATABASES entry that url describes."""
    if not url.isprintable() or any(c.isspace() for c in url):
        raise _fail("spaces or control characters; percent-encode them")
    scheme, sep, rest = url.partition("://")
    engine = ENGINES.get(scheme.lower()) if sep else None
    if engine is None:
        raise _fail(f"want a URL starting {', '.join(s + '://' for s in ENGINES)}")
    if engine.endswith("sqlite3") and rest == ":memory:":
        return {"ENGINE": engine, "NAME": ":memory:", "OPTIONS": {}, **_connections(None, 0)}
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
    db = {"ENGINE": engine, "OPTIONS": options}

    if engine.endswith("sqlite3"):
        if parts.netloc:
            raise _fail("a sqlite URL has no host: sqlite:////absolute/path or sqlite:///relative/path")
        name = _decoded("file name", parts.path[1:])
        if not name or name.endswith("/"):
            raise _fail("name the database file, for example sqlite:////tmp/db.sqlite3")
        return {**db, "NAME": name, **_connections(conn_max_age, 0)}

    if not parts.hostname:
        raise _fail("name the database server: SCHEME://USER:PASSWORD@HOST:PORT/NAME")
    name = _decoded("name", parts.path[1:])
    if "/" in name or not (name or engine == ENGINES["dsql"]):
        raise _fail("name the database, one path segment: SCHEME://USER:PASSWORD@HOST:PORT/NAME")
    db.update(
        NAME=name,
        USER=_decoded("user", parts.username or ""),
        PASSWORD=_decoded("password", parts.password or ""),
        HOST=_decoded("host", parts.hostname),
        PORT=str(port) if port else "",
        **_connections(conn_max_age, CONN_MAX_AGE),
    )
    if engine == ENGINES["dsql"]:
        _dsql(db, parts.password is not None)
    return db


def _dsql(db, has_password):
    """Check and complete db, the entry of a dsql:// URL, in place."""
    if has_password:
        raise _fail("a dsql:// URL has no password: the adapter signs an IAM token for each connection")
    options, host = db["OPTIONS"], db["HOST"]
    region = options.get("region")
    if region is not None and not _REGION.fullmatch(str(region)):
        raise _fail("region must be an AWS region name such as us-east-1")
    endpoint = _DSQL_ENDPOINT.fullmatch(host)
    if endpoint and region is not None and region != endpoint.group(1):
        raise _fail(f"region={region} is not the endpoint's region, {endpoint.group(1)}")
    if not endpoint and not (region is not None and _DSQL_CLUSTER_ID.fullmatch(host)):
        raise _fail("give the cluster endpoint (ID.dsql.REGION.on.aws), or the cluster ID and ?region=")
    if db["CONN_MAX_AGE"] > DSQL_MAX_CONN_AGE:
        raise _fail(f"conn_max_age must be at most {DSQL_MAX_CONN_AGE}: Aurora DSQL closes connections after an hour")
    db["NAME"] = db["NAME"] or "postgres"
    db["USER"] = db["USER"] or "admin"
    options.setdefault("sslmode", "require")
