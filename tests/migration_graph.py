"""The migrations as written, without their squashes.

A new test database is built through the squashed migrations. Tests that take it back to a node inside
a squash, to hold rows as an older database held them, walk this graph instead: applying a squash
records the migrations it replaces, so the database is at the same place on both graphs.
"""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader


def loader(conn=connection, written=None) -> MigrationLoader:
    """The apps named in `written` (every app when None) as written; the others keep their squashes,
    which are quicker to walk."""
    loader = MigrationLoader(conn, ignore_no_migrations=True, replace_migrations=False)
    for key, squash in loader.replacements.items():
        if written is None or key[0] in written:
            loader.graph.remove_replacement_node(key, squash.replaces)
        else:
            loader.graph.remove_replaced_nodes(key, squash.replaces)
    return loader


def executor(written=None) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader = loader(written=written)
    return executor


def migrate(targets, written=None) -> None:
    executor(written).migrate(targets)


def migrate_to_latest(written=None) -> None:
    """Every app at its last migration (going back also unapplied the migrations after the target)."""
    latest = executor(written)
    latest.migrate(latest.loader.graph.leaf_nodes())
