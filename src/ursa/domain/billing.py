"""One rate card and one calculator (§9.1, §9.2, §9.4, §9.5).

Shares are computed with exact rationals (``fractions.Fraction``), so splits never lose a
cent to intermediate Decimal rounding: ``split_exact`` always returns parts that sum to
``round_half_even(Σ x, 0.01)`` exactly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType

from ursa.domain.money import CENT, MICRO, ZERO

GIB = 2**30
HOURS_PER_MONTH = 730


def _check_amount(value: object, name: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise TypeError(f"{name} must be a finite Decimal (got {value!r})")
    return value


def _exact(value: Decimal | int, name: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{name} must be a Decimal or int (got {value!r})")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"{name} must be finite (got {value!r})")
    return Fraction(value)


def to_micro(value: Fraction) -> Decimal:
    """An exact rational rounded half-even to the internal 6 places."""
    return Decimal(round(value * 1_000_000)) * MICRO


@dataclass(frozen=True, slots=True, kw_only=True)
class RateCard:
    """§9.1. Every figure computed from it cites ``version``.

    ``head_node_per_hour`` is really by instance type, taken from the price list at
    configuration time; 0.50 is only the default used when configuration gives none.
    Percentages are percent (5 means 5 %).
    """

    version: str = "2026-11"
    s3_storage_per_gb_month: Decimal = Decimal("0.023")
    s3_archive_per_gb_month: Decimal = Decimal("0.004")
    fsx_per_gb_month: Decimal = Decimal("0.140")
    transfer_intra_region_per_gb: Decimal = Decimal("0.00")
    transfer_cross_region_per_gb: Decimal = Decimal("0.02")
    egress_internet_per_gb: Decimal = Decimal("0.09")
    head_node_per_hour: Decimal = Decimal("0.50")
    est_compute_per_vcpu_hour: Decimal = Decimal("0.030")
    platform_fee_per_sample: Decimal = Decimal("0.00")
    platform_fee_pct: Decimal = Decimal("0")
    urgent_surcharge_pct: Decimal = Decimal("0")
    minimum_charge_per_workset: Decimal = Decimal("0.00")

    def __post_init__(self) -> None:
        if not self.version:
            raise ValueError("rate card version is required")
        for f in fields(self):
            if f.name != "version" and _check_amount(getattr(self, f.name), f.name) < 0:
                raise ValueError(f"{f.name} must be >= 0")


class CostComponent(StrEnum):
    COMPUTE_DIRECT = "compute_direct"
    OVERHEAD = "overhead"
    STORAGE = "storage"
    TRANSFER_INTRA = "transfer_intra"
    TRANSFER_CROSS = "transfer_cross"
    TRANSFER_INTERNET = "transfer_internet"
    PLATFORM_FEE = "platform_fee"
    CREDIT = "credit"


TRANSFER_COMPONENTS = (
    CostComponent.TRANSFER_INTRA,
    CostComponent.TRANSFER_CROSS,
    CostComponent.TRANSFER_INTERNET,
)


class Basis(StrEnum):
    ESTIMATED = "estimated"
    ACTUAL = "actual"


@dataclass(frozen=True, slots=True, kw_only=True)
class CostFigure:
    """One amount with its basis and where it came from (rate card version, TSV key, …)."""

    amount: Decimal
    basis: Basis
    source: str

    def __post_init__(self) -> None:
        _check_amount(self.amount, "amount")


@dataclass(frozen=True, slots=True, kw_only=True)
class CostBreakdown:
    """Figures per component (§9.2). ``credit`` carries a negative (or zero) amount.

    The three transfer figures are always present: a missing one is added as 0,
    ``estimated``, source ``unmetered`` (§9.5).
    """

    figures: Mapping[CostComponent, CostFigure] = field(default_factory=dict)

    def __post_init__(self) -> None:
        given = dict(self.figures)
        for component in TRANSFER_COMPONENTS:
            given.setdefault(
                component, CostFigure(amount=ZERO, basis=Basis.ESTIMATED, source="unmetered")
            )
        for component, figure in given.items():
            if component is CostComponent.CREDIT and figure.amount > 0:
                raise ValueError("credit must be <= 0")
            if component is not CostComponent.CREDIT and figure.amount < 0:
                raise ValueError(f"{component} must be >= 0")
        ordered = {c: given[c] for c in CostComponent if c in given}
        object.__setattr__(self, "figures", MappingProxyType(ordered))

    def __getitem__(self, component: CostComponent) -> CostFigure:
        return self.figures[component]

    @property
    def total(self) -> Decimal:
        return sum((f.amount for f in self.figures.values()), ZERO)

    @property
    def basis(self) -> Basis:
        actual = all(f.basis is Basis.ACTUAL for f in self.figures.values())
        return Basis.ACTUAL if actual else Basis.ESTIMATED

    @property
    def estimated_components(self) -> tuple[CostComponent, ...]:
        return tuple(c for c, f in self.figures.items() if f.basis is Basis.ESTIMATED)


def apportion(exact: Mapping[str, Fraction], quantum: Decimal = CENT) -> dict[str, Decimal]:
    """Largest remainder (§9.4 step 4) to ``quantum`` (a power of ten, e.g. 0.01).

    T = round_half_even(Σ x); f = floor(x); the r = T − Σ f extra quanta go to the largest
    remainders, ties by key ascending. Σ result == T exactly and |result − x| < quantum.
    """
    scale = Fraction(1) / Fraction(quantum)
    units = {key: value * scale for key, value in exact.items()}
    floors = {key: math.floor(value) for key, value in units.items()}
    extra = round(sum(units.values(), Fraction(0))) - sum(floors.values())
    assert 0 <= extra <= len(units)
    by_remainder = sorted(units, key=lambda key: (-(units[key] - floors[key]), key))
    for key in by_remainder[:extra]:
        floors[key] += 1
    return {key: Decimal(floors[key]) * quantum for key in units}


def split_exact(total_parts: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Round exact per-key amounts to cents so that they sum to the rounded total."""
    return apportion({k: _exact(v, k) for k, v in total_parts.items()})


