"""URLs of the example project: the admin and the probe app at the root."""
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("probe.urls")),
]
