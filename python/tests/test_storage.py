"""Tests of djfront.storage.StaticStorage: Cache-Control, the manifest read again."""

import json
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

    def test_manifest_read_again_for_a_missing_name(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        manifest = FileSystemStorage(location=tmp.name)

        def collectstatic(paths):
            with open(f"{tmp.name}/staticfiles.json", "w") as f:
                json.dump({"paths": paths, "version": "1.1", "hash": "0"}, f)

        collectstatic({"site.css": "site.111111111111.css"})
        cases = [
            # name, interval, the manifest collectstatic writes after the storage started, want (or the error)
            ("a file added by a later collectstatic", 0,
             {"site.css": "site.111111111111.css", "new.js": "new.222222222222.js"}, "new.js", "new.222222222222.js"),
            ("a file no manifest has", 0, {"site.css": "site.111111111111.css"}, "nope.js", ValueError),
            ("read again at most once per interval", 3600,
             {"site.css": "site.111111111111.css", "new.js": "new.222222222222.js"}, "new.js", ValueError),
        ]
        for name, interval, paths, static, want in cases:
            with self.subTest(name):
                collectstatic({"site.css": "site.111111111111.css"})
                storage = StaticStorage(bucket_name="b", manifest_storage=manifest, manifest_reload_interval=interval)
                self.assertEqual(storage.stored_name("site.css"), "site.111111111111.css")
                collectstatic(paths)
                if want is ValueError:
                    with self.assertRaisesRegex(ValueError, "Missing staticfiles manifest entry"):
                        storage.stored_name(static)
                    continue
                self.assertEqual(storage.stored_name(static), want)
