"""/api/v1/audit: read a tenant's audit chain as NDJSON, and verify it end to end.

Customer admins read their own customer's chain; provider admins name a customer, or
``_provider`` for the provider's own chain (``services/audit_trail.py``)."""

from __future__ import annotations

import re
from typing import Annotated

from litestar import Controller, Response, get
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from ursa.app.api import audit_schemas as out
from ursa.domain.audit import PROVIDER_TENANT
from ursa.domain.ids import CUSTOMER_ID_RE
from ursa.domain.principals import Principal
from ursa.domain.services import audit_trail
from ursa.domain.services.context import Ports

PortsDep = NamedDependency[Ports]
PrincipalDep = NamedDependency[Principal]
TENANT_PATTERN = f"^(?:{CUSTOMER_ID_RE.pattern.strip('^$')}|{re.escape(PROVIDER_TENANT)})$"

Tenant = Annotated[
    str | None,
    QueryParameter(
        max_length=40,
        pattern=TENANT_PATTERN,
        description=f"Provider admins: a customer id or {PROVIDER_TENANT} (required). "
        "Customer admins: their own, or omit.",
    ),
]


class AuditController(Controller):
    path = "/audit"
    tags = ("audit",)

    @get(
        "/",
        operation_id="listAuditRecords",
        summary="A tenant's audit chain, oldest first, one JSON record per line",
        media_type=out.NDJSON,
        response_headers=[
            ResponseHeader(
                name="X-Next-Since",
                description="Present when the page is full: pass it as since for the next one",
                required=False,
                documentation_only=True,
            )
        ],
    )
    async def list_records(
        self,
        ports: PortsDep,
        principal: PrincipalDep,
        customer_id: Tenant = None,
        since: Annotated[
            int,
            QueryParameter(ge=0, le=999_999_999_999, description="Records with a seq above this"),
        ] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=audit_trail.MAX_LIMIT)] = 100,
    ) -> Response[bytes]:
        _, records = await audit_trail.read_trail(
            ports, principal, customer_id=customer_id, since=since, limit=limit
        )
        headers = {"X-Next-Since": str(records[-1].seq)} if len(records) == limit else {}
        return Response(out.ndjson(records), media_type=out.NDJSON, headers=headers)

    @get(
        "/verify",
        operation_id="verifyAuditChain",
        summary="Recompute every link of a tenant's audit chain: ok, or the first bad seq",
    )
    async def verify(
        self, ports: PortsDep, principal: PrincipalDep, customer_id: Tenant = None
    ) -> out.AuditVerifyOut:
        tenant, report = await audit_trail.verify_trail(ports, principal, customer_id=customer_id)
        return out.report(tenant, report)
