"""Django's auth and contenttypes migrations, made for Aurora DSQL.

Django's own migrations of auth (0002-0012) and contenttypes (0002) change
columns that 0001 created: ALTER COLUMN ... TYPE (longer max_length),
which Aurora DSQL refuses, so `migrate` stops on a new cluster. With
MIGRATION_MODULES = djfront.dsql.MIGRATION_MODULES (djfront.settings sets it
for a dsql:// DATABASE_URL), Django loads these instead. They are made,
when Django's migration loader imports them, from Django's own migrations
of the installed Django version:

- the same names, dependencies and order, so that another app's dependency
  such as ("auth", "0012_alter_user_first_name_max_length") resolves;
- the first migration creates every model of the app in the state the last
  one leaves it (CreateModel), so the tables are made once, in their final
  form, with its indexes and constraints: the DDL of CREATE TABLE and
  CREATE INDEX only. It keeps its own dependencies, which must cover the
  apps the final models refer to (RewriteError otherwise);
- the later ones keep their data migrations (RunPython) and drop the model
  and field operations, whose end result the first one already made. In
  their place expect_columns() checks that the tables they changed have their
  final columns, so a table made by Django's own 0001 (a migrate tried
  before) stops migrate with a message instead of being kept short.

The migration state and the database agree after every migration (both
final from the first), so a data migration sees the columns that exist.

An operation other than RunPython and Django's model and field operations,
or a squashed migration, raises RewriteError: what it does to the schema
cannot be known here. The package's __path__ is Django's own migrations
directory, so Django's loader lists exactly Django's migration names; each
name is registered in sys.modules before the loader imports it, so no file
there is imported under this package.

https://docs.aws.amazon.com/aurora-dsql/latest/userguide/alter-table-syntax-support.html
"""

import functools
import importlib
import pkgutil
import re
import sys
import types

# The apps whose migrations alter columns that DSQL cannot alter.
APPS = ("auth", "contenttypes")
# MIGRATION_MODULES for an Aurora DSQL database.
MIGRATION_MODULES = {label: f"{__name__}.{label}" for label in APPS}

# The operations the rewrite knows: these only change models and fields,
# whose end result the first migration creates.
_SCHEMA_OPERATIONS = ("django.db.migrations.operations.models", "django.db.migrations.operations.fields")
_VARCHAR = re.compile(r"varchar\((\d+)\)")


class RewriteError(Exception):
    """Django's migrations of an app hold what the rewrite cannot handle."""


class SchemaMismatch(Exception):
    """A table does not have the columns the rewritten migrations made."""


def install(package, app_label):
    """Register the rewritten migrations of app_label as modules of package
    (a package's __name__) in sys.modules; return the __path__ the package
    must have: Django's own migrations directory of the app.

    Before Django's apps are ready (test discovery, documentation tools)
    it registers nothing and returns [], an empty package: Django's loader,
    which runs once they are, reloads a migrations package it finds
    imported, and so calls it again."""
    from django.apps import apps

    if not apps.ready:
        return []
    originals, path = _originals(app_label)
    for migration in _rewrite(app_label, originals):
        module = types.ModuleType(f"{package}.{migration.name}", f"{app_label}.{migration.name} for Aurora DSQL")
        module.Migration = migration
        sys.modules[module.__name__] = module
    return list(path)


def _originals(app_label):
    """Return Django's own migrations of app_label in the order they apply,
    and the __path__ of their package."""
    from django.apps import apps
    from django.db.migrations.graph import MigrationGraph

    package = importlib.import_module(f"{apps.get_app_config(app_label).name}.migrations")
    migrations = {}
    for _, name, is_pkg in pkgutil.iter_modules(package.__path__):
        if not is_pkg and name[0] not in "_~":
            migrations[name] = importlib.import_module(f"{package.__name__}.{name}").Migration(name, app_label)
    graph = MigrationGraph()
    for name, migration in migrations.items():
        if migration.replaces:
            raise RewriteError(f"{app_label}.{name} is a squashed migration")
        graph.add_node((app_label, name), migration)
    for name, migration in migrations.items():
        for dependency in migration.dependencies:
            if dependency[0] == app_label:
                graph.add_dependency(migration, (app_label, name), tuple(dependency))
    leaves = graph.leaf_nodes(app_label)
    if len(leaves) != 1:
        raise RewriteError(f"{app_label} has {len(leaves)} last migrations, want one")
    return [migrations[name] for _, name in graph.forwards_plan(leaves[0])], package.__path__


