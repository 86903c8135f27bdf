"""Quote a workset and decide where it starts: approval gate and budget (§9.7–§9.9)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ursa.domain.billing import RateCard
from ursa.domain.budgets import Budget, BudgetPeriod, BudgetScope, HardAction, VerdictKind, evaluate
from ursa.domain.creation import BudgetOutcome, submission_state
from ursa.domain.customers import Customer
from ursa.domain.enums import ACTIVE_STATES, PipelineType, Priority, WorksetState, WorksetType
from ursa.domain.errors import QuotaExceeded
from ursa.domain.estimates import Estimate, Quote, estimate, make_quote
from ursa.domain.ports import WorksetQuery
from ursa.domain.services.context import Ports

RATE_CARD = RateCard()


def price(
    sizes: dict[str, int],
    pipeline: PipelineType,
    priority: Priority,
    workset_type: WorksetType,
    *,
    quote_id: str,
    workset_id: str,
    now: datetime,
    rates: RateCard = RATE_CARD,
) -> tuple[Estimate, Quote]:
    """One estimator for every figure: submit and the dry run both use it."""
    figures = estimate(sizes, pipeline, priority, workset_type, rates)
    return figures, make_quote(figures, quote_id=quote_id, workset_id=workset_id, created_at=now)


def check_quota(customer: Customer, figures: Estimate) -> None:
    """§10.2: the estimated results must fit the customer's storage quota."""
    if figures.result_gib > customer.max_storage_gb:
        raise QuotaExceeded(
            f"the estimated results ({figures.result_gib:.0f} GiB) exceed your storage quota "
            f"of {customer.max_storage_gb} GiB; ask the provider to raise it"
        )


def credit_budget(customer: Customer) -> Budget | None:
    """The provider-set credit limit is a budget the customer cannot change (§9.9)."""
    if customer.credit_limit is None:
        return None
    return Budget(
        budget_id=f"credit-{customer.customer_id}",
        customer_id=customer.customer_id,
        scope=BudgetScope.CUSTOMER,
        period=BudgetPeriod.TOTAL,
        amount=customer.credit_limit,
        set_by="provider",
        hard_action=HardAction.HOLD_NEW,
    )


async def committed_exposure(ports: Ports, customer_id: str) -> Decimal:
    """Σ(estimate − actual so far) over the customer's active worksets."""
    total = Decimal(0)
    cursor: str | None = None
    while True:
        page = await ports.worksets.list(
            WorksetQuery(customer_id=customer_id, states=ACTIVE_STATES, limit=100, cursor=cursor)
        )
        total += sum(
            (max(w.cost_estimate - (w.cost_actual or 0), Decimal(0)) for w in page.items),
            Decimal(0),
        )
        if page.next_cursor is None:
            return total
        cursor = page.next_cursor


async def budget_outcome(ports: Ports, customer: Customer, point: Decimal) -> BudgetOutcome:
    budget = credit_budget(customer)
    if budget is None:
        return BudgetOutcome.OK
    committed = await committed_exposure(ports, customer.customer_id)
    verdict = evaluate(budget, Decimal(0), committed, point)
    if verdict.kind is not VerdictKind.HARD:
        return BudgetOutcome.OK
    return (
        BudgetOutcome.REJECT if budget.hard_action is HardAction.REJECT_NEW else BudgetOutcome.HOLD
    )


async def gate(
    ports: Ports, customer: Customer, workset_type: WorksetType, point: Decimal
) -> WorksetState:
    return submission_state(
        approval_required=customer.approval.requires_approval(workset_type, point),
        budget=await budget_outcome(ports, customer, point),
    )
