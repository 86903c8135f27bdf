"""/api/v1/billing bodies (msgspec Structs) and the domain → Struct presenters.

Money is a decimal string to the cent (``"12.30"``), USD. Every figure says whether it is
``estimated`` or ``actual`` and cites the rate card version(s) it was priced with."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Literal

import msgspec

from ursa.domain.billing import Basis, CostBreakdown, CostComponent
from ursa.domain.invoicing import Invoice, UsageSummary, WorksetCostDetail, WorksetCosts
from ursa.domain.money import to_cents
from ursa.domain.periods import Period
from ursa.domain.services.billing import WorksetCostList


class FigureOut(msgspec.Struct, kw_only=True):
    component: CostComponent
    amount: Decimal
    basis: Basis
    source: str
    """``rate_card:<version>[,<version>…]``, or ``unmetered`` for a transfer not yet metered."""


class CostsOut(msgspec.Struct, kw_only=True):
    figures: list[FigureOut]
    """Components with posted costs, in a fixed order; the three transfer figures always."""
    total: Decimal
    basis: Basis
    """``actual`` only when every figure is actual (§9.2)."""
    estimated_components: list[CostComponent]


class PeriodOut(msgspec.Struct, kw_only=True):
    label: str
    """``YYYY-MM`` for a month, else ``<start>/<end>``."""
    start: datetime
    end: datetime
    """Exclusive: costs posted at ``start <= t < end`` are in the period."""


class UsageOut(msgspec.Struct, kw_only=True):
    customer_id: str
    period: PeriodOut
    scope: Literal["customer", "own_worksets"]
    """``own_worksets``: a customer_user sees only the costs of their own worksets."""
    currency: Literal["USD"] = "USD"
    costs: CostsOut
    total: Decimal
    basis: Basis
    workset_count: int
    sample_count: int


class WorksetCostOut(msgspec.Struct, kw_only=True):
    workset_id: str
    name: str | None
    """None for a workset that no longer exists (its costs stay on the bill)."""
    owner_user_id: str | None
    costs: CostsOut
    total: Decimal
    basis: Basis
    over_quote: bool
    """Above the approved quote's high × 1.10 (§9.6): reviewed before the invoice is issued."""


class WorksetCostPage(msgspec.Struct, kw_only=True):
    customer_id: str
    period: PeriodOut
    currency: Literal["USD"] = "USD"
    items: list[WorksetCostOut]
    total: Decimal


class SampleCostOut(msgspec.Struct, kw_only=True):
    sample_id: str | None
    """None: costs posted for the workset as a whole."""
    costs: CostsOut
    total: Decimal
    basis: Basis


class WorksetCostDetailOut(msgspec.Struct, kw_only=True):
    workset: WorksetCostOut
    samples: list[SampleCostOut]
    """Add up to ``workset.total`` exactly."""
    currency: Literal["USD"] = "USD"


class InvoiceOut(msgspec.Struct, kw_only=True):
    customer_id: str
    period: PeriodOut
    currency: Literal["USD"] = "USD"
    lines: list[WorksetCostOut]
    subtotal: Decimal
    credits: Decimal
    """Non-billable attempts (<= 0)."""
    total: Decimal
    """``subtotal + credits`` = the sum of the lines = the sum of the CSV's ``amount_usd``."""
    basis: Basis
    needs_review: bool
    """A line is ``over_quote``: a provider reviews it before the invoice is issued."""


def costs(b: CostBreakdown) -> CostsOut:
    return CostsOut(
        figures=[
            FigureOut(component=c, amount=to_cents(f.amount), basis=f.basis, source=f.source)
            for c, f in b.figures.items()
        ],
        total=to_cents(b.total),
        basis=b.basis,
        estimated_components=list(b.estimated_components),
    )


def period(p: Period) -> PeriodOut:
    return PeriodOut(label=p.label, start=p.start, end=p.end)


def usage(u: UsageSummary) -> UsageOut:
    return UsageOut(
        customer_id=u.customer_id,
        period=period(u.period),
        scope="own_worksets" if u.owner_user_id else "customer",
        costs=costs(u.costs),
        total=to_cents(u.total),
        basis=u.costs.basis,
        workset_count=u.worksets,
        sample_count=u.samples,
    )


def workset_cost(w: WorksetCosts) -> WorksetCostOut:
    return WorksetCostOut(
        workset_id=w.info.workset_id,
        name=w.info.name,
        owner_user_id=w.info.owner_user_id,
        costs=costs(w.costs),
        total=to_cents(w.total),
        basis=w.costs.basis,
        over_quote=w.over_quote,
    )


def workset_page(found: WorksetCostList) -> WorksetCostPage:
    items = [workset_cost(w) for w in found.items]
    return WorksetCostPage(
        customer_id=found.customer_id,
        period=period(found.period),
        items=items,
        total=to_cents(sum((w.total for w in found.items), Decimal(0))),
    )


def workset_detail(d: WorksetCostDetail) -> WorksetCostDetailOut:
    return WorksetCostDetailOut(
        workset=workset_cost(d.workset),
        samples=[
            SampleCostOut(
                sample_id=s.sample_id,
                costs=costs(s.costs),
                total=to_cents(s.costs.total),
                basis=s.costs.basis,
            )
            for s in d.samples
        ],
    )


def invoice(bill: Invoice) -> InvoiceOut:
    return InvoiceOut(
        customer_id=bill.customer_id,
        period=period(bill.period),
        lines=[workset_cost(line) for line in bill.lines],
        subtotal=to_cents(bill.subtotal),
        credits=to_cents(bill.credits),
        total=to_cents(bill.total),
        basis=bill.basis,
        needs_review=bill.needs_review,
    )


_UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def csv_text(rows: Sequence[Sequence[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(rows)
    return out.getvalue()


def csv_filename(bill: Invoice) -> str:
    stem = _UNSAFE_IN_FILENAME.sub("_", f"ursa-{bill.customer_id}-{bill.period.label}")
    return f"{stem}.csv"
