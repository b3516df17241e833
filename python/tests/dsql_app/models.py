"""A model of an app of yours, on Aurora DSQL (tests/test_dsql.py): a
foreign key to the user, an indexed column, a migration that depends on
the last of auth's and contenttypes'."""

from django.conf import settings
from django.db import models


class Note(models.Model):
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    title = models.CharField(max_length=200, db_index=True)
    created = models.DateTimeField(auto_now_add=True)
