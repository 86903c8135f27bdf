"""Budgets (§9.9): exposure, verdict, threshold crossings. Percentages are percent (80 = 80 %)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from ursa.domain.enums import ACTIVE_STATES, WorksetState
from ursa.domain.money import ZERO

PCT_QUANTUM = Decimal("0.01")


class BudgetScope(StrEnum):
    CUSTOMER = "customer"
    COST_CENTER = "cost_center"


class BudgetPeriod(StrEnum):
    CALENDAR_MONTH = "calendar_month"
    TOTAL = "total"


class HardAction(StrEnum):
    REJECT_NEW = "reject_new"
    HOLD_NEW = "hold_new"
    HOLD_ALL = "hold_all"


class VerdictKind(StrEnum):
    OK = "ok"
    SOFT = "soft"
    HARD = "hard"


@dataclass(frozen=True, slots=True, kw_only=True)
class Budget:
    budget_id: str
    customer_id: str
    scope: BudgetScope
    period: BudgetPeriod
    amount: Decimal
    set_by: str
    cost_center: str | None = None
    soft_thresholds_pct: tuple[int, ...] = (50, 80, 100)
    hard_limit_pct: int | None = 100
    hard_action: HardAction = HardAction.REJECT_NEW
    notify_emails: tuple[str, ...] = ()
    version: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal) or not self.amount.is_finite() or self.amount <= 0:
            raise ValueError("budget amount must be a Decimal > 0")
        if (self.scope is BudgetScope.COST_CENTER) != bool(self.cost_center):
            raise ValueError("cost_center is required exactly when scope is cost_center")
        if any(t <= 0 for t in self.soft_thresholds_pct):
            raise ValueError("soft thresholds must be > 0")
        if list(self.soft_thresholds_pct) != sorted(set(self.soft_thresholds_pct)):
            raise ValueError("soft thresholds must be strictly ascending")
        if self.hard_limit_pct is not None and self.hard_limit_pct <= 0:
            raise ValueError("hard_limit_pct must be > 0 or None")

    @property
    def hard_limit(self) -> Decimal | None:
        """The amount above which the budget is hard-exhausted."""
        if self.hard_limit_pct is None:
            return None
        return self.amount * self.hard_limit_pct / 100


@dataclass(frozen=True, slots=True, kw_only=True)
class BudgetVerdict:
    """``pct`` = (spent + committed + new_point) / amount × 100, to 0.01.

    ``threshold`` is the highest soft threshold reached (None below the first).
    """

    kind: VerdictKind
    pct: Decimal
    threshold: int | None = None


def exposure_pct(budget: Budget, exposure: Decimal) -> Decimal:
    return (exposure * 100 / budget.amount).quantize(PCT_QUANTUM, rounding=ROUND_HALF_EVEN)


def evaluate(
    budget: Budget, spent: Decimal, committed: Decimal, new_point: Decimal
) -> BudgetVerdict:
    """hard: spent + committed + new_point > amount × hard_limit_pct / 100; soft at or above
    the first soft threshold; ok otherwise."""
    exposure = spent + committed + new_point
    pct = exposure_pct(budget, exposure)
    limit = budget.hard_limit
    reached = [t for t in budget.soft_thresholds_pct if exposure * 100 >= budget.amount * t]
    threshold = reached[-1] if reached else None
    if limit is not None and exposure > limit:
        return BudgetVerdict(kind=VerdictKind.HARD, pct=pct, threshold=threshold)
    if threshold is not None:
        return BudgetVerdict(kind=VerdictKind.SOFT, pct=pct, threshold=threshold)
    return BudgetVerdict(kind=VerdictKind.OK, pct=pct)


def headroom(budget: Budget, spent: Decimal, committed: Decimal) -> Decimal | None:
    """What still fits under the hard limit (None: no hard limit). T10 releases a held
    workset when this is ≥ its quote point."""
    limit = budget.hard_limit
    return None if limit is None else limit - spent - committed


def crossed_thresholds(budget: Budget, before_pct: Decimal, after_pct: Decimal) -> tuple[int, ...]:
    """Soft thresholds t with before_pct < t ≤ after_pct, ascending. Each one emits
    ``budget.threshold_crossed`` once per (budget, period, threshold)."""
    return tuple(t for t in budget.soft_thresholds_pct if before_pct < t <= after_pct)


def committed_exposure(worksets: Iterable[tuple[WorksetState, Decimal, Decimal]]) -> Decimal:
    """Σ max(0, quote point − actual so far) over (state, point, actual) in ready, retrying
    or in_progress. Clamped at 0: actuals already count in ``spent``."""
    return sum(
        (max(ZERO, point - actual) for state, point, actual in worksets if state in ACTIVE_STATES),
        ZERO,
    )


def held_states(action: HardAction) -> frozenset[WorksetState]:
    """Existing worksets a hard-exhausted budget holds (T9); running work is never killed."""
    if action is HardAction.HOLD_ALL:
        return frozenset({WorksetState.READY, WorksetState.RETRYING})
    return frozenset()
