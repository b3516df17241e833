"""Probe URLs; their paths are a contract with djfront's end-to-end tests."""
from django.urls import path

from . import views

urlpatterns = [
    path("whoami/", views.whoami, name="whoami"),
    # Any path below whoami/, to show paths arrive as the viewer sent them.
    path("whoami/<path:rest>", views.whoami),
    path("form/", views.form, name="form"),
    path("cookies/", views.cookies, name="cookies"),
    path("binary/", views.binary, name="binary"),
    path("gzip/", views.gzipped, name="gzip"),
    path("slow/", views.slow, name="slow"),
    path("big/", views.big, name="big"),
    path("redirect/", views.redirect_to_whoami, name="redirect"),
]
