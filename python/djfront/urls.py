"""djfront's URLs: ``path("djfront/", include("djfront.urls"))``.

probe/  the probe view for `djfront check --probe-token` (djfront.probe);
        404 unless DJFRONT_PROBE_TOKEN is set.
snapstart/<phase>/  hostforward's SnapStart hooks (djfront.snapstart); 404
        unless hostforward set DJFRONT_SNAPSTART_TOKEN.
"""

from django.urls import path

from . import probe, snapstart

app_name = "djfront"

urlpatterns = [
    path("probe/", probe.probe, name="probe"),
    path("snapstart/<slug:phase>/", snapstart.hook, name="snapstart"),
]