def _kept(migration, operation):
    """Whether the rewritten migration keeps operation (a data migration)."""
    from django.db.migrations import RunPython

    if isinstance(operation, RunPython):
        return True
    if type(operation).__module__ in _SCHEMA_OPERATIONS:
        return False
    raise RewriteError(
        f"{migration.app_label}.{migration.name}: {type(operation).__name__} is not known to djfront.dsql"
    )


def _final_models(app_label, originals):
    """Return the ModelStates of app_label after all of originals."""
    from django.db.migrations.state import ProjectState

    state = ProjectState()
    for migration in originals:
        for operation in migration.operations:
            operation.state_forwards(app_label, state)
    return [model for (label, _), model in state.models.items() if label == app_label]


def _create(model):
    from django.db.migrations import CreateModel

    return CreateModel(
        name=model.name,
        fields=[(name, field.clone()) for name, field in model.fields.items()],
        options=dict(model.options),
        bases=model.bases,
        managers=list(model.managers),
    )


def _rewrite(app_label, originals):
    """Return the Migration classes that replace originals (_originals())."""
    from django.db import migrations

    models = _final_models(app_label, originals)
    final = {model.name_lower for model in models}
    out = []
    for i, original in enumerate(originals):
        dependencies = [tuple(d) for d in original.dependencies]
        operations = [op for op in original.operations if _kept(original, op)]
        # The models, still there at the end, whose tables the dropped operations changed.
        changed = sorted({_model_name(op) for op in original.operations if not _kept(original, op)} & final)
        if i == 0:
            _check_relations(original, models, {d[0] for d in dependencies} | {app_label})
            operations = [_create(model) for model in models] + operations
        elif changed:
            operations.append(migrations.RunPython(
                functools.partial(expect_columns, app_label, changed), migrations.RunPython.noop, elidable=False,
            ))
        out.append(type("Migration", (migrations.Migration,), {
            "__module__": f"{__name__}.{app_label}.{original.name}",
            "name": original.name,
            "initial": original.initial,
            "atomic": original.atomic,
            "dependencies": dependencies,
            "run_before": list(original.run_before),
            "operations": operations,
        }))
    return out


def _check_relations(first, models, apps):
    """Raise RewriteError unless every relation of models (ModelStates)
    points into apps, the apps first depends on."""
    for model in models:
        for name, field in model.fields.items():
            target = field.remote_field.model if field.remote_field else None
            if isinstance(target, str) and "." in target and target.split(".")[0] not in apps:
                raise RewriteError(
                    f"{first.app_label}.{model.name}.{name} refers to {target}, "
                    f"which {first.app_label}.{first.name} does not depend on"
                )


def _model_name(operation):
    """Return the lowercase name of the model a model or field operation changes."""
    return (getattr(operation, "model_name", None) or operation.name).lower()


def _want_columns(model, connection):
    """Return {column: (nullable, max length)} that model's table must have."""
    want = {}
    for field in model._meta.local_concrete_fields:
        length = _VARCHAR.fullmatch(field.db_parameters(connection)["type"] or "")
        want[field.column] = ("YES" if field.null else "NO", int(length.group(1)) if length else None)
    return want


def expect_columns(app_label, model_names, apps, schema_editor):
    """Check that the tables of app_label's model_names have the columns of
    the models in apps (names, nullability, varchar lengths); raise
    SchemaMismatch otherwise. A data migration's code (RunPython, with
    functools.partial): it changes nothing."""
    connection = schema_editor.connection
    for name in model_names:
        model = apps.get_model(app_label, name)
        if model._meta.swapped or not model._meta.managed:
            continue
        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT column_name, is_nullable, character_maximum_length FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND table_name = %s",
                [table],
            )
            got = {column: (nullable, length) for column, nullable, length in cursor.fetchall()}
        want = _want_columns(model, connection)
        if got != want:
            raise SchemaMismatch(_mismatch(table, got, want))


def _mismatch(table, got, want):
    def show(columns, name):
        if name not in columns:
            return "no column"
        nullable, length = columns[name]
        return ("NULL" if nullable == "YES" else "NOT NULL") + (f" varchar({length})" if length else "")

    diffs = [f"{name}: {show(got, name)}, want {show(want, name)}" for name in sorted(got.keys() | want.keys())
             if got.get(name) != want.get(name)]
    return (
        f"{table} was not created by djfront.dsql's first migration ({'; '.join(diffs)}): Django's own "
        "migrations created it (a migrate before djfront.dsql was in MIGRATION_MODULES). Aurora DSQL cannot "
        "alter those columns; recreate the table with its final columns (docs/database.md, "
        "\"DSQL: Django's contrib migrations\")"
    )
