"""Scheduling order with aging and fairness (§10.1) and admission (§10.2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ursa.domain.enums import Priority, WaitReason
from ursa.domain.enums import WorksetState as S
from ursa.domain.scheduling import (
    AdmissionLimits,
    AdmissionSnapshot,
    Admit,
    Candidate,
    Wait,
    admit,
    effective_rank,
    order_candidates,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)


def _c(
    ws: str,
    customer: str = "a",
    priority: Priority = Priority.NORMAL,
    age_h: float = 0,
    state: S = S.READY,
) -> Candidate:
    return Candidate(
        workset_id=ws,
        customer_id=customer,
        priority=priority,
        ready_since=NOW - timedelta(hours=age_h),
        state=state,
    )


def _ids(candidates: list[Candidate]) -> list[str]:
    return [c.workset_id for c in candidates]


@pytest.mark.parametrize(
    ("priority", "age_h", "rank"),
    [
        (Priority.URGENT, 0, 0),
        (Priority.NORMAL, 0, 1),
        (Priority.NORMAL, 3.99, 1),
        (Priority.NORMAL, 4, 0),
        (Priority.LOW, 0, 2),
        (Priority.LOW, 11.99, 2),
        (Priority.LOW, 12, 1),
        (Priority.LOW, 15.99, 1),
        (Priority.LOW, 16, 0),
        (Priority.NORMAL, -1, 1),  # ready_since in the future (clock skew) counts as age 0
    ],
)
def test_aging_table(priority: Priority, age_h: float, rank: int) -> None:
    assert effective_rank(priority, NOW - timedelta(hours=age_h), NOW) == rank


@pytest.mark.parametrize(
    ("candidates", "running", "expected"),
    [
        # Priority first, whatever the age within a rank.
        (
            [
                _c("n", age_h=1),
                _c("u", priority=Priority.URGENT),
                _c("l", priority=Priority.LOW, age_h=5),
            ],
            {},
            ["u", "n", "l"],
        ),
        # A low workset ready for 12 h competes as normal and wins on FIFO.
        ([_c("n", age_h=1), _c("l", priority=Priority.LOW, age_h=13)], {}, ["l", "n"]),
        # A normal workset ready for 4 h competes as urgent.
        ([_c("u", priority=Priority.URGENT, age_h=0), _c("n", age_h=4.5)], {}, ["n", "u"]),
        # Within a rank the customer with fewer running worksets goes first.
        ([_c("a1", "a", age_h=3), _c("b1", "b", age_h=1)], {"a": 2, "b": 0}, ["b1", "a1"]),
        # Customers take turns: each pick counts as one more running for its customer.
        (
            [
                _c("a1", "a", age_h=3.5),
                _c("a2", "a", age_h=3),
                _c("a3", "a", age_h=2.5),
                _c("b1", "b", age_h=1),
            ],
            {},
            ["a1", "b1", "a2", "a3"],
        ),
        (
            [
                _c("a1", "a", age_h=3),
                _c("a2", "a", age_h=2),
                _c("b1", "b", age_h=1),
                _c("c1", "c", age_h=0.5),
            ],
            {"a": 1},
            ["b1", "c1", "a1", "a2"],
        ),
        # FIFO, then workset id for identical stamps.
        ([_c("y", age_h=1), _c("x", age_h=1), _c("z", age_h=2)], {}, ["z", "x", "y"]),
        # Only ready and retrying candidates are ordered.
        (
            [_c("h", state=S.ON_HOLD), _c("r", state=S.RETRYING), _c("p", state=S.IN_PROGRESS)],
            {},
            ["r"],
        ),
    ],
)
def test_order_table(
    candidates: list[Candidate], running: dict[str, int], expected: list[str]
) -> None:
    assert _ids(order_candidates(candidates, running, NOW)) == expected


def test_order_is_independent_of_input_order() -> None:
    pool = [_c(f"w{i}", f"c{i % 3}", list(Priority)[i % 3], age_h=i * 0.7) for i in range(30)]
    first = _ids(order_candidates(pool, {"c0": 1}, NOW))
    assert _ids(order_candidates(list(reversed(pool)), {"c0": 1}, NOW)) == first
    assert sorted(first) == sorted(c.workset_id for c in pool)


def test_nothing_starves() -> None:
    # However many fresh urgent worksets arrive, a low one ready for 16 h reaches rank 0 and
    # then FIFO puts it ahead of every younger workset of a customer with the same count.
    fresh = [_c(f"u{i}", "b", Priority.URGENT, age_h=0.1) for i in range(10)]
    old_low = _c("low", "a", Priority.LOW, age_h=16)
    assert _ids(order_candidates([*fresh, old_low], {}, NOW))[0] == "low"


def test_order_needs_aware_now() -> None:
    with pytest.raises(ValueError, match="timezone"):
        order_candidates([], {}, datetime(2026, 11, 23))


def _snap(**kwargs: object) -> AdmissionSnapshot:
    args: dict[str, object] = {"global_running": 0, "customer_running": {}, "customer_limits": {}}
    args.update(kwargs)
    return AdmissionSnapshot(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("snapshot", "expected"),
    [
        (_snap(), Admit(workset_id="w")),
        (_snap(customer_running={"a": 4}), Admit(workset_id="w")),
        (_snap(customer_running={"a": 5}), Wait(reason=WaitReason.QUOTA)),
        (_snap(customer_running={"a": 5}, customer_limits={"a": 8}), Admit(workset_id="w")),
        (_snap(customer_running={"a": 1}, customer_limits={"a": 1}), Wait(reason=WaitReason.QUOTA)),
        (_snap(global_running=19), Admit(workset_id="w")),
        (_snap(global_running=20), Wait(reason=WaitReason.CAPACITY)),
        # The customer's own limit is the more useful reason to show.
        (_snap(global_running=20, customer_running={"a": 5}), Wait(reason=WaitReason.QUOTA)),
        (_snap(cluster_running=2), Admit(workset_id="w")),
        (_snap(cluster_running=3), Wait(reason=WaitReason.CAPACITY)),
        (_snap(cluster_free_vcpus=63), Wait(reason=WaitReason.CAPACITY)),
        (_snap(cluster_free_vcpus=64), Admit(workset_id="w")),
        (_snap(cluster_free_fsx_gib=Decimal("179.9")), Wait(reason=WaitReason.CAPACITY)),
    ],
)
def test_admission_table(snapshot: AdmissionSnapshot, expected: Admit | Wait) -> None:
    candidate = Candidate(
        workset_id="w",
        customer_id="a",
        priority=Priority.NORMAL,
        ready_since=NOW,
        state=S.READY,
        need_vcpus=64,
        need_fsx_gib=Decimal(180),
    )
    assert admit(candidate, snapshot, AdmissionLimits()) == expected


def test_admission_custom_limits() -> None:
    limits = AdmissionLimits(global_max_running=2, customer_max_default=1, cluster_max=1)
    assert admit(_c("w"), _snap(global_running=2), limits) == Wait(reason=WaitReason.CAPACITY)
    assert admit(_c("w"), _snap(customer_running={"a": 1}), limits) == Wait(reason=WaitReason.QUOTA)
    assert admit(_c("w"), _snap(), limits) == Admit(workset_id="w")
    assert admit(_c("w"), _snap()) == Admit(workset_id="w")  # defaults when limits omitted
