"""The example project's URLs plus bench/blob/."""
from django.urls import include, path

from . import views

urlpatterns = [
    path("bench/blob/", views.blob, name="blob"),
    path("", include("demo.urls")),
]
