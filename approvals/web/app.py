"""The Litestar application: routes, error handling, start-up and shut-down."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from litestar import Litestar, get
from litestar.config.cors import CORSConfig
from litestar.datastructures import ResponseHeader
from litestar.di import Provide
from litestar.exceptions import HTTPException, NotFoundException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from approvals.clock import Clock, SystemClock
from approvals.config import Settings, settings
from approvals.persistence.engine import current_engine, start_engine, stop_engine
from approvals.repository.accounts import purge_expired_sessions
from approvals.services.audit_check import seal_pending
from approvals.services.context import Services, build_services
from approvals.services.deadlines import run_deadline_sweeps
from approvals.services.delivery import Dispatcher
from approvals.web.controllers.applications import ApplicationController
from approvals.web.controllers.auth import AuthController
from approvals.web.controllers.calendar import CalendarController
from approvals.web.controllers.catalogue import CatalogueController
from approvals.web.controllers.certificates import CertificateController
from approvals.web.controllers.materials import MaterialController
from approvals.web.controllers.metrics import MetricsController
from approvals.web.controllers.notifications import NotificationController
from approvals.web.controllers.post_checks import PostCheckController
from approvals.web.controllers.push import PushController
from approvals.web.controllers.reviews import ReviewController
from approvals.web.controllers.supervision import SupervisionController
from approvals.web.controllers.verification import TrustDataController, VerificationController
from approvals.web.controllers.workflow import WorkflowController
from approvals.web.errors import EXCEPTION_HANDLERS
from approvals.web.pages import page_router, static_router
from approvals.web.pages.base import page_exception_handler
from approvals.web.security import provide_principal, provide_services

log = logging.getLogger("approvals")
TEMPLATES = Path(__file__).parent / "templates"


@get("/health", operation_id="health", summary="Liveness and database reachability", tags=["ops"])
async def health() -> dict[str, str]:
    from approvals.tables import Department

    await Department.count()
    return {"status": "ok"}


async def housekeeping(services: Services, every_seconds: float) -> None:
    """At start-up and then every ``every_seconds``: seal new audit entries (any process
    may; one wins each block), forget sessions that expired more than a day ago, and run
    the deadline sweeps. Nothing here is a timer in memory: each round reads what is due
    from the database, so a deadline that passed while no process ran fires at the next
    start, and one that already fired is not due any more."""
    while True:
        try:
            while await seal_pending(services.settings.secret, services.clock):
                pass
            await purge_expired_sessions(services.clock.now() - timedelta(days=1))
            swept = await run_deadline_sweeps(services)
            if any(swept.values()):
                log.info("deadline sweeps: %s", swept)
        except asyncio.CancelledError:
            raise
        except Exception:  # try again on the next round; the log says why this one failed
            log.exception("housekeeping failed")
        await asyncio.sleep(every_seconds)


# Sent with every answer: no one may frame our pages (clickjacking) and no browser may
# guess a type (an upload served as HTML). Our own pages add a strict CSP (web.pages).
SECURITY_HEADERS = [
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="X-Frame-Options", value="DENY"),
    ResponseHeader(name="Referrer-Policy", value="no-referrer"),
]


def _not_found(request: Any, exc: Exception) -> Any:
    """An unknown address: a page in Chinese for a browser, the JSON error for the API."""
    path = request.url.path
    wants_page = "text/html" in request.headers.get("accept", "")
    if wants_page and not path.startswith(("/api/", "/.well-known/", "/schema")):
        return page_exception_handler(request, exc)
    return EXCEPTION_HANDLERS[HTTPException](request, exc)


def create_app(conf: Settings | None = None, clock: Clock | None = None) -> Litestar:
    conf = conf or settings()
    services = build_services(conf, clock or SystemClock())

    background: list[asyncio.Task[None]] = []
    stack = contextlib.AsyncExitStack()

    async def on_startup(app: Litestar) -> None:
        await start_engine(current_engine(), conf.pool_size)
        await services.keyring.load(force=True)
        background.append(asyncio.create_task(housekeeping(services, conf.housekeeping_seconds)))
        if os.environ.get("APPROVALS_PUSH", "on") != "off":
            dispatcher = await stack.enter_async_context(Dispatcher(services))
            background.append(asyncio.create_task(dispatcher.run()))
        # Objects alive after start-up are long-lived: move them out of the
        # collector's sight so full collections stop pausing requests.
        gc.collect()
        gc.freeze()

    async def on_shutdown(app: Litestar) -> None:
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        await stack.aclose()
        await stop_engine(current_engine())

    app = Litestar(
        route_handlers=[
            health,
            AuthController,
            CatalogueController,
            CalendarController,
            MaterialController,
            ApplicationController,
            WorkflowController,
            ReviewController,
            CertificateController,
            NotificationController,
            VerificationController,
            TrustDataController,
            PushController,
            SupervisionController,
            PostCheckController,
            MetricsController,
            page_router(),
            static_router(),
        ],
        dependencies={
            "principal": Provide(provide_principal),
            "services": Provide(provide_services),
        },
        exception_handlers={**EXCEPTION_HANDLERS, NotFoundException: _not_found},
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        openapi_config=OpenAPIConfig(
            title="卫生健康行政许可审批服务 API",
            version="0.1.0",
            description=(
                "Licence approvals for health authorities. Errors are JSON objects with `code`, "
                "`zh`, `en`, `field` and `errors` (every problem to fix)."
            ),
            path="/schema",
            render_plugins=[SwaggerRenderPlugin(), ScalarRenderPlugin(path="/scalar")],
        ),
        template_config=TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine),
        cors_config=CORSConfig(allow_origins=[], allow_credentials=False),
        request_max_body_size=1024 * 1024,
        response_headers=SECURITY_HEADERS,
        debug=False,
    )
    app.state.services = services
    return app


def app_factory() -> Any:
    """Entry point for ASGI servers (granian/uvicorn ``--factory``)."""
    return create_app()
