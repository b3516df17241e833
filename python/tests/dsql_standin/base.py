"""aurora-dsql-django's backend on PostgreSQL, standing in for an Aurora
DSQL cluster in tests (tests/test_dsql.py): the adapter's schema editor,
features, operations and UUID primary keys, over a plain psycopg connection
(a local server takes a password, not an IAM token).

The schema editor refuses, with NotSupportedError as Django reports DSQL's
FeatureNotSupported, the ALTER TABLE forms that DSQL's ALTER TABLE page
leaves out and that Django writes: ALTER COLUMN ... TYPE and SET NOT NULL,
ADD COLUMN with more than a data type (NOT NULL, DEFAULT, a constraint),
and ADD CONSTRAINT that is neither NOT VALID nor UNIQUE USING INDEX
(https://docs.aws.amazon.com/aurora-dsql/latest/userguide/alter-table-syntax-support.html).
With "DSQL_STANDIN_ACCEPT_ALL" true in the database's settings it refuses
nothing: what the adapter would make if DSQL took every statement.

DSQL's asynchronous DDL becomes PostgreSQL's synchronous form: CREATE INDEX
ASYNC is CREATE INDEX, ALTER TABLE ASYNC ... VALIDATE CONSTRAINT is ALTER
TABLE ... VALIDATE CONSTRAINT (done, so no job to wait for). What else DSQL
refuses, its limits and its asynchronous jobs show only on a cluster. Each
statement, as the adapter wrote it, is logged to "tests.dsql_standin".
"""

import logging
import re

from aurora_dsql_django import base, schema
from django.db.backends.postgresql import base as postgresql
from django.db.backends.postgresql import schema as postgresql_schema
from django.db.utils import NotSupportedError

# Each statement as the adapter wrote it, before it is made synchronous.
logger = logging.getLogger("tests.dsql_standin")

# The ALTER TABLE actions DSQL refuses, by what the message calls them.
REFUSED = {
    "ALTER COLUMN ... TYPE": re.compile(r"\bALTER\s+(?:COLUMN\s+)?\S+\s+(?:SET\s+DATA\s+)?TYPE\b", re.I),
    "ALTER COLUMN ... SET NOT NULL": re.compile(r"\bALTER\s+(?:COLUMN\s+)?\S+\s+SET\s+NOT\s+NULL\b", re.I),
    "ADD COLUMN with a constraint or default": re.compile(
        r"\bADD\s+COLUMN\s+[^,]*?\b(?:NOT\s+NULL|DEFAULT|REFERENCES|UNIQUE|PRIMARY\s+KEY|CHECK)\b", re.I),
    "ADD CONSTRAINT without NOT VALID": re.compile(
        r"\bADD\s+CONSTRAINT\s+(?![^,]*\bNOT\s+VALID\b)(?![^,]*\bUSING\s+INDEX\b)", re.I),
}


def refused(sql):
    """Return what DSQL refuses in the statement sql, or None."""
    if not re.match(r"\s*ALTER\s+TABLE\b", sql, re.I):
        return None
    return next((name for name, pattern in REFUSED.items() if pattern.search(sql)), None)


def _synchronous(sql):
    return sql.replace(" INDEX ASYNC ", " INDEX ", 1).replace("ALTER TABLE ASYNC ", "ALTER TABLE ", 1)


class DatabaseSchemaEditor(schema.DatabaseSchemaEditor):
    def execute(self, sql, params=()):
        logger.debug("%s", sql)
        what = refused(str(sql))
        if what and not self.connection.settings_dict.get("DSQL_STANDIN_ACCEPT_ALL"):
            raise NotSupportedError(f"unsupported ALTER TABLE statement, {what} (as Aurora DSQL): {sql}")
        if isinstance(sql, schema.ForeignKeyValidation) and not self.collect_sql:
            # The adapter would read a job ID and wait for it.
            return postgresql_schema.DatabaseSchemaEditor.execute(self, _synchronous(str(sql)), params)
        return super().execute(_synchronous(str(sql)), params)


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor

    def get_new_connection(self, conn_params):
        return postgresql.DatabaseWrapper.get_new_connection(self, conn_params)
