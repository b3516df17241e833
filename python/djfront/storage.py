"""Static files on S3 with the cache lifetimes their names allow.

Requires django-storages with its S3 backend (boto3).
"""

import re

from storages.backends.s3boto3 import S3ManifestStaticStorage

# ManifestFilesMixin's names: base.css -> base.<12 hex digits>.css (the
# pattern hostforward's invalidate function treats as immutable too).
HASHED_NAME = re.compile(r"\.[0-9a-f]{12}(?:\.[^/.]+)?$")

# One year, as long as browsers and CloudFront keep anything.
IMMUTABLE = "public, max-age=31536000, immutable"


class StaticStorage(S3ManifestStaticStorage):
    """S3ManifestStaticStorage whose hashed names carry a year-long,
    immutable Cache-Control. Their content never changes under a name, so
    browsers and CloudFront may keep them; the original names and the
    manifest keep the bucket's default and are refreshed by the invalidate
    function when they change."""

    def get_object_parameters(self, name):
        params = super().get_object_parameters(name)
        if HASHED_NAME.search(name):
            params = {**params, "CacheControl": IMMUTABLE}
        return params
