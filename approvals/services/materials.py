"""Uploaded materials: checked, hashed and stored once by content.

The bytes live under ``<data>/materials/<aa>/<sha256>``; the same file uploaded
twice is stored once. The type is decided by the file's magic bytes, never by
the name or the client's Content-Type, so a script renamed ``.pdf`` is refused.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
import unicodedata
from pathlib import Path

from approvals.clock import Clock
from approvals.domain.errors import DomainError, ErrorKind
from approvals.domain.events import DomainEvent
from approvals.domain.ids import uuid7
from approvals.domain.people import Principal
from approvals.persistence.transactions import transaction
from approvals.repository import materials as repo
from approvals.repository.materials import MaterialRecord
from approvals.services.audit_log import append_to_chain

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
ACCEPTED_TYPES = frozenset(t for _, t in _MAGIC)


def sniff_type(head: bytes) -> str | None:
    return next((kind for magic, kind in _MAGIC if head.startswith(magic)), None)


def clean_filename(name: str) -> str:
    name = unicodedata.normalize("NFC", os.path.basename(name.replace("\\", "/")))
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:200] or "未命名文件"


class MaterialStore:
    def __init__(self, root: Path, clock: Clock, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self._clock = clock

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def _write(self, data: bytes, sha256: str) -> None:
        target = self.path_for(sha256)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a crash never leaves a half-written file under its hash.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def store(self, principal: Principal, filename: str, data: bytes) -> MaterialRecord:
        if not data:
            raise DomainError(
                ErrorKind.INVALID,
                "empty_file",
                "上传的文件是空的，请重新选择文件。",
                "The uploaded file is empty; choose the file again.",
                "file",
            )
        if len(data) > self.max_bytes:
            raise DomainError(
                ErrorKind.TOO_LARGE,
                "file_too_large",
                f"文件超过 {self.max_bytes // (1024 * 1024)} MB 的上限，请压缩后再上传。",
                f"The file exceeds the {self.max_bytes // (1024 * 1024)} MB limit; compress it.",
                "file",
            )
        kind = sniff_type(data[:16])
        if kind is None:
            raise DomainError(
                ErrorKind.INVALID,
                "file_type_not_allowed",
                "只接受 PDF、JPEG 或 PNG 格式的文件，请转换格式后再上传。",
                "Only PDF, JPEG or PNG files are accepted; convert the file and upload again.",
                "file",
            )
        sha256 = hashlib.sha256(data).hexdigest()
        await asyncio.to_thread(self._write, data, sha256)
        now = self._clock.now()
        record = MaterialRecord(
            id=uuid7(now),
            owner_id=principal.account_id,
            sha256=sha256,
            size=len(data),
            content_type=kind,
            filename=clean_filename(filename),
            uploaded_at=now,
        )
        async with transaction():
            await repo.insert_material(record)
            await append_to_chain(
                f"account:{principal.account_id}",
                [
                    DomainEvent(
                        "material.uploaded",
                        now,
                        "caller",
                        data={"sha256": sha256, "size": len(data), "type": kind},
                    )
                ],
                actor_id=str(principal.account_id),
                actor_name=principal.display_name,
                target_type="material",
                target_id=str(record.id),
            )
        return record

    async def read(self, record: MaterialRecord) -> bytes:
        return await asyncio.to_thread(self.path_for(record.sha256).read_bytes)
