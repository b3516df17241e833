"""Tests of djfront.storage.StaticStorage's Cache-Control."""

import tempfile

from django.core.files.storage import FileSystemStorage
from django.test import SimpleTestCase

from djfront.storage import IMMUTABLE, StaticStorage


class StaticStorageTest(SimpleTestCase):
    def test_cache_control(self):
        # The manifest is read at construction: from an empty directory, not S3.
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        manifest = FileSystemStorage(location=tmp.name)
        storage = StaticStorage(bucket_name="b", object_parameters={"ContentDisposition": "inline"},
                                manifest_storage=manifest)
        cases = [
            ("admin/css/base.523eb49842a7.css", IMMUTABLE),
            ("probe/logo.0123456789ab.png", IMMUTABLE),
            ("admin/css/base.css", None),
            ("staticfiles.json", None),
            ("notes.523eb49842a7x.txt", None),
            ("admin/.523eb49842a7", None),
            ("vendor/LICENSE.0123456789ab", IMMUTABLE),
        ]
        for name, want in cases:
            with self.subTest(name):
                params = storage.get_object_parameters(name)
                self.assertEqual(params.get("CacheControl"), want)
                self.assertEqual(params.get("ContentDisposition"), "inline")

    def test_explicit_cache_control_wins(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        storage = StaticStorage(bucket_name="b", object_parameters={"CacheControl": "no-cache"},
                                manifest_storage=FileSystemStorage(location=tmp.name))
        self.assertEqual(storage.get_object_parameters("a.0123456789ab.css")["CacheControl"], "no-cache")
