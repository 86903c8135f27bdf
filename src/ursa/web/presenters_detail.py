"""The workset detail page: status region (with the run panel), facts, samples and history."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ursa.domain.diagnostics import catalogue_entry
from ursa.domain.enums import WorksetState
from ursa.domain.principals import Actor, ActorKind
from ursa.domain.samples import Sample
from ursa.domain.services.queries import WorksetDetail
from ursa.domain.transitions import can_cancel
from ursa.domain.worksets import HistoryEntry, Workset
from ursa.web import formatting as fmt
from ursa.web.presenters import POLLING_STATES, cancel_url, workset_url
from ursa.web.presenters_commands import commands_url
from ursa.web.presenters_run import FAILED_STATES, RunView, present_run

ACTIVE_STATES = frozenset({WorksetState.READY, WorksetState.IN_PROGRESS})
"""The engine moves these along by itself within seconds: the status region polls fast."""
ACTIVE_TRIGGER = "every 3s"
POLL_TRIGGER = "load delay:5s"
"""The other non-terminal states (retrying, awaiting approval, on hold) change rarely."""
CHANGED_TRIGGER = "worksetChanged from:body"


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorView:
    code: str
    name: str
    message: str
    remediation: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusView:
    workset_id: str
    name: str
    badge: fmt.Badge
    run: RunView | None
    poll: bool
    trigger: str
    note: str
    error: ErrorView | None
    can_cancel: bool
    cancel_url: str
    self_url: str
    updated: str
    updated_iso: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SampleRow:
    sample_id: str
    external_id: str
    sample_type: str
    size: str
    sex_chromosomes: str
    badge: fmt.Badge
    estimate: str
    actual: str
    failure: str


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryItem:
    seq: int
    when: str
    when_full: str
    when_iso: str
    title: str
    change: str
    actor: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DetailView:
    status: StatusView
    facts: tuple[Fact, ...]
    samples: tuple[SampleRow, ...]
    history: tuple[HistoryItem, ...]
    list_url: str
    commands_url: str | None


def present_error(code: str | None, message: str | None) -> ErrorView | None:
    if not code and not message:
        return None
    try:
        entry = catalogue_entry(code or "")
    except KeyError:
        return ErrorView(code=code or "", name="", message=message or "", remediation="")
    text = message or ""
    return ErrorView(
        code=entry.code,
        name=entry.name,
        message="" if entry.remediation in text else text,  # it only repeats the remediation
        remediation=entry.remediation,
    )


def status_note(ws: Workset, now: datetime) -> str:
    if ws.cancel_pending and ws.state is WorksetState.IN_PROGRESS:
        return "Cancel requested: Ursa is stopping the run on the cluster."
    if ws.state is WorksetState.RETRYING and ws.next_attempt_at is not None:
        due = (
            "the next attempt is due now"
            if ws.next_attempt_at <= now
            else f"next attempt {fmt.relative(ws.next_attempt_at, now)}"
        )
        return f"Attempt {ws.attempts} of {ws.attempts_allowed} failed; {due}."
    if ws.state is WorksetState.ON_HOLD and ws.hold_reason:
        return f"On hold: {ws.hold_reason}"
    if ws.state is WorksetState.AWAITING_APPROVAL:
        return "Waiting for an approver to accept the quote."
    return ""


def status_trigger(ws: Workset) -> str:
    """Poll while the workset can still change by itself (every 3 s while the engine is on
    it); a terminal state renders without a timer, so polling stops. Always follow
    ``worksetChanged``."""
    if ws.state in ACTIVE_STATES:
        return f"{ACTIVE_TRIGGER}, {CHANGED_TRIGGER}"
    if ws.state in POLLING_STATES:
        return f"{POLL_TRIGGER}, {CHANGED_TRIGGER}"
    return CHANGED_TRIGGER


def present_status(
    ws: Workset,
    now: datetime,
    *,
    history: Iterable[HistoryEntry] = (),
    admin: bool = False,
) -> StatusView:
    """``admin`` (a provider admin) also sees the run's head node."""
    return StatusView(
        workset_id=ws.workset_id,
        name=ws.name,
        badge=fmt.workset_badge(ws.state),
        run=present_run(ws, history, now, admin=admin),
        poll=ws.state in POLLING_STATES,
        trigger=status_trigger(ws),
        note=status_note(ws, now),
        error=(
            present_error(ws.last_error_code, ws.last_error_message)
            if ws.state in FAILED_STATES
            else None
        ),
        can_cancel=can_cancel(ws),
        cancel_url=cancel_url(ws.workset_id),
        self_url=workset_url(ws.workset_id),
        updated=fmt.relative(ws.updated_at, now),
        updated_iso=fmt.iso(ws.updated_at),
    )


