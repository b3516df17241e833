"""The djfront Django app: add "djfront" to INSTALLED_APPS for its checks."""

from django.apps import AppConfig


class DjfrontConfig(AppConfig):
    name = "djfront"
    verbose_name = "djfront"

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
