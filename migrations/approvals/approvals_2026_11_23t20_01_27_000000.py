"""Indexes for the supervision console and the claim-deadline sweep."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-23T20:01:27:000000"
VERSION = "1.38.0"
DESCRIPTION = "supervision_item_indexes"

STATEMENTS = (
    "CREATE INDEX supervision_item_console ON supervision_item (department, status, claim_due, id)",
    "CREATE INDEX supervision_item_due ON supervision_item (status, claim_due)",
    "CREATE INDEX supervision_item_by_application ON supervision_item (application)",
    "CREATE UNIQUE INDEX supervision_item_once ON supervision_item (event_id, department)",
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
