"""Estimator (§9.7) and quote (§9.8)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ursa.domain.billing import CostComponent, RateCard
from ursa.domain.enums import PipelineType, Priority, WorksetType
from ursa.domain.errors import InvalidInput
from ursa.domain.estimates import (
    ESTIMATOR_CONSTANTS,
    LINE_COMPONENTS,
    Estimate,
    estimate,
    inputs_sha256,
    make_quote,
    percentile,
)

D = Decimal
GIB = 2**30
NOW = datetime(2026, 11, 23, 10, 15, tzinfo=UTC)
C = CostComponent


def _wgs(**kwargs: object) -> Estimate:
    args: dict[str, object] = {
        "samples": {"HG002": 60 * GIB},
        "pipeline": PipelineType.GERMLINE_WGS_SNV,
        "priority": Priority.NORMAL,
        "workset_type": WorksetType.RUO,
        "rates": RateCard(),
    }
    args.update(kwargs)
    return estimate(**args)  # type: ignore[arg-type]


def test_catalogue_constants_match_spec() -> None:
    snv = ESTIMATOR_CONSTANTS[PipelineType.GERMLINE_WGS_SNV]
    assert (snv.fixed_vcpu_h, snv.k, snv.r, snv.f, snv.min_wall_h) == (
        D(4),
        D("2.6"),
        D("0.35"),
        D("3.0"),
        D(3),
    )
    assert ESTIMATOR_CONSTANTS[PipelineType.TEST_HELP].min_wall_h == D("0.2")
    assert ESTIMATOR_CONSTANTS[PipelineType.GERMLINE_WGS_KITCHENSINK].k == D("3.6")
    assert set(ESTIMATOR_CONSTANTS) == set(PipelineType)


def test_hand_computed_30x_wgs() -> None:
    # germline_wgs_snv, one 60 GiB sample, default rate card, 512 vCPUs, same region:
    #   vcpu_h   = 4 + 2.6 × 60                         = 160
    #   compute  = 160 × 0.030                          = 4.800000
    #   wall_h   = 0.5 + max(3, 160 / (512 × 0.6))     = 0.5 + max(3, 0.5208…) = 3.5
    #   overhead = 3.5 × 0.50 + 0.140 × (3.0 × 60) × 3.5 / 730
    #            = 1.75 + 88.2 / 730 = 1.75 + 0.1208219… = 1.870822 (6 dp)
    #   storage  = 0.35 × 60 × 0.023                    = 0.483000
    #   intra    = 60 × 0.00 = 0;  internet = 0.35 × 60 × 1.0 × 0.09 = 1.890000
    #   point    = 4.8 + 1.870822 + 0.483 + 0 + 1.89    = 9.043822
    est = _wgs()
    (sample,) = est.samples
    assert sample.vcpu_h == D(160)
    assert dict(sample.lines) == {
        C.COMPUTE_DIRECT: D("4.8"),
        C.OVERHEAD: D("1.870822"),
        C.STORAGE: D("0.483"),
        C.TRANSFER_INTRA: D(0),
        C.TRANSFER_CROSS: D(0),
        C.TRANSFER_INTERNET: D("1.89"),
        C.PLATFORM_FEE: D(0),
    }
    assert est.wall_h == D("3.5")
    assert est.point == est.lines_total == sample.point == D("9.043822")
    assert est.result_gib == D(21)
    assert est.fsx_working_set_gib == D(180)
    assert est.price_source == "rate_card"
    assert est.rate_card_version == "2026-11"


def test_cross_region_and_history_price() -> None:
    cross = _wgs(same_region=False)
    assert cross.samples[0].lines[C.TRANSFER_CROSS] == D("1.2")  # 60 × 0.02
    assert cross.point == D("10.243822")
    cheap = _wgs(price_vcpu_h=D("0.02"))
    assert cheap.samples[0].lines[C.COMPUTE_DIRECT] == D("3.2")  # 160 × 0.02
    assert cheap.price_source == "history"


def test_capacity_bound_wall_hours() -> None:
    # 2 × 60 GiB → 320 vCPU-h on 64 vCPUs: 320 / 38.4 = 8.3333… > 3 → wall = 8.833333
    est = _wgs(samples={"A": 60 * GIB, "B": 60 * GIB}, cluster_vcpus=64)
    assert est.wall_h == D("8.833333")


def test_overhead_split_by_vcpu_share_adds_up() -> None:
    est = _wgs(samples={"A": 30 * GIB, "B": 10 * GIB, "C": 0})
    overheads = [s.lines[C.OVERHEAD] for s in est.samples]
    # wall = 3.5; overhead = 1.75 + 0.140 × 120 × 3.5 / 730 = 1.830548 (6 dp)
    assert sum(overheads) == D("1.830548")
    assert overheads[0] > overheads[1] > overheads[2] > 0
    assert est.point == sum(s.point for s in est.samples)


def test_surcharge_fees_waiver_and_minimum() -> None:
    # test_help: vcpu 0.05 → compute 0.0015; wall 0.5 + max(0.2, tiny) = 0.7;
    # overhead 0.7 × 0.50 = 0.35; no storage or transfer.
    card = RateCard(
        urgent_surcharge_pct=D(10),
        platform_fee_per_sample=D("1.00"),
        platform_fee_pct=D(5),
        minimum_charge_per_workset=D(5),
    )
    base = {"samples": {"S1": 1000}, "pipeline": PipelineType.TEST_HELP, "rates": card}
    normal = _wgs(**base)
    # subtotal 0.3515; fee 1 + 5 % × 0.3515 = 1.017575 → 1.369075; below the minimum of 5
    assert normal.lines_total == D("1.369075")
    assert normal.point == D(5)
    urgent = _wgs(**base, priority=Priority.URGENT)
    lines = urgent.samples[0].lines
    # × 1.1: compute 0.00165, overhead 0.385; fee 1 + 0.05 × 0.38665 = 1.0193325 → 1.019332
    assert lines[C.COMPUTE_DIRECT] == D("0.00165")
    assert lines[C.OVERHEAD] == D("0.385")
    assert lines[C.PLATFORM_FEE] == D("1.019332")
    assert urgent.lines_total == D("1.405982")
    lsmc = _wgs(**base, priority=Priority.URGENT, workset_type=WorksetType.LSMC)
    assert lsmc.samples[0].lines[C.PLATFORM_FEE] == 0
    assert lsmc.lines_total == D("0.38665")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"samples": {}}, "samples"),
        ({"samples": {"A": -1}}, "samples"),
        ({"cluster_vcpus": 0}, "cluster_vcpus"),
        ({"price_vcpu_h": D(-1)}, "price_vcpu_h"),
    ],
)
def test_bad_inputs(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        _wgs(**kwargs)
    assert caught.value.issues[0].field == field


def test_inputs_digest() -> None:
    args = (PipelineType.TEST_HELP, Priority.LOW, WorksetType.RUO)
    digest = inputs_sha256({"A": 1, "B": 2}, *args)
    assert digest == inputs_sha256({"B": 2, "A": 1}, *args)
    assert digest != inputs_sha256({"A": 1, "B": 3}, *args)
    assert digest != inputs_sha256(
        {"A": 1, "B": 2}, PipelineType.TEST_HELP, Priority.URGENT, WorksetType.RUO
    )
    assert len(digest) == 64


def test_quote_without_history() -> None:
    est = _wgs()
    quote = make_quote(est, quote_id="q-ws-1", workset_id="ws-1", created_at=NOW)
    assert quote.point == D("9.043822")
    assert quote.low == D("7.235058")  # 9.043822 × 0.8 = 7.2350576
    assert quote.high == D("13.565733")  # 9.043822 × 1.5
    assert (quote.turnaround_low_h, quote.turnaround_high_h) == (D("2.8"), D("5.25"))
    assert quote.band_source == "default"
    assert quote.expires_at == NOW + timedelta(days=7)
    assert quote.inputs_sha256 == est.inputs_sha256
    assert quote.rate_card_version == "2026-11"
    assert len(quote.lines) == len(LINE_COMPONENTS)
    assert sum(line.amount for line in quote.lines) == quote.point
    assert quote.superseded_by is None


def test_quote_with_history_uses_p10_p90() -> None:
    est = _wgs()
    ratios = [D("0.70") + D("0.05") * i for i in range(20)]  # 0.70 … 1.65
    # P10 at position 1.9 → 0.75 + 0.9 × 0.05 = 0.795; P90 at 17.1 → 1.55 + 0.1 × 0.05 = 1.555
    assert percentile(ratios, D("0.1")) == D("0.795")
    assert percentile(ratios, D("0.9")) == D("1.555")
    quote = make_quote(
        est,
        quote_id="q",
        workset_id="w",
        created_at=NOW,
        history_ratios=ratios,
        wall_history_ratios=[D(2)] * 20,
    )
    assert quote.band_source == "history"
    assert quote.low == D("7.189838")  # 9.043822 × 0.795 = 7.18983849
    assert quote.high == D("14.063143")  # 9.043822 × 1.555 = 14.06314321
    assert (quote.turnaround_low_h, quote.turnaround_high_h) == (D("3.5"), D(7))  # clamped low
    # 19 ratios are not enough history.
    assert (
        make_quote(
            est, quote_id="q", workset_id="w", created_at=NOW, history_ratios=ratios[:19]
        ).band_source
        == "default"
    )


def test_quote_band_is_clamped_around_point() -> None:
    est = _wgs()
    quote = make_quote(
        est, quote_id="q", workset_id="w", created_at=NOW, history_ratios=[D("0.5")] * 20
    )
    assert quote.low == D("4.521911")
    assert quote.high == quote.point


def test_requote_rules_and_aware_time() -> None:
    est = _wgs()
    quote = make_quote(est, quote_id="q", workset_id="w", created_at=NOW)
    later = NOW + timedelta(days=1)
    assert not quote.needs_requote(later, "2026-11", est.inputs_sha256)
    assert quote.needs_requote(NOW + timedelta(days=7), "2026-11", est.inputs_sha256)
    assert quote.needs_requote(later, "2026-12", est.inputs_sha256)
    assert quote.needs_requote(later, "2026-11", "0" * 64)
    with pytest.raises(ValueError, match="timezone"):
        make_quote(est, quote_id="q", workset_id="w", created_at=datetime(2026, 11, 23))
