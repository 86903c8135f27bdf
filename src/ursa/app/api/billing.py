"""/api/v1/billing and /api/v1/worksets/{id}/costs: usage, workset costs, invoice, CSV.

Thin handlers: parse the period, call one ``services.billing`` use case, present it. Who
may read what is decided in the service (see its docstring)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from ursa.app.api import billing_schemas as out
from ursa.domain.ids import CUSTOMER_ID_RE
from ursa.domain.periods import MONTH_PATTERN, Period, choose_period
from ursa.domain.principals import Principal
from ursa.domain.services import billing
from ursa.domain.services.context import Ports

PortsDep = NamedDependency[Ports]
PrincipalDep = NamedDependency[Principal]
CSV_MEDIA_TYPE = "text/csv"

CustomerId = Annotated[
    str | None,
    QueryParameter(
        max_length=40,
        pattern=CUSTOMER_ID_RE.pattern,
        description="Provider admins: the customer (required). Customers: their own, or omit.",
    ),
]
Month = Annotated[
    str | None,
    QueryParameter(
        min_length=7,
        max_length=7,
        pattern=MONTH_PATTERN,
        description="A calendar month in UTC, YYYY-MM. Default: the current month.",
    ),
]
Start = Annotated[
    str | None,
    QueryParameter(
        min_length=10,
        max_length=40,
        description="Inclusive start: ISO 8601 with Z (or an offset), or a date (UTC midnight).",
    ),
]
End = Annotated[
    str | None,
    QueryParameter(min_length=10, max_length=40, description="Exclusive end; goes with start."),
]


def _period(ports: Ports, period: str | None, start: str | None, end: str | None) -> Period:
    return choose_period(period=period, start=start, end=end, now=ports.clock.now())


class BillingController(Controller):
    path = "/"
    tags = ("billing",)

    @get(
        "/billing/usage",
        operation_id="getBillingUsage",
        summary="Usage summary for a period: compute, storage, the three transfer figures, "
        "fees, credits and the total, each estimated or actual",
    )
    async def usage(
        self,
        ports: PortsDep,
        principal: PrincipalDep,
        customer_id: CustomerId = None,
        period: Month = None,
        start: Start = None,
        end: End = None,
    ) -> out.UsageOut:
        summary = await billing.usage(
            ports,
            principal,
            customer_id=customer_id,
            period=_period(ports, period, start, end),
        )
        return out.usage(summary)

    @get(
        "/billing/worksets",
        operation_id="listBillingWorksets",
        summary="Costs per workset for a period (a customer_user: their own worksets)",
    )
    async def worksets(
        self,
        ports: PortsDep,
        principal: PrincipalDep,
        customer_id: CustomerId = None,
        period: Month = None,
        start: Start = None,
        end: End = None,
    ) -> out.WorksetCostPage:
        found = await billing.workset_costs(
            ports,
            principal,
            customer_id=customer_id,
            period=_period(ports, period, start, end),
        )
        return out.workset_page(found)

    @get(
        "/worksets/{workset_id:str}/costs",
        operation_id="getWorksetCosts",
        summary="One workset's costs over all its runs, per component and per sample",
    )
    async def workset_costs(
        self,
        ports: PortsDep,
        principal: PrincipalDep,
        workset_id: FromPath[str],
    ) -> out.WorksetCostDetailOut:
        detail = await billing.workset_cost_detail(ports, principal, workset_id)
        return out.workset_detail(detail)

    @get(
        "/billing/invoice",
        operation_id="getBillingInvoice",
        summary="The invoice of a month: one line per workset, subtotal, credits and total "
        "(customer admins and provider admins)",
    )
    async def invoice(
        self,
        ports: PortsDep,
        principal: PrincipalDep,
        customer_id: CustomerId = None,
        period: Month = None,
    ) -> out.InvoiceOut:
        bill = await billing.invoice(
            ports,
            principal,
            customer_id=customer_id,
            period=_period(ports, period, None, None),
        )
        return out.invoice(bill)

    @get(
        "/billing/export.csv",
        operation_id="exportBillingCsv",
        summary="The invoice as CSV: one row per workset, sample and component",
        media_type=CSV_MEDIA_TYPE,
        response_headers=[
            ResponseHeader(
                name="Content-Disposition",
                description="attachment; filename=ursa-<customer>-<period>.csv",
                documentation_only=True,
            )
        ],
    )
    async def export_csv(
        self,
        ports: PortsDep,
        principal: PrincipalDep,
        customer_id: CustomerId = None,
        period: Month = None,
        start: Start = None,
        end: End = None,
    ) -> Response[str]:
        bill, rows = await billing.export_rows(
            ports,
            principal,
            customer_id=customer_id,
            period=_period(ports, period, start, end),
        )
        return Response(
            out.csv_text(rows),
            media_type=CSV_MEDIA_TYPE,
            headers={
                "Content-Disposition": f'attachment; filename="{out.csv_filename(bill)}"',
            },
        )
