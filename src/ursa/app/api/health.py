"""Liveness and readiness."""

from __future__ import annotations

from litestar import Response, get
from litestar.datastructures import State

from ursa import __version__
from ursa.app.api.schemas import Health
from ursa.app.deps import container_of
from ursa.domain.errors import UrsaError


@get("/healthz", operation_id="healthz", tags=["health"], summary="Liveness")
async def healthz() -> Health:
    return Health(status="ok", version=__version__)


@get("/readyz", operation_id="readyz", tags=["health"], summary="Dependencies reachable")
async def readyz(state: State) -> Response[Health]:
    ports = container_of(state).ports
    checks: dict[str, str] = {}
    try:
        await ports.directory.list_customers()
        checks["directory"] = "ok"
    except UrsaError as exc:
        checks["directory"] = exc.code
    ok = all(v == "ok" for v in checks.values())
    return Response(
        Health(status="ok" if ok else "degraded", version=__version__, checks=checks),
        status_code=200 if ok else 503,
    )
