"""URLs of the Aurora DSQL tests' own processes (tests/dsql_settings.py): the admin."""

from django.contrib import admin
from django.urls import path

urlpatterns = [path("admin/", admin.site.urls)]
