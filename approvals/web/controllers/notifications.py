"""Notifications: what the service has told an account (e.g. a certificate's status changed)."""

from __future__ import annotations

import uuid

from litestar import Controller, get, post
from litestar.params import FromPath

from approvals.domain.errors import not_found
from approvals.repository import notifications as repo
from approvals.web.errors import error_responses
from approvals.web.schemas import NotificationOut
from approvals.web.security import PrincipalDep, ServicesDep, logged_in


class NotificationController(Controller):
    path = "/api/notifications"
    tags = ["notifications"]
    guards = [logged_in]

    @get(
        "/",
        operation_id="listNotifications",
        summary="My notifications, newest first",
        responses=error_responses(401),
    )
    async def list_notifications(self, principal: PrincipalDep) -> list[NotificationOut]:
        return [
            NotificationOut(
                m.id, m.subject, m.title, m.body, m.created_at.isoformat(), m.read_at is not None
            )
            for m in await repo.messages_for(principal.account_id)
        ]

    @post(
        "/{notification_id:uuid}/read",
        operation_id="markNotificationRead",
        status_code=204,
        summary="Mark one of my notifications read",
        responses=error_responses(401, 404),
    )
    async def mark_read(
        self, notification_id: FromPath[uuid.UUID], principal: PrincipalDep, services: ServicesDep
    ) -> None:
        if not await repo.mark_read(principal.account_id, notification_id, services.clock.now()):
            raise not_found("该通知", "Notification", "notification_id")
