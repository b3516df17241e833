"""Static files on S3 with the cache lifetimes their names allow.

Requires django-storages with its S3 backend (boto3).
"""

import re

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
    invalidate function refreshes them when they change."""

    def get_object_parameters(self, name):
        params = super().get_object_parameters(name)
        if HASHED_NAME.search(name):
            params.setdefault("CacheControl", IMMUTABLE)
        return params
