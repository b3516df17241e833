"""djfront's URLs: ``path("djfront/", include("djfront.urls"))``.

probe/  the probe view for `djfront check --probe-token` (djfront.probe);
        404 unless DJFRONT_PROBE_TOKEN is set.
"""

from django.urls import path

from . import probe

app_name = "djfront"

urlpatterns = [
    path("probe/", probe.probe, name="probe"),
]
