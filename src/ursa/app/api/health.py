"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import State

from ursa import __version__
from ursa.app.api.schemas import Health
from ursa.app.deps import container_of
from ursa.app.sessions import SESSION_STORE, SessionRedisStore
from ursa.domain.errors import UrsaError


@get("/healthz", operation_id="healthz", tags=["health"], summary="Liveness")
async def healthz() -> Health:
    return Health(status="ok", version=__version__)


@get("/readyz", operation_id="readyz", tags=["health"], summary="Dependencies reachable")
async def readyz(request: Request[Any, Any, Any], state: State) -> Response[Health]:
    """The directory (DynamoDB or memory), the shared rate-limit store and, when sessions
    live in Redis, the session store; each answers within its own client timeout."""
    container = container_of(state)
    checks: dict[str, str] = {}
    try:
        await container.ports.directory.list_customers()
        checks["directory"] = "ok"
    except UrsaError as exc:
        checks["directory"] = exc.code
    checks["rate_limits"] = "ok" if await container.throttle.reachable() else "UNAVAILABLE"
    sessions = request.app.stores.get(SESSION_STORE)
    if isinstance(sessions, SessionRedisStore):
        checks["sessions"] = "ok" if await sessions.reachable() else "UNAVAILABLE"
    ok = all(v == "ok" for v in checks.values())
    return Response(
        Health(status="ok" if ok else "degraded", version=__version__, checks=checks),
        status_code=200 if ok else 503,
    )
