"""The run panel of the detail page: the ten progress steps as a stepper, the live progress
and the facts of the run record (which cluster, which head node, when it started).

Which step is done, current, failed or stopped is decided here from the workset's state, its
step and, when a cancel has replaced the step with ``canceling``, the last step its history
reached. Templates only print the result."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from ursa.domain.enums import STEP_ORDER, ProgressStep, WorksetState
from ursa.domain.run_record import HeadNodeRef, Run, RunKind
from ursa.domain.worksets import HistoryEntry, Workset
from ursa.web import formatting as fmt
from ursa.web.presenters import Progress, present_progress

S = WorksetState
FAILED_STATES = frozenset({S.RETRYING, S.ERROR, S.FAILED})
"""States whose stepper marks the step the last attempt failed at (and show the last error)."""

DONE, CURRENT, FAILED, STOPPED, PENDING = "done", "current", "failed", "stopped", "pending"
STATUS_LABELS: Mapping[str, str] = MappingProxyType(
    {
        DONE: "done",
        CURRENT: "in progress",
        FAILED: "failed",
        STOPPED: "stopped",
        PENDING: "not started",
    }
)
MARKERS: Mapping[str, str] = MappingProxyType({DONE: "✓", FAILED: "✕", STOPPED: "■"})
KIND_LABELS: Mapping[RunKind, str] = MappingProxyType(
    {
        RunKind.INITIAL: "",
        RunKind.AUTO_RETRY: "automatic retry",
        RunKind.OPERATOR_RETRY: "operator retry",
    }
)
QUEUED_TEXT = "Queued: the engine starts the run shortly."


@dataclass(frozen=True, slots=True, kw_only=True)
class StepView:
    value: str
    label: str
    number: int
    status: str
    status_label: str
    marker: str
    current: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class RunFact:
    label: str
    value: str
    mono: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RunView:
    steps: tuple[StepView, ...]
    summary: str
    progress: Progress | None
    attempt: str
    idle: str
    facts: tuple[RunFact, ...]


def effective_state(ws: Workset) -> WorksetState:
    """An archived or ignored workset shows the run as it was left."""
    if ws.state is S.ARCHIVED and ws.pre_archive_state is not None:
        return ws.pre_archive_state
    if ws.state is S.IGNORED and ws.pre_ignore_state is not None:
        return ws.pre_ignore_state
    return ws.state


def reached_step(ws: Workset, history: Iterable[HistoryEntry]) -> ProgressStep | None:
    """The step the run is at or stopped at; a cancel overwrites it with ``canceling``, so
    then the newest history entry that entered one of the ten steps tells."""
    if ws.progress_step in STEP_ORDER:
        return ws.progress_step
    for entry in sorted(history, key=lambda h: h.seq, reverse=True):
        if entry.to_step in STEP_ORDER:
            return entry.to_step
    return None


def step_status(state: WorksetState, reached: ProgressStep | None, step: ProgressStep) -> str:
    if state is S.COMPLETE:
        return DONE
    if reached is None or state is S.READY:
        return PENDING
    position, at = STEP_ORDER.index(step), STEP_ORDER.index(reached)
    if position != at:
        return DONE if position < at else PENDING
    if state in FAILED_STATES:
        return FAILED
    return CURRENT if state is S.IN_PROGRESS else STOPPED


def present_steps(
    ws: Workset, history: Iterable[HistoryEntry]
) -> tuple[tuple[StepView, ...], ProgressStep | None]:
    state = effective_state(ws)
    reached = reached_step(ws, history)
    if ws.progress_step is ProgressStep.CANCELING and state is S.IN_PROGRESS:
        state = S.CANCELED  # stopping: the step it was at is no longer current
    steps = []
    for number, step in enumerate(STEP_ORDER, start=1):
        status = step_status(state, reached, step)
        steps.append(
            StepView(
                value=step.value,
                label=fmt.humanize(step.value),
                number=number,
                status=status,
                status_label=STATUS_LABELS[status],
                marker=MARKERS.get(status, str(number)),
                current=status == CURRENT,
            )
        )
    return tuple(steps), reached


def run_summary(ws: Workset, reached: ProgressStep | None) -> str:
    """One line beside the panel's heading: where the run ended up, in words. A running
    workset has none: its progress line (step, position, percent) says it."""
    state = effective_state(ws)
    total = len(STEP_ORDER)
    if state is S.COMPLETE:
        return f"All {total} steps done"
    if state in (S.IN_PROGRESS, S.READY):
        return ""  # the progress line, or the queued line, says it
    if reached is None:
        return "Not started"
    at = f"step {STEP_ORDER.index(reached) + 1} of {total}"
    step = fmt.humanize(reached.value).lower()
    if state in FAILED_STATES:
        return f"Failed at {at}: {step}"
    return f"Stopped at {at}: {step}"


def attempt_label(ws: Workset) -> str:
    if ws.attempts == 0:
        return f"{ws.attempts_allowed} attempts allowed"
    if ws.state is S.READY:
        return f"Attempt {ws.attempts + 1} of {ws.attempts_allowed} queued"
    kind = KIND_LABELS[ws.run.kind] if ws.run else ""
    text = f"Attempt {ws.attempts} of {ws.attempts_allowed}"
    return f"{text} · {kind}" if kind else text


def head_node_label(head: HeadNodeRef) -> str:
    port = f":{head.port}" if head.port != 22 else ""
    instance = f" ({head.instance_id})" if head.instance_id else ""
    return f"{head.user}@{head.host}{port}{instance}"


def when(at: datetime, now: datetime) -> str:
    return f"{fmt.full_time(at)} ({fmt.relative(at, now)})"


def run_facts(
    run: Run, now: datetime, *, admin: bool, completed_at: datetime | None = None
) -> tuple[RunFact, ...]:
    cluster = run.cluster_name or "Not chosen yet"
    if run.cluster_name and run.region:
        cluster = f"{run.cluster_name} ({run.region})"
    facts = [
        RunFact(label="Run ID", value=run.run_id, mono=True),
        RunFact(label="Cluster", value=cluster, mono=bool(run.cluster_name)),
    ]
    if admin:
        head = head_node_label(run.head_node) if run.head_node else "Not known yet"
        facts.append(RunFact(label="Head node", value=head, mono=run.head_node is not None))
    facts.append(RunFact(label="Started", value=when(run.started_at, now)))
    launched = when(run.launched_at, now) if run.launched_at else "Not yet"
    facts.append(RunFact(label="Pipeline launched", value=launched))
    ended = run.ended_at or completed_at
    if ended is not None:
        facts.append(RunFact(label="Ended", value=when(ended, now)))
    if run.kind is not RunKind.INITIAL:
        facts.append(RunFact(label="Resumed from", value=fmt.humanize(run.resume_from.value)))
    return tuple(facts)


def present_run(
    ws: Workset, history: Iterable[HistoryEntry], now: datetime, *, admin: bool
) -> RunView | None:
    """``None`` while no run exists and none is queued (awaiting approval, on hold, ...)."""
    if ws.run is None and ws.state is not S.READY:
        return None
    steps, reached = present_steps(ws, history)
    queued = ws.state is S.READY
    return RunView(
        steps=steps,
        summary=run_summary(ws, reached),
        progress=present_progress(ws),
        attempt=attempt_label(ws),
        idle=QUEUED_TEXT if queued else "",
        facts=(
            run_facts(ws.run, now, admin=admin, completed_at=ws.completed_at)
            if ws.run and not queued
            else ()
        ),
    )
