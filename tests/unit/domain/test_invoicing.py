"""Invoicing: one rounding grid, so the summary, the invoice, the CSV and the samples agree."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ursa.domain.billing import Basis, CostComponent
from ursa.domain.invoicing import (
    CSV_HEADER,
    Invoice,
    Statement,
    UsageSummary,
    WorksetInfo,
    charges,
    csv_rows,
    invoice,
    statement,
    usage_summary,
    workset_costs,
    workset_detail,
)
from ursa.domain.periods import month_period
from ursa.domain.records import CostLedgerEntry

ACME, GLOBEX = "acme-genomics-3f9c01ab", "globex-bio-7d20e4c1"
NOV = month_period("2026-11")
CENT = Decimal("0.01")


def _entry(
    n: int,
    amount: str | Decimal,
    *,
    workset_id: str = "ws-a",
    sample_id: str | None = "S1",
    component: CostComponent = CostComponent.COMPUTE_DIRECT,
    basis: Basis = Basis.ACTUAL,
    customer_id: str = ACME,
    at: datetime | None = None,
    version: str = "2026-11",
) -> CostLedgerEntry:
    return CostLedgerEntry(
        entry_id=f"e{n}",
        workset_id=workset_id,
        customer_id=customer_id,
        run_id=f"{workset_id}-r1",
        sample_id=sample_id,
        component=component.value,
        amount=Decimal(amount),
        basis=basis.value,
        rate_card_version=version,
        posted_at=at or NOV.start + timedelta(days=1, minutes=n),
    )


def _views(
    entries: list[CostLedgerEntry], infos: dict[str, WorksetInfo] | None = None
) -> tuple[UsageSummary, Invoice, tuple[Sequence[str], ...]]:
    s = statement(ACME, NOV, entries, infos or {})
    bill = invoice(s)
    return usage_summary(s), bill, csv_rows(bill)


def test_a_third_three_times_rounds_to_one_dollar_by_largest_remainder() -> None:
    entries = [_entry(n, "0.333334", sample_id=f"S{n}") for n in (1, 2, 3)]
    summary, bill, rows = _views(entries)
    assert summary.total == bill.total == Decimal("1.00")
    # Σ = 1.000002 → T = 1.00; floors 0.33 each; one cent to the first by key (ties).
    assert [c.amount for c in bill.charges] == [Decimal("0.34"), Decimal("0.33"), Decimal("0.33")]
    assert [row[-1] for row in rows[1:]] == ["0.34", "0.33", "0.33"]
    assert rows[0] == CSV_HEADER


def test_sub_cent_entries_are_summed_exactly_before_rounding() -> None:
    entries = [_entry(n, "0.004") for n in range(10)]  # ten 0.4-cent postings: 4 cents
    assert _views(entries)[1].total == Decimal("0.04")


def test_labels_actual_only_when_every_entry_is() -> None:
    entries = [
        _entry(1, "5.00"),
        _entry(2, "1.00", component=CostComponent.STORAGE, basis=Basis.ESTIMATED),
        _entry(3, "2.00", component=CostComponent.STORAGE),
        _entry(4, "0.50", component=CostComponent.TRANSFER_CROSS, version="2026-12"),
    ]
    summary, bill, _ = _views(entries)
    figures = summary.costs.figures
    assert figures[CostComponent.COMPUTE_DIRECT].basis is Basis.ACTUAL
    assert figures[CostComponent.STORAGE].basis is Basis.ESTIMATED
    assert figures[CostComponent.STORAGE].amount == Decimal("3.00")
    assert figures[CostComponent.TRANSFER_CROSS].source == "rate_card:2026-12"
    # The three transfer figures are always shown; unmetered ones are 0 and estimated.
    assert figures[CostComponent.TRANSFER_INTERNET].amount == 0
    assert figures[CostComponent.TRANSFER_INTERNET].source == "unmetered"
    assert summary.costs.basis is Basis.ESTIMATED and bill.basis is Basis.ESTIMATED
    assert set(summary.costs.estimated_components) == {
        CostComponent.STORAGE,
        CostComponent.TRANSFER_INTRA,
        CostComponent.TRANSFER_INTERNET,
    }


def test_fully_metered_lines_are_actual() -> None:
    entries = [
        _entry(n, "1.00", component=c)
        for n, c in enumerate((CostComponent.COMPUTE_DIRECT, *_TRANSFER))
    ]
    _, bill, _ = _views(entries)
    assert bill.basis is Basis.ACTUAL and bill.lines[0].costs.basis is Basis.ACTUAL


_TRANSFER = (
    CostComponent.TRANSFER_INTRA,
    CostComponent.TRANSFER_CROSS,
    CostComponent.TRANSFER_INTERNET,
)


def test_credits_and_subtotal() -> None:
    entries = [_entry(1, "10.00"), _entry(2, "-4.00", component=CostComponent.CREDIT)]
    _, bill, _ = _views(entries)
    assert (bill.subtotal, bill.credits, bill.total) == (
        Decimal("10.00"),
        Decimal("-4.00"),
        Decimal("6.00"),
    )


def test_only_the_customer_and_the_period_are_billed() -> None:
    entries = [
        _entry(1, "1.00"),
        _entry(2, "2.00", customer_id=GLOBEX),
        _entry(3, "4.00", at=NOV.end),
        _entry(4, "8.00", at=NOV.start - timedelta(microseconds=1)),
        _entry(5, "16.00", at=NOV.start),
    ]
    assert _views(entries)[1].total == Decimal("17.00")


def test_over_quote_lines_need_review() -> None:
    entries = [_entry(1, "11.01", workset_id="ws-a"), _entry(2, "11.00", workset_id="ws-b")]
    infos = {
        "ws-a": WorksetInfo(workset_id="ws-a", name="A", cost_cap=Decimal("10.00")),
        "ws-b": WorksetInfo(workset_id="ws-b", name="B", cost_cap=Decimal("10.00")),
    }
    _, bill, _ = _views(entries, infos)
    assert [(line.info.name, line.over_quote) for line in bill.lines] == [
        ("A", True),
        ("B", False),
    ]
    assert bill.needs_review


def test_csv_cells_that_a_spreadsheet_would_run_are_quoted() -> None:
    infos = {"ws-a": WorksetInfo(workset_id="ws-a", name="=HYPERLINK(1)")}
    rows = _views([_entry(1, "1.00")], infos)[2]
    assert rows[1][3] == "'=HYPERLINK(1)"


def test_workset_detail_lists_every_sample_and_adds_up() -> None:
    info = WorksetInfo(workset_id="ws-a", name="A", sample_ids=("S2", "S1", "S3"))
    entries = [
        _entry(1, "0.005", sample_id="S1"),
        _entry(2, "0.005", sample_id="S2"),
        _entry(3, "1.111111", sample_id=None, component=CostComponent.OVERHEAD),
        _entry(4, "2.50", sample_id="S9"),
        _entry(5, "9.99", workset_id="ws-other"),
    ]
    detail = workset_detail(info, entries)
    assert [s.sample_id for s in detail.samples] == ["S2", "S1", "S3", "S9", None]
    assert detail.samples[2].costs.total == 0
    assert sum(s.costs.total for s in detail.samples) == detail.workset.total == Decimal("3.62")


# -- the property: every view of any ledger agrees to the cent -------------------------------

_amounts = st.decimals(min_value=Decimal("0"), max_value=Decimal("5000"), places=6, allow_nan=False)


@st.composite
def _ledgers(draw: st.DrawFn) -> list[CostLedgerEntry]:
    entries = []
    for n in range(draw(st.integers(min_value=0, max_value=40))):
        component = draw(st.sampled_from(list(CostComponent)))
        amount = draw(_amounts)
        entries.append(
            _entry(
                n,
                -amount if component is CostComponent.CREDIT else amount,
                workset_id=draw(st.sampled_from(["ws-a", "ws-b", "ws-c"])),
                sample_id=draw(st.sampled_from(["S1", "S2", "S3", None])),
                component=component,
                basis=draw(st.sampled_from(list(Basis))),
                customer_id=draw(st.sampled_from([ACME, ACME, ACME, GLOBEX])),
                at=NOV.start + timedelta(seconds=draw(st.integers(-3600, 31 * 86400))),
            )
        )
    return entries


@settings(max_examples=400, deadline=None)
@given(_ledgers())
def test_summary_invoice_csv_and_samples_agree_to_the_cent(entries: list[CostLedgerEntry]) -> None:
    summary, bill, rows = _views(entries)
    csv_total = sum((Decimal(row[-1]) for row in rows[1:]), Decimal(0))
    lines_total = sum((line.total for line in bill.lines), Decimal(0))
    assert summary.total == bill.total == csv_total == lines_total
    assert bill.subtotal + bill.credits == bill.total
    billed = [e for e in entries if e.customer_id == ACME and NOV.start <= e.posted_at < NOV.end]
    exact = sum((e.amount for e in billed), Decimal(0))
    assert bill.total == exact.quantize(CENT, rounding=ROUND_HALF_EVEN)
    exact_per_charge: dict[tuple[str, str | None, str], Decimal] = defaultdict(Decimal)
    for e in billed:
        exact_per_charge[(e.workset_id, e.sample_id, e.component)] += e.amount
    for charge in bill.charges:
        key = (charge.workset_id, charge.sample_id, charge.component.value)
        assert abs(charge.amount - exact_per_charge[key]) < CENT
        assert charge.amount == charge.amount.quantize(CENT)
    if summary.costs.basis is Basis.ACTUAL:
        assert all(e.basis == "actual" for e in billed)
    by_line = {line.info.workset_id: line.total for line in workset_costs(bill_statement(entries))}
    assert by_line == {line.info.workset_id: line.total for line in bill.lines}
    for workset_id in {e.workset_id for e in entries}:
        detail = workset_detail(WorksetInfo(workset_id=workset_id), entries)
        assert sum((s.costs.total for s in detail.samples), Decimal(0)) == detail.workset.total


def bill_statement(entries: list[CostLedgerEntry]) -> Statement:
    return statement(ACME, NOV, entries, {})


def test_the_same_entries_in_any_order_give_the_same_charges() -> None:
    entries = [_entry(n, f"0.{n:06d}", sample_id=f"S{n % 4}") for n in range(1, 30)]
    assert charges(entries) == charges(list(reversed(entries)))


def test_month_periods_roll_over_the_year() -> None:
    dec = month_period("2026-12")
    assert (dec.start, dec.end) == (
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
