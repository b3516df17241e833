"""Tests of djfront.dsql: the auth and contenttypes migrations made for
Aurora DSQL, as Django's migration loader sees them (no database; the
DDL they make is tests/test_dsql.py's)."""

from django.db.migrations import RunPython
from django.db.migrations.loader import MigrationLoader
from django.test import SimpleTestCase, override_settings

from djfront import dsql


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
