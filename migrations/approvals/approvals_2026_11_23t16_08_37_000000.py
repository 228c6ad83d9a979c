"""Composite indexes, as raw SQL.

SQLite cannot add a table constraint after CREATE TABLE, and CREATE INDEX means
the same on both engines, so multi-column (unique) indexes live here.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-23T16:08:37:000000"
VERSION = "1.38.0"
DESCRIPTION = "composite_indexes"

STATEMENTS = (
    "CREATE UNIQUE INDEX catalogue_code_version ON catalogue_entry (code, version)",
    "CREATE INDEX application_by_applicant ON application (applicant, submitted_at, id)",
    "CREATE INDEX material_by_owner ON material (owner, id)",
    "CREATE UNIQUE INDEX application_material_slot"
    " ON application_material (application, slot, material)",
    "CREATE UNIQUE INDEX certificate_status_index ON certificate (issuer, status_index)",
    "CREATE INDEX certificate_by_application ON certificate (application)",
    "CREATE UNIQUE INDEX audit_chain_seq ON audit_entry (chain, seq)",
    "CREATE INDEX login_session_expiry ON login_session (expires_at)",
    # One seal may follow each seal: concurrent sealers cannot fork the seal chain.
    "CREATE UNIQUE INDEX audit_seal_prev ON audit_seal (prev_seal_hash)",
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
            name = statement.split(" INDEX ", 1)[1].split(" ", 1)[0]
            await _Raw.raw(f"DROP INDEX {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
