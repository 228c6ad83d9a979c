"""Piccolo's configuration: the engine comes from DATABASE_URL (SQLite when unset)."""

from piccolo.conf.apps import AppRegistry

from approvals.persistence.engine import engine_from_settings

DB = engine_from_settings()

APP_REGISTRY = AppRegistry(apps=["approvals.piccolo_app"])
