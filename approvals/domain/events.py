"""Domain events: one vocabulary for the audit log and for pushed events.

Names are dotted and past tense (``certificate.issued``). Every event becomes
an audit entry; the events in ``PUSHED`` also go to the outbox for the
supervision departments (PRODUCT.md §3.5), in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

# CloudEvents ``type`` is this prefix plus the event name.
EVENT_TYPE_PREFIX: Final = "cn.gov.health.approvals."

PUSHED: Final[frozenset[str]] = frozenset(
    {
        "application.accepted",
        "application.approved",
        "application.denied",
        "certificate.issued",
        "certificate.changed",
        "certificate.suspended",
        "certificate.restored",
        "certificate.revoked",
        "certificate.cancelled",
        "commitment.false",
    }
)


@dataclass(frozen=True)
class DomainEvent:
    name: str
    at: datetime
    actor: str
    reason: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    # What the event is about, when it is not the aggregate that recorded it.
    target_type: str = ""
    target_id: str = ""

    @property
    def is_pushed(self) -> bool:
        return self.name in PUSHED
