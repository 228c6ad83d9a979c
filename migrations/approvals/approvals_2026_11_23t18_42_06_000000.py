"""Indexes for the staff queue and the review work lists.

Each ends in the primary key so that keyset pagination on (…, next_due, id)
walks the index in order and stays fast with millions of cases.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-23T18:42:06:000000"
VERSION = "1.38.0"
DESCRIPTION = "queue_indexes"

STATEMENTS = (
    # An administrator's whole queue; a department's queue, all of it or what is overdue.
    "CREATE INDEX application_queue_due ON application (next_due, id)",
    "CREATE INDEX application_queue_department_due ON application (department, next_due, id)",
    "CREATE INDEX application_queue_status ON application (status, next_due, id)",
    "CREATE INDEX application_queue_assignee ON application (assignee, next_due, id)",
    "CREATE INDEX application_queue_department ON application (department, status, next_due, id)",
    "CREATE INDEX review_task_queue ON review_task (department, status, due_on, id)",
    "CREATE INDEX review_task_by_application ON review_task (application)",
    "CREATE INDEX clock_pause_by_application ON clock_pause (application)",
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
