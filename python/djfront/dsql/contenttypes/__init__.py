"""django.contrib.contenttypes' migrations for Aurora DSQL (djfront.dsql)."""

from djfront.dsql import install

__path__ = install(__name__, "contenttypes")
