"""Trust list sequence numbers are unique, and so is each content's digest.

Two processes noticing the same key change at once must not publish it under
two numbers (or two contents under one).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-23T17:24:25:000000"
VERSION = "1.38.0"
DESCRIPTION = "trust_list_state_unique"

STATEMENTS = (
    "CREATE UNIQUE INDEX trust_list_state_seq ON trust_list_state (seq)",
    "CREATE UNIQUE INDEX trust_list_state_digest ON trust_list_state (digest)",
)


class _Raw(Table, tablename="piccolo_migration"):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="approvals", description=DESCRIPTION)

    async def create_indexes() -> None:
        for statement in STATEMENTS:
            await _Raw.raw(statement)

    async def drop_indexes() -> None:
        for statement in STATEMENTS:
            await _Raw.raw(f"DROP INDEX {statement.split(' INDEX ', 1)[1].split(' ', 1)[0]}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
