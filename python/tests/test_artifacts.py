"""Tests of djfront.artifacts, run with Django's test runner (see test_probe.py).

The wheel itself, with real artifacts, is test/dist's.
"""

import shutil
import tempfile
from pathlib import Path
from unittest import mock

from django.test import SimpleTestCase

import djfront
from djfront import artifacts


class PathTests(SimpleTestCase):
    def at(self, version):
        """Point artifacts.path at a fake package directory whose _artifacts
        holds VERSION = version (None: no _artifacts at all); return it."""
        tmp = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, tmp)
        if version is not None:
            (tmp / "_artifacts").mkdir()
            (tmp / "_artifacts" / "VERSION").write_text(version + "\n", encoding="utf-8")
        patcher = mock.patch.object(artifacts, "__file__", str(tmp / "artifacts.py"))
        patcher.start()
        self.addCleanup(patcher.stop)
        return tmp / "_artifacts"

    def test_wheel_install(self):
        want = self.at(djfront.__version__)
        self.assertEqual(artifacts.path(), want.resolve())

    def test_source_install(self):
        self.at(None)
        with self.assertRaisesRegex(FileNotFoundError, "has no Lambda artifacts: they come with its wheel"):
            artifacts.path()

    def test_other_version(self):
        self.at("0.0.0-other")
        with self.assertRaisesRegex(RuntimeError, "holds the artifacts of djfront 0.0.0-other, not "):
            artifacts.path()