def present_facts(ws: Workset, now: datetime) -> tuple[Fact, ...]:
    return (
        Fact(
            label="Pipeline",
            value=f"{fmt.PIPELINE_LABELS[ws.pipeline_type]} ({ws.pipeline_version})",
        ),
        Fact(label="Reference", value=f"{ws.reference_genome.value} / {ws.genome_build}"),
        Fact(label="Priority", value=fmt.priority_label(ws.priority)),
        Fact(label="Type", value=fmt.TYPE_LABELS[ws.workset_type]),
        Fact(label="Owner", value=ws.created_by_email),
        Fact(
            label="Created",
            value=f"{fmt.full_time(ws.created_at)} ({fmt.relative(ws.created_at, now)})",
        ),
        Fact(label="Samples", value=str(ws.manifest.sample_count)),
        Fact(label="Attempts", value=f"{ws.attempts} of {ws.attempts_allowed}"),
        Fact(label="Cost estimate", value=fmt.money(ws.cost_estimate)),
        Fact(label="Actual cost", value=fmt.money(ws.cost_actual)),
        Fact(label="Cost cap", value=fmt.money(ws.cost_cap) if ws.cost_cap else "None"),
        Fact(label="Retried from", value=ws.retried_from or fmt.DASH),
    )


def failure_label(code: str | None) -> str:
    if not code:
        return ""
    try:
        return f"{code} · {catalogue_entry(code).name}"
    except KeyError:
        return code


def present_sample(sample: Sample) -> SampleRow:
    sex = "" if sample.n_x is None or sample.n_y is None else f"X{sample.n_x} Y{sample.n_y}"
    return SampleRow(
        sample_id=sample.sample_id,
        external_id=sample.external_sample_id or fmt.DASH,
        sample_type=fmt.humanize(sample.sample_type),
        size=fmt.gib(sample.input_bytes),
        sex_chromosomes=sex or fmt.DASH,
        badge=fmt.sample_badge(sample.state),
        estimate=fmt.money(sample.cost_estimate),
        actual=fmt.money(sample.cost_actual),
        failure=failure_label(sample.failure_code),
    )


def actor_label(actor: Actor, viewer_id: str) -> str:
    if actor.id == viewer_id:
        return "You"
    if actor.kind is ActorKind.SYSTEM:
        return f"Ursa {actor.id.removeprefix('system:')}"
    who = fmt.role_label(actor.role) if actor.role else "User"
    kind = " (API token)" if actor.kind is ActorKind.API_TOKEN else ""
    return f"{who} {actor.id[:8]}{kind}"


def state_change(entry: HistoryEntry) -> str:
    to_state = fmt.humanize(entry.to_state.value)
    if entry.from_state is not None and entry.from_state is not entry.to_state:
        change = f"{fmt.humanize(entry.from_state.value)} → {to_state}"
    elif entry.from_state is None:
        change = to_state
    else:
        change = ""
    if entry.to_step is not None and entry.to_step is not entry.from_step:
        step = f"step: {fmt.humanize(entry.to_step.value).lower()}"
        change = f"{change} · {step}" if change else step[:1].upper() + step[1:]
    return change


def present_history(entry: HistoryEntry, now: datetime, viewer_id: str) -> HistoryItem:
    return HistoryItem(
        seq=entry.seq,
        when=fmt.relative(entry.at, now),
        when_full=fmt.full_time(entry.at),
        when_iso=fmt.iso(entry.at),
        title=fmt.humanize(entry.event),
        change=state_change(entry),
        actor=actor_label(entry.actor, viewer_id),
        reason=entry.reason or "",
    )


def present_detail(
    detail: WorksetDetail, now: datetime, viewer_id: str, *, admin: bool = False
) -> DetailView:
    """``admin``: the viewer is a provider admin (head node, command log)."""
    ws = detail.workset
    return DetailView(
        status=present_status(ws, now, history=detail.history, admin=admin),
        facts=present_facts(ws, now),
        samples=tuple(present_sample(s) for s in detail.samples),
        history=tuple(
            present_history(h, now, viewer_id)
            for h in sorted(detail.history, key=lambda h: h.seq, reverse=True)
        ),
        list_url="/worksets",
        commands_url=commands_url(ws.workset_id) if admin else None,
    )
