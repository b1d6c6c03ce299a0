"""After migrating, the database has every table, column and index the models declare.

SQLite rebuilds tables for some column changes and drops secondary indexes when it does;
this test catches a migration that loses one, on both backends.
"""

from __future__ import annotations

from tortoise import Tortoise
from tortoise.connection import get_connection


def column(meta, name: str) -> str:
    """The database column of a field name (a foreign key `user` is the column `user_id`)."""
    if name in meta.fields_db_projection:
        return meta.fields_db_projection[name]
    return meta.fields_map[name].source_field or f"{name}_id"


def declared_indexes(model) -> set[tuple[str, ...]]:
    meta = model._meta
    indexes: set[tuple[str, ...]] = set()
    for name in meta.fields_db_projection:
        field = meta.fields_map[name]
        if not field.pk and (getattr(field, "index", False) or field.unique):
            indexes.add((meta.fields_db_projection[name],))
    for group in meta.unique_together or ():
        indexes.add(tuple(column(meta, name) for name in group))
    for index in getattr(meta, "indexes", ()) or ():
        fields = index if isinstance(index, (tuple, list)) else getattr(index, "fields", ())
        indexes.add(tuple(column(meta, name) for name in fields))
    return indexes


async def actual_indexes(table: str) -> set[tuple[str, ...]]:
    connection = get_connection("default")
    dialect = connection.capabilities.dialect
    if dialect == "sqlite":
        _, rows = await connection.execute_query(f"PRAGMA index_list('{table}')")
        result = set()
        for row in rows:
            _, info = await connection.execute_query(f"PRAGMA index_info('{row['name']}')")
            result.add(tuple(column["name"] for column in info))
        return result
    _, rows = await connection.execute_query(
        "SELECT a.attname, i.indexrelid FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
        "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(i.indkey) WHERE t.relname = "
        "$1",
        [table],
    )
    grouped: dict[int, list[str]] = {}
    for row in rows:
        grouped.setdefault(row["indexrelid"], []).append(row["attname"])
    return {tuple(columns) for columns in grouped.values()}


async def test_every_declared_index_exists(app):
    tables = 0
    for models in Tortoise.apps.values():
        for model in models.values():
            await get_connection("default").execute_query(
                f'SELECT COUNT(*) FROM "{model._meta.db_table}"'
            )
            tables += 1
            actual = {
                tuple(sorted(columns)) for columns in await actual_indexes(model._meta.db_table)
            }
            for columns in declared_indexes(model):
                assert tuple(sorted(columns)) in actual, (
                    f"{model._meta.db_table}: no index on {columns}"
                )
    assert tables >= 1
