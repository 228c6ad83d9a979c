"""Pages: system administration (管理员) — the catalogue, the working-day calendar, people,
supervision push subscriptions and dead letters, signing keys.

Every route is for administrators only, as the API's ``requires(Role.ADMIN)`` guards; the
handlers here only route, and the work is in ``admin_setup``, ``admin_people``,
``admin_push`` and ``admin_keys``, which call the same services as the API and the CLI.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from approvals.domain.people import Role
from approvals.web.pages import admin_keys, admin_people, admin_push, admin_setup
from approvals.web.pages.base import require

AnyRequest = Request[Any, Any, Any]


class AdminPages(Controller):
    include_in_schema = False

    @get("/admin")
    async def overview(self, request: AnyRequest) -> Template:
        return await admin_setup.overview(request, await require(request, Role.ADMIN))

    # -- the catalogue (read-only: see admin_setup) --

    @get("/admin/catalogue")
    async def catalogue(self, request: AnyRequest) -> Template:
        return await admin_setup.catalogue(request, await require(request, Role.ADMIN))

    @get("/admin/catalogue/{code:str}")
    async def catalogue_type(self, request: AnyRequest, code: FromPath[str]) -> Template:
        principal = await require(request, Role.ADMIN)
        return await admin_setup.catalogue_type(request, principal, code)

    # -- the calendar --

    @get("/admin/calendar")
    async def calendar(self, request: AnyRequest) -> Template:
        return await admin_setup.calendar_page(request, await require(request, Role.ADMIN))

    @post("/admin/calendar/{year:int}")
    async def load_calendar(self, request: AnyRequest, year: FromPath[int]) -> Template | Redirect:
        principal = await require(request, Role.ADMIN)
        return await admin_setup.load_calendar(request, principal, year)

    # -- people --

    @get("/admin/people")
    async def people(self, request: AnyRequest) -> Template:
        return await admin_setup.people_page(request, await require(request, Role.ADMIN))

    @post("/admin/people")
    async def create_person(self, request: AnyRequest) -> Template | Redirect:
        principal = await require(request, Role.ADMIN)
        return await admin_setup.create_person(request, principal)

    @get("/admin/people/{account_id:uuid}")
    async def person(self, request: AnyRequest, account_id: FromPath[uuid.UUID]) -> Template:
        principal = await require(request, Role.ADMIN)
        return await admin_people.person_page(request, principal, account_id)

    @post("/admin/people/{account_id:uuid}/active")
    async def person_active(
        self, request: AnyRequest, account_id: FromPath[uuid.UUID]
    ) -> Template | Redirect:
        principal = await require(request, Role.ADMIN)
        return await admin_people.set_active(request, principal, account_id)

    @post("/admin/people/{account_id:uuid}/access")
    async def person_access(
        self, request: AnyRequest, account_id: FromPath[uuid.UUID]
    ) -> Template | Redirect:
        principal = await require(request, Role.ADMIN)
        return await admin_people.change_access(request, principal, account_id)

    @post("/admin/people/{account_id:uuid}/password")
    async def person_password(
        self, request: AnyRequest, account_id: FromPath[uuid.UUID]
    ) -> Template | Redirect:
        principal = await require(request, Role.ADMIN)
        return await admin_people.reset_password(request, principal, account_id)

    # -- supervision push --

    @get("/admin/subscriptions")
    async def subscriptions(self, request: AnyRequest) -> Template:
        return await admin_push.list_page(request, await require(request, Role.ADMIN))

    @post("/admin/subscriptions")
    async def create_subscription(self, request: AnyRequest) -> Template:
        return await admin_push.create(request, await require(request, Role.ADMIN))

    @get("/admin/subscriptions/{sub_id:uuid}")
    async def subscription(self, request: AnyRequest, sub_id: FromPath[uuid.UUID]) -> Template:
        principal = await require(request, Role.ADMIN)
        return await admin_push.detail(request, principal, sub_id)

    @post("/admin/subscriptions/{sub_id:uuid}")
    async def edit_subscription(
        self, request: AnyRequest, sub_id: FromPath[uuid.UUID]
    ) -> Template | Redirect:
        principal = await require(request, Role.ADMIN)
        return await admin_push.edit(request, principal, sub_id)

    @post("/admin/subscriptions/{sub_id:uuid}/state")
    async def subscription_state(
        self, request: AnyRequest, sub_id: FromPath[uuid.UUID]
    ) -> Redirect:
        principal = await require(request, Role.ADMIN)
        return await admin_push.set_active(request, principal, sub_id)

    @post("/admin/subscriptions/{sub_id:uuid}/rotate")
    async def rotate_secret(
        self, request: AnyRequest, sub_id: FromPath[uuid.UUID]
    ) -> Template | Redirect:
        principal = await require(request, Role.ADMIN)
        return await admin_push.rotate(request, principal, sub_id)

    @post("/admin/subscriptions/{sub_id:uuid}/replay")
    async def replay_all(self, request: AnyRequest, sub_id: FromPath[uuid.UUID]) -> Redirect:
        principal = await require(request, Role.ADMIN)
        return await admin_push.replay_all(request, principal, sub_id)

    @post("/admin/deliveries/{delivery_id:int}/replay")
    async def replay_one(self, request: AnyRequest, delivery_id: FromPath[int]) -> Redirect:
        principal = await require(request, Role.ADMIN)
        return await admin_push.replay_one(request, principal, delivery_id)

    # -- signing keys --

    @get("/admin/keys")
    async def keys(self, request: AnyRequest) -> Template:
        return await admin_keys.page(request, await require(request, Role.ADMIN))

    @post("/admin/keys")
    async def create_key(self, request: AnyRequest) -> Redirect:
        return await admin_keys.create(request, await require(request, Role.ADMIN))

    @post("/admin/keys/{kid:str}/activate")
    async def activate_key(self, request: AnyRequest, kid: FromPath[str]) -> Redirect:
        principal = await require(request, Role.ADMIN)
        return await admin_keys.activate(request, principal, kid)

    @post("/admin/keys/{kid:str}/retire")
    async def retire_key(self, request: AnyRequest, kid: FromPath[str]) -> Redirect:
        principal = await require(request, Role.ADMIN)
        return await admin_keys.retire(request, principal, kid)

    @post("/admin/keys/{kid:str}/revoke")
    async def revoke_key(self, request: AnyRequest, kid: FromPath[str]) -> Redirect:
        principal = await require(request, Role.ADMIN)
        return await admin_keys.revoke(request, principal, kid)
