"""What a step handler reports back to the driver."""

from __future__ import annotations

from dataclasses import dataclass

from ursa.domain.diagnostics import Evidence


@dataclass(frozen=True, slots=True, kw_only=True)
class Next:
    """The step's work is done: advance to its successor."""

    message: str = ""
    pct: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Wait:
    """Nothing more to do now; call again after ``seconds``."""

    seconds: float
    message: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Failure:
    """The run failed at this step; the driver classifies and applies the retry policy."""

    evidence: Evidence
    failed_samples: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Done:
    """The workset left ``in_progress`` (complete, failed, canceled)."""


StepResult = Next | Wait | Failure | Done
