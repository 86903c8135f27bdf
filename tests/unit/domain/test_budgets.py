"""Budgets (§9.9): verdict table, threshold crossings, committed exposure."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ursa.domain.budgets import (
    Budget,
    BudgetPeriod,
    BudgetScope,
    HardAction,
    VerdictKind,
    committed_exposure,
    crossed_thresholds,
    evaluate,
    headroom,
    held_states,
)
from ursa.domain.enums import WorksetState as S

D = Decimal


def _budget(**kwargs: object) -> Budget:
    args: dict[str, object] = {
        "budget_id": "b-1",
        "customer_id": "acme-genomics-3f9c01ab",
        "scope": BudgetScope.CUSTOMER,
        "period": BudgetPeriod.CALENDAR_MONTH,
        "amount": D("1000"),
        "set_by": "user-1",
    }
    args.update(kwargs)
    return Budget(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("spent", "committed", "new_point", "kind", "pct", "threshold"),
    [
        ("0", "0", "0", VerdictKind.OK, "0.00", None),
        ("100", "200", "199.99", VerdictKind.OK, "50.00", None),  # 499.99 → 49.999 % rounds
        ("100", "200", "200", VerdictKind.SOFT, "50.00", 50),
        ("500", "299", "1", VerdictKind.SOFT, "80.00", 80),
        ("900", "50", "50", VerdictKind.SOFT, "100.00", 100),  # = limit is not over it
        ("900", "50", "50.01", VerdictKind.HARD, "100.00", 100),
        ("1200", "0", "0", VerdictKind.HARD, "120.00", 100),
        ("0", "0", "1000.000001", VerdictKind.HARD, "100.00", 100),
    ],
)
def test_verdict_table(
    spent: str, committed: str, new_point: str, kind: VerdictKind, pct: str, threshold: int | None
) -> None:
    verdict = evaluate(_budget(), D(spent), D(committed), D(new_point))
    assert verdict.kind is kind
    assert verdict.pct == D(pct)
    assert verdict.threshold == threshold


def test_hard_limit_pct_and_none() -> None:
    stretchy = _budget(hard_limit_pct=120)
    assert evaluate(stretchy, D(1100), D(0), D(100)).kind is VerdictKind.SOFT  # 1200 = limit
    assert evaluate(stretchy, D(1100), D(0), D("100.01")).kind is VerdictKind.HARD
    soft_only = _budget(hard_limit_pct=None)
    assert evaluate(soft_only, D(5000), D(0), D(0)).kind is VerdictKind.SOFT
    assert headroom(soft_only, D(1), D(1)) is None
    assert headroom(_budget(), D(300), D("150.5")) == D("549.5")
    assert headroom(stretchy, D(1300), D(0)) == D(-100)


def test_crossed_thresholds() -> None:
    budget = _budget()
    assert crossed_thresholds(budget, D("10"), D("49.99")) == ()
    assert crossed_thresholds(budget, D("10"), D("50")) == (50,)
    assert crossed_thresholds(budget, D("50"), D("79.99")) == ()  # 50 was already crossed
    assert crossed_thresholds(budget, D("49"), D("130")) == (50, 80, 100)
    assert crossed_thresholds(budget, D("90"), D("60")) == ()  # going down crosses nothing


def test_committed_exposure_counts_active_worksets_only() -> None:
    worksets = [
        (S.READY, D("100"), D("0")),
        (S.IN_PROGRESS, D("50"), D("20.5")),
        (S.RETRYING, D("30"), D("45")),  # over its point: remaining is 0, not negative
        (S.AWAITING_APPROVAL, D("999"), D("0")),
        (S.ON_HOLD, D("999"), D("0")),
        (S.COMPLETE, D("999"), D("10")),
    ]
    assert committed_exposure(worksets) == D("129.5")
    assert committed_exposure([]) == 0


def test_hard_actions() -> None:
    assert held_states(HardAction.HOLD_ALL) == {S.READY, S.RETRYING}
    assert held_states(HardAction.HOLD_NEW) == frozenset()
    assert held_states(HardAction.REJECT_NEW) == frozenset()
    assert S.IN_PROGRESS not in held_states(HardAction.HOLD_ALL)  # running work is never killed


@pytest.mark.parametrize(
    "kwargs",
    [
        {"amount": D(0)},
        {"amount": 10.0},
        {"scope": BudgetScope.COST_CENTER},
        {"cost_center": "cc-1"},
        {"soft_thresholds_pct": (80, 50)},
        {"soft_thresholds_pct": (0, 50)},
        {"hard_limit_pct": 0},
    ],
)
def test_budget_validation(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        _budget(**kwargs)


def test_budget_defaults_and_cost_center() -> None:
    budget = _budget(scope=BudgetScope.COST_CENTER, cost_center="cc-7")
    assert budget.soft_thresholds_pct == (50, 80, 100)
    assert budget.hard_limit_pct == 100
    assert budget.hard_action is HardAction.REJECT_NEW
    assert budget.hard_limit == D(1000)
