"""current_quote and approve_quote (T5)."""

from __future__ import annotations

from ursa.domain import commands
from ursa.domain.audit import AuditAction
from ursa.domain.creation import BudgetOutcome
from ursa.domain.enums import WorksetState, WorksetType
from ursa.domain.errors import BudgetExhausted, Forbidden, GuardFailed, NotFound
from ursa.domain.estimates import Quote
from ursa.domain.principals import Principal, Role
from ursa.domain.services.audit import record_workset
from ursa.domain.services.context import Ports, commit
from ursa.domain.services.pricing import budget_outcome
from ursa.domain.services.queries import load_visible
from ursa.domain.tenancy import Action
from ursa.domain.transitions import check_pair
from ursa.domain.worksets import Workset


async def current_quote(ports: Ports, principal: Principal, workset_id: str) -> Quote:
    ws = await load_visible(ports, principal, workset_id)
    if ws.quote_id is None:
        raise NotFound("this workset has no quote")
    return await ports.quotes.get(ws.quote_id)


async def approve_quote(
    ports: Ports, principal: Principal, workset_id: str, quote_id: str
) -> Workset:
    """Idempotent: approving an already-approved quote is a no-op (§6.6)."""
    ws = await load_visible(ports, principal, workset_id, Action.APPROVE)
    if ws.state is not WorksetState.AWAITING_APPROVAL and ws.approved_quote_id == quote_id:
        return ws
    # Before any quote is read: the id in the request may name another tenant's quote.
    check_pair(ws, "approve", WorksetState.READY)
    if quote_id != ws.quote_id:
        raise GuardFailed("that quote is not the current quote", code="QUOTE_SUPERSEDED")
    if ws.workset_type is WorksetType.CLINICAL and principal.user_id == ws.owner_user_id:
        # By user, not actor: the submitter's own API token is still the submitter.
        raise GuardFailed(
            "a clinical workset must be approved by someone other than its submitter",
            code="APPROVAL_REQUIRED",
        )
    quote = await ports.quotes.get(quote_id)
    customer = await ports.directory.get_customer(ws.customer_id)
    if principal.role is Role.CUSTOMER_USER and quote.point > customer.approval.self_approval_below:
        raise Forbidden("this quote is above your self-approval limit; ask a customer admin")
    outcome = await budget_outcome(ports, customer, quote.point)
    if outcome is BudgetOutcome.REJECT:
        raise BudgetExhausted("the customer's budget is exhausted; the quote cannot be approved")
    transition = commands.approve(
        ws,
        actor=principal.actor,
        now=ports.clock.now(),
        quote_id=quote_id,
        quote_expires_at=quote.expires_at,
        cost_cap=quote.high,
        hold=outcome is BudgetOutcome.HOLD,
    )
    await commit(ports, transition)
    await record_workset(
        ports, principal, AuditAction.WORKSET_APPROVE, before=ws, after=transition.workset
    )
    return transition.workset
