from django.apps import AppConfig


class ProbeConfig(AppConfig):
    """The probe app: views that report what Django saw, for djfront's tests."""

    name = "probe"
