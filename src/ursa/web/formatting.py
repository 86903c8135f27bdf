"""Pure display formatting for the portal: labels, badges, times (UTC), money and sizes.

Presenters call these; templates never format anything themselves."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from types import MappingProxyType

from ursa.domain.enums import (
    STEP_ORDER,
    PipelineType,
    Priority,
    ProgressStep,
    SampleState,
    WorksetState,
    WorksetType,
)
from ursa.domain.money import format_usd
from ursa.domain.principals import Role

GIB = 1024**3
DASH = "—"

# Badge colour groups: queued (blue), running (amber), done (green), error (red), inactive (grey).
WORKSET_GROUPS: Mapping[WorksetState, str] = MappingProxyType(
    {
        WorksetState.AWAITING_APPROVAL: "queued",
        WorksetState.READY: "queued",
        WorksetState.ON_HOLD: "queued",
        WorksetState.IN_PROGRESS: "running",
        WorksetState.RETRYING: "running",
        WorksetState.COMPLETE: "done",
        WorksetState.ERROR: "error",
        WorksetState.FAILED: "error",
        WorksetState.CANCELED: "inactive",
        WorksetState.IGNORED: "inactive",
        WorksetState.ARCHIVED: "inactive",
        WorksetState.DELETED: "inactive",
    }
)
SAMPLE_GROUPS: Mapping[SampleState, str] = MappingProxyType(
    {
        SampleState.PENDING: "queued",
        SampleState.STAGING: "running",
        SampleState.RUNNING: "running",
        SampleState.SUCCEEDED: "done",
        SampleState.FAILED: "error",
        SampleState.SKIPPED: "inactive",
        SampleState.CANCELED: "inactive",
    }
)
ROLE_LABELS: Mapping[Role, str] = MappingProxyType(
    {
        Role.CUSTOMER_USER: "Customer user",
        Role.CUSTOMER_ADMIN: "Customer admin",
        Role.PROVIDER_ADMIN: "Provider admin",
    }
)
PIPELINE_LABELS: Mapping[PipelineType, str] = MappingProxyType(
    {
        PipelineType.TEST_HELP: "Test (help)",
        PipelineType.GERMLINE_WGS_SNV: "Germline WGS · SNV",
        PipelineType.GERMLINE_WGS_SNV_SV: "Germline WGS · SNV + SV",
        PipelineType.GERMLINE_WGS_KITCHENSINK: "Germline WGS · kitchen sink",
    }
)
TYPE_LABELS: Mapping[WorksetType, str] = MappingProxyType(
    {
        WorksetType.CLINICAL: "Clinical",
        WorksetType.RUO: "Research use only",
        WorksetType.LSMC: "LSMC",
    }
)
WORD_FIXES: Mapping[str, str] = MappingProxyType({"qc": "QC", "ruo": "RUO", "wgs": "WGS"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Badge:
    value: str
    label: str
    group: str


def humanize(value: str) -> str:
    """``pipeline_running`` → ``Pipeline running``."""
    words = [WORD_FIXES.get(w, w) for w in value.replace("-", "_").split("_") if w]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def workset_badge(state: WorksetState) -> Badge:
    return Badge(value=state.value, label=humanize(state.value), group=WORKSET_GROUPS[state])


def sample_badge(state: SampleState) -> Badge:
    return Badge(value=state.value, label=humanize(state.value), group=SAMPLE_GROUPS[state])


def role_label(role: Role) -> str:
    return ROLE_LABELS[role]


def priority_label(priority: Priority) -> str:
    return humanize(priority.value)


def step_position(step: ProgressStep) -> str:
    """``Step 5 of 10``; canceling is outside the ordered steps."""
    if step not in STEP_ORDER:
        return ""
    return f"Step {STEP_ORDER.index(step) + 1} of {len(STEP_ORDER)}"


def percent(value: int | None) -> int | None:
    return None if value is None else max(0, min(100, value))


def money(amount: Decimal | None) -> str:
    return DASH if amount is None else format_usd(amount)


def cost_summary(estimate: Decimal, actual: Decimal | None) -> str:
    """Actual cost once posted, else the estimate marked as such."""
    return format_usd(actual) if actual is not None else f"est. {format_usd(estimate)}"


def gib(size: int) -> str:
    if size <= 0:
        return DASH
    value = size / GIB
    return "<0.1 GiB" if value < 0.05 else f"{value:,.1f} GiB"


def utc(at: datetime) -> datetime:
    return at.astimezone(UTC)


def iso(at: datetime) -> str:
    return utc(at).isoformat(timespec="seconds").replace("+00:00", "Z")


def full_time(at: datetime) -> str:
    """``23 Nov 2025 14:05 UTC``."""
    return utc(at).strftime("%d %b %Y %H:%M UTC").lstrip("0")


def short_date(at: datetime) -> str:
    return utc(at).strftime("%d %b %Y").lstrip("0")


def relative(at: datetime, now: datetime) -> str:
    """``just now``, ``12 min ago``, ``5 h ago``, ``3 d ago``, ``in 4 min``; past 30 days a date."""
    seconds = int((utc(now) - utc(at)).total_seconds())
    future = seconds < 0
    seconds = abs(seconds)
    if seconds < 60:
        return "just now" if not future else "in under a minute"
    if seconds >= 30 * 86400:
        return short_date(at)
    if seconds < 3600:
        amount = f"{seconds // 60} min"
    elif seconds < 86400:
        amount = f"{seconds // 3600} h"
    else:
        amount = f"{seconds // 86400} d"
    return f"in {amount}" if future else f"{amount} ago"


def clock_time(at: datetime) -> str:
    """``14:05:09`` (UTC): commands are seconds apart, so the time of day carries seconds."""
    return utc(at).strftime("%H:%M:%S")


def duration(seconds: float) -> str:
    """``0.25 s``, ``12.4 s``, ``3 min 05 s``, ``2 h 07 min``."""
    seconds = max(seconds, 0.0)
    if seconds < 1:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = int(seconds)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def line_count(text: str) -> str:
    """``1 line``, ``50 lines``: how much a collapsed output holds."""
    count = len(text.splitlines())
    return f"{count} line{'s' if count != 1 else ''}"
