"""URLs of the example project: the admin, djfront's URLs (the probe view for
`djfront check --probe-token`, off unless DJFRONT_PROBE_TOKEN is set) and the
probe app at the root."""
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("djfront/", include("djfront.urls")),
    path("", include("probe.urls")),
]
