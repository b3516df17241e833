"""DatabaseWrapper: Django's PostgreSQL one, which reads a rotated password
again (see the package doc)."""

import logging

from django.db.backends.postgresql import base

logger = logging.getLogger("djfront.postgresql")

# libpq reports no SQLSTATE for a connection it could not open, only the
# server's message; this is PostgreSQL's for SQLSTATE 28P01
# (src/backend/libpq/auth.c, auth_failed), which Aurora sends in English.
_REFUSED = "password authentication failed"


def password_refused(error):
    """Report whether error, raised by the driver's connect(), says the
    server refused the password (SQLSTATE 28P01)."""
    code = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    return code == "28P01" or _REFUSED in str(error)


class DatabaseWrapper(base.DatabaseWrapper):
    """django.db.backends.postgresql's DatabaseWrapper; a new connection
    refused for its password reads settings_dict["PASSWORD_SOURCE"]() once
    and, when the password changed, connects once more with it (and keeps
    it in settings_dict for the next connections). Otherwise the refusal is
    raised as Django would. The password is never logged."""

    def get_new_connection(self, conn_params):
        try:
            return super().get_new_connection(conn_params)
        except self.Database.OperationalError as err:
            password = self._read_password(err, conn_params.get("password"))
            if password is None:
                raise
        self.settings_dict["PASSWORD"] = password
        logger.warning("the database refused the password: read it again; connecting with the new one",
                       extra={"alias": self.alias})
        return super().get_new_connection({**conn_params, "password": password})

    def _read_password(self, error, refused):
        """Return the password to try after error, or None: error is not a
        refused password, there is no PASSWORD_SOURCE, it fails, or it gives
        the refused password again."""
        source = self.settings_dict.get("PASSWORD_SOURCE")
        if source is None or not password_refused(error):
            return None
        try:
            password = source()
        except Exception as read_error:  # ImproperlyConfigured: its message names the variable, no value
            logger.warning("the database refused the password, and reading it again failed: %s", read_error,
                           extra={"alias": self.alias})
            return None
        if not password or password == refused:
            return None
        return password
