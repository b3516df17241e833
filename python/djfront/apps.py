"""The djfront Django app: add "djfront" to INSTALLED_APPS for its checks (and
for SnapStart, which tracks the database connections it must close)."""

from django.apps import AppConfig


class DjfrontConfig(AppConfig):
    name = "djfront"
    verbose_name = "djfront"

    def ready(self):
        from django.db.backends.signals import connection_created

        from . import checks  # noqa: F401  (registers the system checks)
        from .snapstart import track_connection

        # Every connection any thread opens, for the before-snapshot hook.
        connection_created.connect(track_connection, dispatch_uid="djfront.snapstart")
