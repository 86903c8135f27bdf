"""Domain → view models: small frozen dataclasses the templates only print.

Every decision a page shows (which badge, whether to poll, whether to offer Cancel, what a
cancel will do) is made here, never in a template or a controller."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlencode

from ursa.domain.enums import WorksetState
from ursa.domain.ports import Page
from ursa.domain.transitions import can_cancel
from ursa.domain.worksets import Workset
from ursa.web import formatting as fmt
from ursa.web.forms import ListFilters
from ursa.web.presenters_session import Toast

POLLING_STATES = frozenset(
    {
        WorksetState.READY,
        WorksetState.IN_PROGRESS,
        WorksetState.RETRYING,
        WorksetState.AWAITING_APPROVAL,
        WorksetState.ON_HOLD,
    }
)
"""Non-terminal states whose status region reloads itself (``every 3s`` while ready or in
progress, ``load delay:5s`` otherwise; see ``presenters_detail.status_trigger``)."""
FILTER_STATES = tuple(WorksetState)
LIST_URL = "/worksets"


# --- URLs -------------------------------------------------------------------------------


def workset_url(workset_id: str) -> str:
    return f"{LIST_URL}/{quote(workset_id, safe='')}"


def cancel_url(workset_id: str) -> str:
    return f"{workset_url(workset_id)}/cancel"


def list_url(filters: ListFilters, *, cursor: str | None = None) -> str:
    params = {
        "state": filters.state.value if filters.state else "",
        "q": filters.q,
        "limit": "" if filters.limit == ListFilters.DEFAULT_LIMIT else str(filters.limit),
        "cursor": cursor or "",
    }
    query = urlencode({k: v for k, v in params.items() if v})
    return f"{LIST_URL}?{query}" if query else LIST_URL


# --- list -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Progress:
    pct: int | None
    step: str
    position: str
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class WorksetRow:
    workset_id: str
    name: str
    href: str
    badge: fmt.Badge
    progress: Progress | None
    priority: str
    urgent: bool
    samples: int
    created: str
    created_full: str
    created_iso: str
    cost: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Option:
    value: str
    label: str
    selected: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class WorksetList:
    rows: tuple[WorksetRow, ...]
    q: str
    limit_param: str
    state_options: tuple[Option, ...]
    self_url: str
    next_url: str | None
    first_url: str | None
    summary: str
    empty_text: str
    error: str = ""


def present_progress(ws: Workset) -> Progress | None:
    """Only a running workset has a live step and percentage."""
    if ws.state is not WorksetState.IN_PROGRESS or ws.progress_step is None:
        return None
    return Progress(
        pct=fmt.percent(ws.progress_pct),
        step=fmt.humanize(ws.progress_step.value),
        position=fmt.step_position(ws.progress_step),
        message=ws.progress_message,
    )


def present_row(ws: Workset, now: datetime) -> WorksetRow:
    return WorksetRow(
        workset_id=ws.workset_id,
        name=ws.name,
        href=workset_url(ws.workset_id),
        badge=fmt.workset_badge(ws.state),
        progress=present_progress(ws),
        priority=fmt.priority_label(ws.priority),
        urgent=ws.priority.rank == 0,
        samples=ws.manifest.sample_count,
        created=fmt.relative(ws.created_at, now),
        created_full=fmt.full_time(ws.created_at),
        created_iso=fmt.iso(ws.created_at),
        cost=fmt.cost_summary(ws.cost_estimate, ws.cost_actual),
    )


def present_list(page: Page[Workset], filters: ListFilters, now: datetime) -> WorksetList:
    chosen = filters.state.value if filters.state else ""
    options = (
        Option(value="", label="All active and finished", selected=not chosen),
        *(
            Option(value=s.value, label=fmt.humanize(s.value), selected=s.value == chosen)
            for s in FILTER_STATES
        ),
    )
    count = len(page.items)
    summary = f"{count} workset{'s' if count != 1 else ''}"
    if page.next_cursor or filters.cursor:
        summary = f"{summary} on this page"
    filtered = bool(filters.state or filters.q)
    return WorksetList(
        rows=tuple(present_row(ws, now) for ws in page.items),
        q=filters.q,
        limit_param="" if filters.limit == ListFilters.DEFAULT_LIMIT else str(filters.limit),
        state_options=options,
        self_url=list_url(filters, cursor=filters.cursor),
        next_url=list_url(filters, cursor=page.next_cursor) if page.next_cursor else None,
        first_url=list_url(filters) if filters.cursor else None,
        summary=summary,
        empty_text="No worksets match these filters." if filtered else "No worksets yet.",
        error=f"Search not understood: {filters.error}" if filters.error else "",
    )


# --- cancel -----------------------------------------------------------------------------

RUNNING_CANCEL = (
    "Ursa will stop the pipeline on the cluster, cancel its Slurm jobs and mark unfinished "
    "samples canceled; samples that already finished keep their results and costs."
)
QUEUED_CANCEL = "It will not run; nothing has been charged."
RETRY_CANCEL = "It will not run again; anything charged for earlier attempts stays billed."
RETRY_CANCEL_COST = "It will not run again; the {cost} charged for earlier attempts stays billed."
NOT_CANCELABLE = "This workset can no longer be canceled ({state})."
PENDING_CANCEL = "A cancel was already requested; Ursa is stopping the run."


def cancel_explanation(ws: Workset) -> str:
    if ws.cancel_pending:
        return PENDING_CANCEL
    if not can_cancel(ws):
        return NOT_CANCELABLE.format(state=fmt.humanize(ws.state.value).lower())
    if ws.state is WorksetState.IN_PROGRESS:
        return RUNNING_CANCEL
    if ws.attempts == 0 and ws.cost_actual is None:
        return QUEUED_CANCEL
    if ws.cost_actual is None:
        return RETRY_CANCEL
    return RETRY_CANCEL_COST.format(cost=fmt.money(ws.cost_actual))


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelDialog:
    workset_id: str
    name: str
    badge: fmt.Badge
    allowed: bool
    keep_label: str
    explanation: str
    action_url: str
    detail_url: str
    reason: str
    error: str


def present_cancel(ws: Workset, *, reason: str = "", error: str = "") -> CancelDialog:
    return CancelDialog(
        workset_id=ws.workset_id,
        name=ws.name,
        badge=fmt.workset_badge(ws.state),
        allowed=can_cancel(ws),
        keep_label="Keep workset" if can_cancel(ws) else "Close",
        explanation=cancel_explanation(ws),
        action_url=cancel_url(ws.workset_id),
        detail_url=workset_url(ws.workset_id),
        reason=reason,
        error=error,
    )


def cancel_toast(ws: Workset, outcome: str) -> Toast:
    if outcome == "stopping":
        return Toast(
            level="info",
            title="Stopping workset",
            message=f"{ws.name}: Ursa is stopping the run on the cluster.",
        )
    if outcome == "already":
        return Toast(
            level="info",
            title="Already canceled",
            message=f"{ws.name} was already canceled or is stopping.",
        )
    return Toast(
        level="success",
        title="Workset canceled",
        message=f"{ws.name} was canceled. Nothing more will run.",
    )
