"""Configuration, read once from the environment.

Every setting has a default that makes ``make run`` work on a fresh machine
(SQLite under ``./data``); production sets ``DATABASE_URL`` and
``APPROVALS_SECRET`` explicitly.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA_DIR = Path("data")


@dataclass(frozen=True)
class Settings:
    database_url: str | None
    data_dir: Path
    secret: bytes
    base_url: str
    host: str
    port: int
    workers: int
    pool_size: int
    cookie_secure: bool
    session_hours: int
    max_upload_bytes: int
    housekeeping_seconds: float = 60.0

    @property
    def is_sqlite(self) -> bool:
        return not self.database_url

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "approvals.sqlite3"

    @property
    def materials_dir(self) -> Path:
        return self.data_dir / "materials"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"


def _secret(data_dir: Path) -> bytes:
    """The master secret: from APPROVALS_SECRET, else a file made on first run.

    It encrypts signing keys at rest and keys the audit seals, so it must
    never be committed or logged; the file is created readable by the owner only.
    """
    value = os.environ.get("APPROVALS_SECRET")
    if value:
        return value.encode()
    path = data_dir / "secret.key"
    if path.exists():
        return path.read_bytes().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(48).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(token)
    return token


def _checked_base_url(url: str) -> str:
    """The public URL printed in QR codes: scheme, host and port only, QR-alphanumeric."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.path not in {"", "/"}:
        raise SystemExit(
            f"APPROVALS_BASE_URL must be http(s)://host[:port] with no path, got {url!r}"
        )
    allowed = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
    if not set(url.upper()) <= allowed:
        raise SystemExit(f"APPROVALS_BASE_URL has characters a QR code cannot carry: {url!r}")
    return url.rstrip("/")


def load_settings() -> Settings:
    env = os.environ.get
    data_dir = Path(env("APPROVALS_DATA_DIR", str(DEFAULT_DATA_DIR))).resolve()
    port = int(env("APPROVALS_PORT", "8000"))
    host = env("APPROVALS_HOST", "127.0.0.1")
    base_url = _checked_base_url(env("APPROVALS_BASE_URL", f"http://{host}:{port}"))
    return Settings(
        database_url=env("DATABASE_URL") or None,
        data_dir=data_dir,
        secret=_secret(data_dir),
        base_url=base_url,
        host=host,
        port=port,
        workers=int(env("APPROVALS_WORKERS", "1")),
        pool_size=int(env("APPROVALS_DB_POOL_SIZE", "20")),
        cookie_secure=base_url.startswith("https://"),
        session_hours=int(env("APPROVALS_SESSION_HOURS", "12")),
        max_upload_bytes=int(env("APPROVALS_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024))),
        housekeeping_seconds=float(env("APPROVALS_HOUSEKEEPING_SECONDS", "60")),
    )


_settings: Settings | None = None


def settings() -> Settings:
    global _settings
    if _settings is None:
        _settings = load_settings()
    return _settings


def reset_settings() -> None:
    """Forget cached settings (tests change the environment between runs)."""
    global _settings
    _settings = None
