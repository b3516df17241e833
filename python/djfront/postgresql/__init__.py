"""Django's PostgreSQL backend, with a password that RDS rotates.

ENGINE "djfront.postgresql" is django.db.backends.postgresql, except that a
new connection the server refuses for its password (SQLSTATE 28P01,
invalid_password) reads the password again from where it came from and,
when that gives another password, connects once more with it.
djfront.settings.database() selects it for a postgres:// DATABASE_URL whose
password comes from DATABASE_PASSWORD_SECRET_ARN: RDS's managed master user
secret, which RDS rotates (every 7 days by default). Connections already
open keep working across a rotation; without this, every new one would fail
until a new execution environment read the secret again.

The entry's PASSWORD_SOURCE (set by djfront.settings) is a callable that
returns the current password; without it the backend behaves exactly as
Django's.

https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-secrets-manager.html
https://www.postgresql.org/docs/current/errcodes-appendix.html
"""
