from django.http import HttpResponse
from django.urls import path


def ok(request):
    return HttpResponse("ok", content_type="text/plain")


def addresses(request):
    """The client addresses the view sees: REMOTE_ADDR and the peer's."""
    meta = request.META
    return HttpResponse(f"{meta.get('REMOTE_ADDR')} {meta.get('DJFRONT_PEER_ADDR')}", content_type="text/plain")


urlpatterns = [path("", ok), path("healthz", ok), path("addresses", addresses), path("healthz-addresses", addresses)]
