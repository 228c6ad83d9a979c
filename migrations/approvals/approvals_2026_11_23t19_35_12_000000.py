"""The event feed's order, and indexes for fan-out and delivery.

On PostgreSQL every outbox row records the id of the transaction that wrote it (``tx``,
from ``pg_current_xact_id()``). Serial ids are taken when a row is inserted, not when it
commits, so a feed read by id could pass over an id whose transaction commits a moment
later. The feed instead returns only rows whose ``tx`` is below the oldest transaction
still running (the snapshot's xmin): no row with a smaller ``tx`` can appear afterwards,
so a cursor on (tx, id) never skips one. On SQLite there is one writer at a time and
rows commit in id order, so ``tx`` stays 0 and the id alone is the order.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

ID = "2026-11-23T19:35:12:000000"
VERSION = "1.38.0"
DESCRIPTION = "event_feed"

TX_POSTGRES = (
    "ALTER TABLE outbox_event ADD COLUMN tx bigint NOT NULL"
    " DEFAULT (pg_current_xact_id()::text::bigint)"
)
TX_SQLITE = "ALTER TABLE outbox_event ADD COLUMN tx bigint NOT NULL DEFAULT 0"
INDEXES = (
    "CREATE INDEX outbox_event_feed ON outbox_event (tx, id)",
    "CREATE INDEX outbox_event_unfanned ON outbox_event (fanned_out, id)",
    "CREATE INDEX delivery_due ON delivery (status, next_attempt_at, id)",
    "CREATE INDEX delivery_partition ON delivery (subscription, partition_key, status, id)",
    "CREATE INDEX delivery_attempt_by_delivery ON delivery_attempt (delivery, attempt)",
    "CREATE UNIQUE INDEX delivery_once ON delivery (subscription, event)",
)


class _Raw(Table, tablename="piccolo_migration"):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="approvals", description=DESCRIPTION)

    async def create() -> None:
        postgres = isinstance(_Raw._meta.db, PostgresEngine)
        await _Raw.raw(TX_POSTGRES if postgres else TX_SQLITE)
        for statement in INDEXES:
            await _Raw.raw(statement)

    async def drop() -> None:
        for statement in INDEXES:
            name = statement.split(" INDEX ", 1)[1].split(" ", 1)[0]
            await _Raw.raw(f"DROP INDEX {name}")
        await _Raw.raw("ALTER TABLE outbox_event DROP COLUMN tx")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
