"""``create_app(container)``: the one Litestar app factory, used by the CLI and the tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from pathlib import Path

from litestar import Litestar, Router
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi.config import OpenAPIConfig
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from ursa import __version__
from ursa.app.api.accounts import CustomerController, MeController, UserController
from ursa.app.api.audit import AuditController
from ursa.app.api.billing import BillingController
from ursa.app.api.buckets import BucketController
from ursa.app.api.clusters import ClusterController, provide_cluster_views
from ursa.app.api.dev_objects import dev_object_handlers
from ursa.app.api.engine import EngineController
from ursa.app.api.health import healthz, readyz
from ursa.app.api.manifests import ManifestController
from ursa.app.api.problems import ProblemResponsesPlugin
from ursa.app.api.tokens import TokenController
from ursa.app.api.workset_actions import WorksetActionsController
from ursa.app.api.worksets import WorksetController
from ursa.app.container import Container
from ursa.app.cors import cors_config
from ursa.app.deps import (
    authenticate_api,
    provide_api_principal,
    provide_engine_views,
    provide_portal_principal,
    provide_ports,
)
from ursa.app.errors import EXCEPTION_HANDLERS
from ursa.app.middleware import RequestIdMiddleware
from ursa.app.portal_sign_in import password_sign_in_enabled, provide_password_sign_in
from ursa.app.rate_limits import RateLimitHeadersMiddleware
from ursa.app.sessions import session_config, session_stores
from ursa.app.settings import Environment, Settings
from ursa.domain.services.engine.monitor import Monitor
from ursa.web.routes import portal_router

WEB = Path(__file__).resolve().parent.parent / "web"
NOT_CSRF = ["^/api/", "^/healthz", "^/readyz", "^/schema", "^/static/", "^/_objects/"]
NO_SESSION = ["^/api/", "^/healthz", "^/readyz", "^/schema", "^/static/", "^/_objects/"]
"""Paths that neither read nor write a portal session (a session store outage spares them)."""


ENGINE_DRAIN_S = 30.0

Boot = Callable[[AsyncExitStack], Awaitable[Container]]


def _booting(boot: Boot) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """Builds the container on the server's event loop (aiobotocore clients belong to one
    loop) and closes every client at shutdown."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            app.state.container = await boot(stack)
            yield

    return lifespan


@asynccontextmanager
async def _engine(app: Litestar) -> AsyncIterator[None]:
    """Runs the workset engine inside the server when the container carries one
    (``ursa dev``); on shutdown each run finishes its step and hands its lease over."""
    container: Container = app.state.container
    if container.engine is None:
        yield
        return
    monitor = Monitor(container.engine)
    app.state.monitor = monitor
    task = asyncio.create_task(monitor.run_forever(), name="ursa-engine")
    try:
        yield
    finally:
        monitor.stop()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(task, ENGINE_DRAIN_S)


def create_app(
    container: Container | None = None,
    *,
    settings: Settings | None = None,
    boot: Boot | None = None,
) -> Litestar:
    """Either a ready ``container`` (in-memory) or ``settings`` plus a ``boot`` that builds
    the container at start-up (the real adapters)."""
    if container is not None:
        settings = container.settings
    if settings is None or (container is None and boot is None):
        raise ValueError("create_app needs a container, or settings and a boot function")
    secure = settings.env is Environment.PRODUCTION
    api = Router(
        path="/api/v1",
        route_handlers=[
            WorksetController,
            WorksetActionsController,
            ClusterController,
            EngineController,
            MeController,
            CustomerController,
            UserController,
            TokenController,
            ManifestController,
            BillingController,
            AuditController,
            BucketController,
        ],
        guards=[authenticate_api],
        dependencies={"principal": Provide(provide_api_principal)},
    )
    portal = portal_router(
        dev_sign_in=settings.dev_sign_in,
        password_sign_in=password_sign_in_enabled(settings, container),
    )
    portal.dependencies["principal"] = Provide(provide_portal_principal)
    portal.dependencies["password_sign_in"] = Provide(provide_password_sign_in)
    app = Litestar(
        route_handlers=[
            api,
            portal,
            healthz,
            readyz,
            # presigned URLs of the in-memory twin only
            *(dev_object_handlers(container) if container is not None else []),
            create_static_files_router(
                path="/static", directories=[WEB / "static"], include_in_schema=False
            ),
        ],
        dependencies={
            "ports": Provide(provide_ports),
            "engine_views": Provide(provide_engine_views),
            "cluster_views": Provide(provide_cluster_views),
        },
        state=State({"container": container} if container is not None else {}),
        lifespan=[
            *([_booting(boot)] if container is None and boot is not None else []),
            _engine,
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        stores=session_stores(settings),
        cors_config=cors_config(settings.cors_origins),
        middleware=[
            RequestIdMiddleware(),
            RateLimitHeadersMiddleware(),
            session_config(settings, exclude=NO_SESSION).middleware,
        ],
        csrf_config=CSRFConfig(
            secret=settings.session_secret,
            exclude=NOT_CSRF,
            cookie_secure=secure,
            cookie_samesite="lax",
        ),
        plugins=[HTMXPlugin(), ProblemResponsesPlugin()],
        template_config=TemplateConfig(directory=WEB / "templates", engine=JinjaTemplateEngine),
        openapi_config=OpenAPIConfig(
            title="Ursa API",
            version=__version__,
            path="/schema",
            description="Genomics worksets: submit, track, retry and bill every sample.",
        ),
        debug=False,
        logging_config=None,  # logging is configured once, by ``app/logs.py``
    )
    # App-level middleware runs per route; wrapping the whole app as well gives the router's
    # own 404/405 answers a request id and an access line (the inner copy then does nothing).
    app.asgi_handler = RequestIdMiddleware()(app.asgi_handler)
    return app
