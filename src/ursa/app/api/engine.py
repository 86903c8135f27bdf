"""/api/v1/engine: what the engine replicas are doing (provider admins)."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency

from ursa.app.api import schemas
from ursa.domain.principals import Principal
from ursa.domain.services import operations
from ursa.domain.services.context import Ports


class EngineController(Controller):
    path = "/engine"
    tags = ("engine",)

    @get(
        "/leases",
        operation_id="listEngineLeases",
        summary="Running worksets, the replica holding each and its last heartbeat",
    )
    async def leases(
        self, ports: NamedDependency[Ports], principal: NamedDependency[Principal]
    ) -> list[schemas.LeaseOut]:
        found = await operations.engine_leases(ports, principal)
        return [
            schemas.LeaseOut(
                workset_id=v.workset_id,
                customer_id=v.customer_id,
                owner=v.owner,
                token=v.token,
                step=v.step,
                heartbeat_at=v.heartbeat_at,
                expires_at=v.expires_at,
                expired=v.expired,
            )
            for v in found
        ]
