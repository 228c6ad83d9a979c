"""The Piccolo app: every table of the service, one migrations folder."""

from __future__ import annotations

import os

from piccolo.conf.apps import AppConfig

from approvals.tables import ALL_TABLES

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

APP_CONFIG = AppConfig(
    app_name="approvals",
    migrations_folder_path=os.path.join(_ROOT, "migrations", "approvals"),
    table_classes=list(ALL_TABLES),
    migration_dependencies=[],
    commands=[],
)
