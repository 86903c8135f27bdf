"""The one estimator (§9.7) and the quote built from it (§9.8).

Arithmetic is exact (``Fraction``) until a line is shown; lines are rounded half-even to 6
places, and a sample's point is the sum of its lines, so lines always add up. The urgent
surcharge scales every component line of an urgent workset (there is no surcharge component).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType

from ursa.domain.billing import GIB, HOURS_PER_MONTH, CostComponent, RateCard, apportion, to_micro
from ursa.domain.enums import PipelineType, Priority, WorksetType
from ursa.domain.errors import InvalidInput
from ursa.domain.money import MICRO, ZERO

ESTIMATOR_VERSION = "est-1"
SETUP_H = Fraction(1, 2)
TARGET_UTILISATION = Fraction(3, 5)
DOWNLOAD_FACTOR = Fraction(1)
BAND_LOW = Decimal("0.8")
BAND_HIGH = Decimal("1.5")
MIN_HISTORY = 20
QUOTE_TTL = timedelta(days=7)


@dataclass(frozen=True, slots=True, kw_only=True)
class CatalogueConstants:
    fixed_vcpu_h: Decimal  # per sample
    k: Decimal  # vCPU-h per GiB of input
    r: Decimal  # result GiB per input GiB
    f: Decimal  # FSx working-set GiB per input GiB
    min_wall_h: Decimal


def _cc(fixed: str, k: str, r: str, f: str, min_wall: str) -> CatalogueConstants:
    d = Decimal
    return CatalogueConstants(fixed_vcpu_h=d(fixed), k=d(k), r=d(r), f=d(f), min_wall_h=d(min_wall))


# Bootstrap values (§9.7), replaced as history accrues.
ESTIMATOR_CONSTANTS: Mapping[PipelineType, CatalogueConstants] = MappingProxyType(
    {
        PipelineType.TEST_HELP: _cc("0.05", "0", "0", "0", "0.2"),
        PipelineType.GERMLINE_WGS_SNV: _cc("4", "2.6", "0.35", "3.0", "3"),
        PipelineType.GERMLINE_WGS_SNV_SV: _cc("4", "3.1", "0.37", "3.2", "4"),
        PipelineType.GERMLINE_WGS_KITCHENSINK: _cc("4", "3.6", "0.40", "3.4", "5"),
    }
)

LINE_COMPONENTS: tuple[CostComponent, ...] = tuple(
    c for c in CostComponent if c is not CostComponent.CREDIT
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SampleEstimate:
    """``lines`` has every ``LINE_COMPONENTS`` entry; storage is the first month only."""

    sample_id: str
    input_bytes: int
    vcpu_h: Decimal
    lines: Mapping[CostComponent, Decimal]
    point: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class Estimate:
    pipeline: PipelineType
    priority: Priority
    workset_type: WorksetType
    rate_card_version: str
    estimator_version: str
    price_vcpu_h: Decimal
    price_source: str  # "rate_card" or "history"
    inputs_sha256: str
    samples: tuple[SampleEstimate, ...]
    vcpu_h: Decimal
    wall_h: Decimal
    result_gib: Decimal
    fsx_working_set_gib: Decimal
    lines_total: Decimal
    point: Decimal  # max(minimum_charge_per_workset, lines_total)


def inputs_sha256(
    samples: Mapping[str, int],
    pipeline: PipelineType,
    priority: Priority,
    workset_type: WorksetType,
) -> str:
    """Digest of what the price depends on: sorted (sample_id, bytes), pipeline, priority, type."""
    head = f"pipeline={pipeline.value}\npriority={priority.value}\ntype={workset_type.value}\n"
    body = "".join(f"sample\t{sid}\t{samples[sid]}\n" for sid in sorted(samples))
    return hashlib.sha256((head + body).encode()).hexdigest()


def _check_inputs(samples: Mapping[str, int], cluster_vcpus: int, price: Decimal) -> None:
    if not samples:
        raise InvalidInput.single("samples", "NO_SAMPLES", "an estimate needs at least one sample")
    for sid, size in samples.items():
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise InvalidInput.single("samples", "BAD_SIZE", f"{sid}: bytes must be an int >= 0")
    if cluster_vcpus <= 0:
        raise InvalidInput.single("cluster_vcpus", "BAD_VALUE", "cluster_vcpus must be > 0")
    if not price.is_finite() or price < 0:
        raise InvalidInput.single("price_vcpu_h", "BAD_VALUE", "price_vcpu_h must be >= 0")


def estimate(
    samples: Mapping[str, int],
    pipeline: PipelineType,
    priority: Priority,
    workset_type: WorksetType,
    rates: RateCard,
    cluster_vcpus: int = 512,
    same_region: bool = True,
    price_vcpu_h: Decimal | None = None,
) -> Estimate:
    """§9.7. ``samples`` maps sample_id → bytes of pinned input FASTQ.

    ``price_vcpu_h`` is the historical median $/vCPU-h once ≥20 comparable samples exist;
    None uses the rate card's ``est_compute_per_vcpu_hour``.
    """
    price = rates.est_compute_per_vcpu_hour if price_vcpu_h is None else price_vcpu_h
    _check_inputs(samples, cluster_vcpus, price)
    c = ESTIMATOR_CONSTANTS[pipeline]
    fixed, k, r, f = (Fraction(x) for x in (c.fixed_vcpu_h, c.k, c.r, c.f))
    gib = {sid: Fraction(size, GIB) for sid, size in samples.items()}
    vcpu = {sid: fixed + k * g for sid, g in gib.items()}
    total_vcpu = sum(vcpu.values(), Fraction(0))
    capacity_h = total_vcpu / (cluster_vcpus * TARGET_UTILISATION)
    wall = SETUP_H + max(Fraction(c.min_wall_h), capacity_h)
    fsx_gib = sum((f * g for g in gib.values()), Fraction(0))
    overhead = (
        wall * Fraction(rates.head_node_per_hour)
        + Fraction(rates.fsx_per_gb_month) * fsx_gib * wall / HOURS_PER_MONTH
    )
    urgent = priority is Priority.URGENT
    factor = 1 + (Fraction(rates.urgent_surcharge_pct) / 100 if urgent else 0)
    staging = CostComponent.TRANSFER_INTRA if same_region else CostComponent.TRANSFER_CROSS
    staging_rate = Fraction(
        rates.transfer_intra_region_per_gb if same_region else rates.transfer_cross_region_per_gb
    )
    if total_vcpu:
        overhead_exact = {sid: overhead * factor * v / total_vcpu for sid, v in vcpu.items()}
    else:
        overhead_exact = {sid: overhead * factor / len(vcpu) for sid in vcpu}
    overhead_s = apportion(overhead_exact, MICRO)
    fee_waived = workset_type is WorksetType.LSMC
    per_sample: list[SampleEstimate] = []
    for sid, g in gib.items():
        lines = dict.fromkeys(LINE_COMPONENTS, ZERO)
        lines[CostComponent.COMPUTE_DIRECT] = to_micro(vcpu[sid] * Fraction(price) * factor)
        lines[CostComponent.OVERHEAD] = overhead_s[sid]
        lines[CostComponent.STORAGE] = to_micro(
            r * g * Fraction(rates.s3_storage_per_gb_month) * factor
        )
        lines[staging] = to_micro(g * staging_rate * factor)
        lines[CostComponent.TRANSFER_INTERNET] = to_micro(
            r * g * DOWNLOAD_FACTOR * Fraction(rates.egress_internet_per_gb) * factor
        )
        subtotal = sum(lines.values(), ZERO)
        if not fee_waived:
            fee = Fraction(rates.platform_fee_per_sample) + Fraction(
                rates.platform_fee_pct
            ) / 100 * Fraction(subtotal)
            lines[CostComponent.PLATFORM_FEE] = to_micro(fee)
        per_sample.append(
            SampleEstimate(
                sample_id=sid,
                input_bytes=samples[sid],
                vcpu_h=to_micro(vcpu[sid]),
                lines=MappingProxyType(lines),
                point=sum(lines.values(), ZERO),
            )
        )
    lines_total = sum((s.point for s in per_sample), ZERO)
    return Estimate(
        pipeline=pipeline,
        priority=priority,
        workset_type=workset_type,
        rate_card_version=rates.version,
        estimator_version=ESTIMATOR_VERSION,
        price_vcpu_h=price,
        price_source="rate_card" if price_vcpu_h is None else "history",
        inputs_sha256=inputs_sha256(samples, pipeline, priority, workset_type),
        samples=tuple(per_sample),
        vcpu_h=to_micro(total_vcpu),
        wall_h=to_micro(wall),
        result_gib=to_micro(r * sum(gib.values(), Fraction(0))),
        fsx_working_set_gib=to_micro(fsx_gib),
        lines_total=lines_total,
        point=max(rates.minimum_charge_per_workset, lines_total),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class QuoteLine:
    sample_id: str
    component: CostComponent
    amount: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class Quote:
    """§9.8. The approved ``high`` becomes the workset's ``cost_cap``."""

    quote_id: str
    workset_id: str
    rate_card_version: str
    estimator_version: str
    inputs_sha256: str
    lines: tuple[QuoteLine, ...]
    point: Decimal
    low: Decimal
    high: Decimal
    turnaround_low_h: Decimal
    turnaround_high_h: Decimal
    band_source: str  # "default" (0.8/1.5) or "history" (P10/P90)
    created_at: datetime
    expires_at: datetime
    superseded_by: str | None = None

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    def needs_requote(self, now: datetime, rate_card_version: str, inputs_digest: str) -> bool:
        """Requote when expired, the rate card version changed or the inputs changed (T6)."""
        return (
            self.is_expired(now)
            or rate_card_version != self.rate_card_version
            or inputs_digest != self.inputs_sha256
        )


