"""The migrated schema matches the Piccolo tables on this engine (SQLite can skip ALTERs)."""

from __future__ import annotations

from typing import Any

from approvals.tables import ALL_TABLES, RAW_COLUMNS


async def _columns(table: Any, engine_name: str) -> set[str]:
    name = table._meta.tablename
    if engine_name == "sqlite":
        rows = await table.raw(f"PRAGMA table_info({name})")
        return {r["name"] for r in rows}
    rows = await table.raw(
        "SELECT column_name FROM information_schema.columns WHERE table_name = {}", name
    )
    return {r["column_name"] for r in rows}


async def test_every_table_has_exactly_the_columns_its_class_declares(
    database: None, engine_name: str
) -> None:
    for table in ALL_TABLES:
        declared = {c._meta.db_column_name for c in table._meta.columns}
        declared |= RAW_COLUMNS.get(table._meta.tablename, frozenset())
        assert await _columns(table, engine_name) == declared, table._meta.tablename