def _weighted(amount: Fraction, weights: Mapping[str, Fraction]) -> dict[str, Fraction]:
    if not weights:
        return {}
    if any(w < 0 for w in weights.values()):
        raise ValueError("weights must be >= 0")
    total = sum(weights.values(), Fraction(0))
    if total == 0:
        return {key: amount / len(weights) for key in weights}
    return {key: amount * w / total for key, w in weights.items()}


def split_by_weight(amount: Decimal, weights: Mapping[str, Decimal | int]) -> dict[str, Decimal]:
    """Split ``amount`` by weight share (equal when the weights sum to 0), to the cent."""
    exact = _weighted(_exact(amount, "amount"), {k: _exact(w, k) for k, w in weights.items()})
    return apportion(exact)


def per_sample_costs(
    direct: Mapping[str, Decimal], cpu_seconds: Mapping[str, Decimal], overhead: Decimal
) -> dict[str, Decimal]:
    """§9.4 step 3–4: x_s = D_s + O × c_s / Σc (equal split if Σc = 0), then to the cent.

    The samples are the keys of ``direct`` then any extra keys of ``cpu_seconds``.
    """
    keys = list(direct) + [k for k in cpu_seconds if k not in direct]
    weights = {k: _exact(cpu_seconds.get(k, ZERO), k) for k in keys}
    shares = _weighted(_exact(overhead, "overhead"), weights)
    return apportion({k: _exact(direct.get(k, ZERO), k) + shares[k] for k in keys})


def _gib(bytes_: int) -> Fraction:
    if isinstance(bytes_, bool) or not isinstance(bytes_, int) or bytes_ < 0:
        raise ValueError(f"bytes must be an int >= 0 (got {bytes_!r})")
    return Fraction(bytes_, GIB)


def storage_cost(bytes_: int, hours: Decimal | int, rate: Decimal) -> Decimal:
    """§9.5: bytes / 2^30 × rate ($/GiB-month) × hours / 730, to 6 places."""
    return to_micro(_gib(bytes_) * _exact(rate, "rate") * _exact(hours, "hours") / HOURS_PER_MONTH)


def transfer_cost(bytes_: int, same_region: bool, rates: RateCard) -> tuple[CostComponent, Decimal]:
    """Bucket-to-bucket movement (staging, publication): intra when regions match."""
    if same_region:
        component, rate = CostComponent.TRANSFER_INTRA, rates.transfer_intra_region_per_gb
    else:
        component, rate = CostComponent.TRANSFER_CROSS, rates.transfer_cross_region_per_gb
    return component, to_micro(_gib(bytes_) * Fraction(rate))


def internet_egress_cost(bytes_: int, rates: RateCard) -> tuple[CostComponent, Decimal]:
    """Customer downloads through presigned links."""
    amount = to_micro(_gib(bytes_) * Fraction(rates.egress_internet_per_gb))
    return CostComponent.TRANSFER_INTERNET, amount


def overhead_for_hour(
    rates: RateCard,
    *,
    uptime_h: Decimal,
    fsx_capacity_gib: Decimal | int,
    idle_compute: Decimal = ZERO,
) -> Decimal:
    """§9.4 step 1: head node + provisioned FSx + idle compute for one accounting hour."""
    uptime = _exact(uptime_h, "uptime_h")
    head = Fraction(rates.head_node_per_hour) * uptime
    fsx = Fraction(rates.fsx_per_gb_month) * _exact(fsx_capacity_gib, "fsx") * uptime
    return to_micro(head + fsx / HOURS_PER_MONTH + _exact(idle_compute, "idle_compute"))
