"""Static files on S3 with the cache lifetimes their names allow.

Requires django-storages with its S3 backend (boto3).
"""

import re
import time

from storages.backends.s3boto3 import S3ManifestStaticStorage

# ManifestFilesMixin's names: base.css -> base.<12 hex digits>.css (the
# invalidate function's default IMMUTABLE_PATTERN too, so what is cached for a
# year is what is never invalidated).
HASHED_NAME = re.compile(r"[^/]\.[0-9a-f]{12}(?:\.[^./]*)?$")

# A year, as long as browsers and CloudFront keep anything.
IMMUTABLE = "max-age=31536000, immutable"


class StaticStorage(S3ManifestStaticStorage):
    """S3ManifestStaticStorage whose hashed names carry a year-long,
    immutable Cache-Control (unless object_parameters set one).

    collectstatic writes each file twice, name.<hash>.ext and the unhashed
    original, plus staticfiles.json; object_parameters would apply to all of
    them, but the unhashed copies and the manifest change in place. They keep
    no Cache-Control: CloudFront keeps them its default day, and the
    invalidate function refreshes them when they change.

    The manifest (staticfiles.json) is read when the storage is made, once
    per process, as Django's own manifest storages do. A name it lacks —
    a file collectstatic added after the process started, or one the new
    code links before collectstatic ran — makes the storage read it again,
    at most once per ``manifest_reload_interval`` seconds (the
    ``manifest_reload_interval`` option, default 10), before it raises
    Django's "Missing staticfiles manifest entry". A file whose content
    changed keeps its old hashed name until the process restarts: run
    collectstatic before the new code takes traffic (deploy/README.md)."""

    manifest_reload_interval = 10

    def __init__(self, *args, manifest_reload_interval=None, **kwargs):
        super().__init__(*args, **kwargs)
        if manifest_reload_interval is not None:
            self.manifest_reload_interval = manifest_reload_interval
        self._manifest_read_at = time.monotonic()

    def stored_name(self, name):
        try:
            return super().stored_name(name)
        except ValueError:
            if not self._reload_manifest():
                raise
        return super().stored_name(name)

    def _reload_manifest(self):
        """Read the manifest again unless it was read less than
        manifest_reload_interval seconds ago; report whether it was."""
        now = time.monotonic()
        if now - self._manifest_read_at < self.manifest_reload_interval:
            return False
        self._manifest_read_at = now
        self.hashed_files, self.manifest_hash = self.load_manifest()
        return True

    def get_object_parameters(self, name):
        params = super().get_object_parameters(name)
        if HASHED_NAME.search(name):
            params.setdefault("CacheControl", IMMUTABLE)
        return params
