"""aurora-dsql-django's backend on PostgreSQL, standing in for an Aurora
DSQL cluster in tests (tests/test_dsql.py): the adapter's schema editor,
features, operations and UUID primary keys, over a plain psycopg connection
(a local server takes a password, not an IAM token).

DSQL's asynchronous DDL becomes PostgreSQL's synchronous form: CREATE INDEX
ASYNC is CREATE INDEX, ALTER TABLE ASYNC ... VALIDATE CONSTRAINT is ALTER
TABLE ... VALIDATE CONSTRAINT (done, so no job to wait for). Everything
else the adapter emits runs as it would on a cluster, except that
PostgreSQL accepts statements DSQL refuses: what only a cluster can show.
Each statement, as the adapter wrote it, is logged to "tests.dsql_standin".
"""

import logging

from aurora_dsql_django import base, schema
from django.db.backends.postgresql import base as postgresql
from django.db.backends.postgresql import schema as postgresql_schema

# Each statement as the adapter wrote it, before it is made synchronous.
logger = logging.getLogger("tests.dsql_standin")


def _synchronous(sql):
    return sql.replace(" INDEX ASYNC ", " INDEX ", 1).replace("ALTER TABLE ASYNC ", "ALTER TABLE ", 1)


class DatabaseSchemaEditor(schema.DatabaseSchemaEditor):
    def execute(self, sql, params=()):
        logger.debug("%s", sql)
        if isinstance(sql, schema.ForeignKeyValidation) and not self.collect_sql:
            # The adapter would read a job ID and wait for it.
            return postgresql_schema.DatabaseSchemaEditor.execute(self, _synchronous(str(sql)), params)
        return super().execute(_synchronous(str(sql)), params)


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor

    def get_new_connection(self, conn_params):
        return postgresql.DatabaseWrapper.get_new_connection(self, conn_params)