def percentile(values: Sequence[Decimal], p: Decimal) -> Decimal:
    """Linear interpolation between closest ranks (position p × (n − 1)), exact."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(Fraction(v) for v in values)
    position = Fraction(p) * (len(ordered) - 1)
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    value = ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)
    return to_micro(value)


def band(value: Decimal, ratios: Sequence[Decimal]) -> tuple[Decimal, Decimal, str]:
    """(low, high, source): 0.8/1.5 × value, or P10/P90 of ≥20 ratios, clamped around value."""
    if len(ratios) < MIN_HISTORY:
        low = to_micro(Fraction(value) * Fraction(BAND_LOW))
        return low, to_micro(Fraction(value) * Fraction(BAND_HIGH)), "default"
    low = to_micro(Fraction(value) * Fraction(percentile(ratios, Decimal("0.1"))))
    high = to_micro(Fraction(value) * Fraction(percentile(ratios, Decimal("0.9"))))
    return min(low, value), max(high, value), "history"


def make_quote(
    estimate: Estimate,
    *,
    quote_id: str,
    workset_id: str,
    created_at: datetime,
    history_ratios: Sequence[Decimal] = (),
    wall_history_ratios: Sequence[Decimal] = (),
) -> Quote:
    """``history_ratios``: actual ÷ estimate of comparable samples (cost); the wall-hour
    ratios give the turnaround band the same way."""
    if created_at.tzinfo is None or created_at.utcoffset() is None:
        raise ValueError("created_at must be timezone-aware")
    low, high, source = band(estimate.point, history_ratios)
    t_low, t_high, _ = band(estimate.wall_h, wall_history_ratios)
    lines = tuple(
        QuoteLine(sample_id=s.sample_id, component=component, amount=amount)
        for s in estimate.samples
        for component, amount in s.lines.items()
    )
    return Quote(
        quote_id=quote_id,
        workset_id=workset_id,
        rate_card_version=estimate.rate_card_version,
        estimator_version=estimate.estimator_version,
        inputs_sha256=estimate.inputs_sha256,
        lines=lines,
        point=estimate.point,
        low=low,
        high=high,
        turnaround_low_h=t_low,
        turnaround_high_h=t_high,
        band_source=source,
        created_at=created_at,
        expires_at=created_at + QUOTE_TTL,
    )
