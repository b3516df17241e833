"""Tests of djfront.dsql: the auth and contenttypes migrations made for
Aurora DSQL, as Django's migration loader sees them (no database; the
DDL they make is tests/test_dsql.py's)."""

import os
import subprocess
import sys
from pathlib import Path

from django.db.migrations import RunPython
from django.db.migrations.loader import MigrationLoader
from django.test import SimpleTestCase, override_settings

from djfront import dsql


# Imported before Django is set up (as test discovery does), then migrated.
EARLY = """
import django
from django.conf import settings
import djfront.dsql.auth
print(djfront.dsql.auth.__path__)
from djfront import dsql
settings.configure(INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"],
                   MIGRATION_MODULES=dsql.MIGRATION_MODULES)
django.setup()
from django.db.migrations.loader import MigrationLoader
graph = MigrationLoader(None).graph
print(type(graph.nodes["auth", "0012_alter_user_first_name_max_length"]).__module__)
"""


def load(modules):
    """Return a MigrationLoader (no database) with MIGRATION_MODULES modules."""
    with override_settings(MIGRATION_MODULES=modules):
        return MigrationLoader(None, ignore_no_migrations=True)


class MigrationModulesTest(SimpleTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.django, cls.dsql = load({}), load(dsql.MIGRATION_MODULES)

    def nodes(self, loader, app):
        """Return {migration name: its dependencies' keys, sorted} of app."""
        return {key[1]: sorted(parent.key for parent in loader.graph.node_map[key].parents)
                for key in loader.graph.nodes if key[0] == app}

    def test_names_and_dependencies_are_djangos(self):
        for app in dsql.APPS:
            with self.subTest(app):
                got, want = self.nodes(self.dsql, app), self.nodes(self.django, app)
                self.assertTrue(want)
                self.assertEqual(got, want)

    def test_first_migration_makes_the_final_state(self):
        def models(state, app):
            return {key: model for key, model in state.models.items() if key[0] == app}

        final = self.django.project_state()
        for app in dsql.APPS:
            first = sorted(self.nodes(self.django, app))[0]
            want = models(final, app)
            self.assertTrue(want)
            for name, node in [("after the first", (app, first)), ("after all", None)]:
                with self.subTest(f"{app}, {name}"):
                    got = models(self.dsql.project_state(node, at_end=True), app)
                    self.assertEqual(got, want)

    def test_later_migrations_only_run_code(self):
        for app in dsql.APPS:
            for name in sorted(self.nodes(self.dsql, app))[1:]:
                with self.subTest(f"{app}.{name}"):
                    migration = self.dsql.graph.nodes[app, name]
                    self.assertEqual(type(migration).__module__, f"djfront.dsql.{app}.{name}")
                    got = [type(op).__name__ for op in migration.operations if not isinstance(op, RunPython)]
                    self.assertEqual(got, [])

    def test_loaded_twice(self):
        # Django's loader reloads a migrations package it finds imported.
        again = load(dsql.MIGRATION_MODULES)
        self.assertEqual(self.nodes(again, "auth"), self.nodes(self.dsql, "auth"))

    def test_imported_before_setup(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DJFRONT_"))}
        out = subprocess.run([sys.executable, "-c", EARLY], env=env, capture_output=True, text=True, check=False,
                             cwd=Path(__file__).resolve().parent.parent, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout, "[]\ndjfront.dsql.auth.0012_alter_user_first_name_max_length\n")
