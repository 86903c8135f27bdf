"""Usage summaries, workset and sample costs, invoices and CSV rows from ledger entries
(§9.2, §9.4, §9.6). Pure: the billing service fetches the entries and the worksets.

**One rounding rule.** Ledger entries keep their own precision (up to 6 places). A view
sums them exactly per *charge* — one (workset, sample, component) — and rounds all of its
charges to the cent together by largest remainder (§9.4 step 4, ``billing.apportion``):
the total ``T = round_half_even(Σ entries, 0.01)``; every charge is floored to the cent
and the ``T − Σ floors`` leftover cents go to the charges with the largest remainders (ties
by workset id, sample id, component). Every figure shown — a component, a sample, a workset
line, the usage summary, the invoice, a CSV row — is a sum of these charges, so they add up
to the cent by construction and ``T`` is never off by a rounding. Each charge differs from
its exact sum by less than a cent; the same entries always give the same charges, while the
same workset seen in another view (all time rather than one month) may differ by a cent.

**Labels.** A charge is ``actual`` only when every entry in it is; a figure only when every
charge in it is; a line, summary or invoice only when every figure in it is (§9.2). The three
transfer figures are always shown: 0, ``estimated``, ``unmetered`` when nothing was posted
(§9.5, ``CostBreakdown``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from ursa.domain.billing import Basis, CostBreakdown, CostComponent, CostFigure, apportion
from ursa.domain.money import ZERO
from ursa.domain.periods import Period
from ursa.domain.records import CostLedgerEntry

OVER_QUOTE_FACTOR = Decimal("1.10")
"""§9.6: a line above the approved high × 1.10 is flagged ``over_quote``."""
CSV_HEADER = (
    "period",
    "customer_id",
    "workset_id",
    "workset_name",
    "sample_id",
    "component",
    "basis",
    "rate_card_version",
    "amount_usd",
)
_SEP = "\x00"  # below every printable character, so the joined key sorts like the tuple


@dataclass(frozen=True, slots=True, kw_only=True)
class Charge:
    """The unit every view sums: one (workset, sample, component), rounded to the cent."""

    workset_id: str
    sample_id: str | None
    """None for entries posted for the workset as a whole."""
    component: CostComponent
    amount: Decimal
    basis: Basis
    rate_card_versions: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class WorksetInfo:
    """What billing shows of a workset (the service fetches it; None name = not found)."""

    workset_id: str
    name: str | None = None
    owner_user_id: str | None = None
    cost_cap: Decimal | None = None
    sample_ids: tuple[str, ...] = ()


def charges(entries: Iterable[CostLedgerEntry]) -> tuple[Charge, ...]:
    """Sum the entries per charge exactly, then round every charge together (see above)."""
    exact: dict[str, Fraction] = defaultdict(Fraction)
    bases: dict[str, set[Basis]] = defaultdict(set)
    versions: dict[str, set[str]] = defaultdict(set)
    parts: dict[str, tuple[str, str | None, CostComponent]] = {}
    for entry in entries:
        component = CostComponent(entry.component)
        key = _SEP.join((entry.workset_id, entry.sample_id or "", component.value))
        parts[key] = (entry.workset_id, entry.sample_id, component)
        exact[key] += Fraction(entry.amount)
        bases[key].add(Basis(entry.basis))
        versions[key].add(entry.rate_card_version)
    rounded = apportion(exact)
    return tuple(
        Charge(
            workset_id=parts[key][0],
            sample_id=parts[key][1],
            component=parts[key][2],
            amount=rounded[key],
            basis=Basis.ACTUAL if bases[key] == {Basis.ACTUAL} else Basis.ESTIMATED,
            rate_card_versions=tuple(sorted(versions[key])),
        )
        for key in sorted(rounded)
    )


def breakdown(found: Iterable[Charge]) -> CostBreakdown:
    """Figures per component (each citing its rate card versions) of some charges."""
    amounts: dict[CostComponent, Decimal] = defaultdict(lambda: ZERO)
    actual: dict[CostComponent, bool] = {}
    versions: dict[CostComponent, set[str]] = defaultdict(set)
    for charge in found:
        amounts[charge.component] += charge.amount
        actual[charge.component] = actual.get(charge.component, True) and (
            charge.basis is Basis.ACTUAL
        )
        versions[charge.component].update(charge.rate_card_versions)
    return CostBreakdown(
        figures={
            component: CostFigure(
                amount=amount,
                basis=Basis.ACTUAL if actual[component] else Basis.ESTIMATED,
                source="rate_card:" + ",".join(sorted(versions[component])),
            )
            for component, amount in amounts.items()
        }
    )


# -- views ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class UsageSummary:
    customer_id: str
    period: Period
    owner_user_id: str | None
    """Set when the summary covers only this user's own worksets (a customer_user)."""
    costs: CostBreakdown
    worksets: int
    samples: int

    @property
    def total(self) -> Decimal:
        return self.costs.total


@dataclass(frozen=True, slots=True, kw_only=True)
class WorksetCosts:
    """One workset's figures; also an invoice line."""

    info: WorksetInfo
    costs: CostBreakdown

    @property
    def total(self) -> Decimal:
        return self.costs.total

    @property
    def over_quote(self) -> bool:
        cap = self.info.cost_cap
        return cap is not None and self.costs.total > cap * OVER_QUOTE_FACTOR


@dataclass(frozen=True, slots=True, kw_only=True)
class SampleCosts:
    sample_id: str | None
    """None: the entries posted for the workset as a whole."""
    costs: CostBreakdown


@dataclass(frozen=True, slots=True, kw_only=True)
class WorksetCostDetail:
    workset: WorksetCosts
    samples: tuple[SampleCosts, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Invoice:
    customer_id: str
    period: Period
    lines: tuple[WorksetCosts, ...]
    charges: tuple[Charge, ...]

    @property
    def subtotal(self) -> Decimal:
        """Everything but credits."""
        return sum(
            (c.amount for c in self.charges if c.component is not CostComponent.CREDIT), ZERO
        )

    @property
    def credits(self) -> Decimal:
        """Non-billable attempts (§9.6), <= 0."""
        return sum((c.amount for c in self.charges if c.component is CostComponent.CREDIT), ZERO)

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.credits

    @property
    def basis(self) -> Basis:
        actual = all(line.costs.basis is Basis.ACTUAL for line in self.lines)
        return Basis.ACTUAL if actual else Basis.ESTIMATED

    @property
    def needs_review(self) -> bool:
        """A line is over its quote: a provider reviews before the invoice is issued."""
        return any(line.over_quote for line in self.lines)


@dataclass(frozen=True, slots=True, kw_only=True)
class Statement:
    """One customer's (or one caller's visible part of its) ledger for a period: every
    view of it — summary, workset costs, invoice, CSV — is derived from the same charges."""

    customer_id: str
    period: Period
    charges: tuple[Charge, ...]
    worksets: Mapping[str, WorksetInfo]
    owner_user_id: str | None = None
    """Set when only this user's own worksets are in it (a customer_user's view)."""

    def info(self, workset_id: str) -> WorksetInfo:
        return self.worksets.get(workset_id) or WorksetInfo(workset_id=workset_id)


def statement(
    customer_id: str,
    period: Period,
    entries: Iterable[CostLedgerEntry],
    worksets: Mapping[str, WorksetInfo],
    *,
    owner_user_id: str | None = None,
) -> Statement:
    """The entries of ``customer_id`` posted in ``period``; any other entry is ignored."""
    own = (
        e
        for e in entries
        if e.customer_id == customer_id and period.start <= e.posted_at < period.end
    )
    return Statement(
        customer_id=customer_id,
        period=period,
        charges=charges(own),
        worksets=dict(worksets),
        owner_user_id=owner_user_id,
    )


def _by_workset(found: Iterable[Charge]) -> dict[str, list[Charge]]:
    grouped: dict[str, list[Charge]] = defaultdict(list)
    for charge in found:
        grouped[charge.workset_id].append(charge)
    return dict(sorted(grouped.items()))


def usage_summary(s: Statement) -> UsageSummary:
    return UsageSummary(
        customer_id=s.customer_id,
        period=s.period,
        owner_user_id=s.owner_user_id,
        costs=breakdown(s.charges),
        worksets=len({c.workset_id for c in s.charges}),
        samples=len({(c.workset_id, c.sample_id) for c in s.charges if c.sample_id}),
    )


def workset_costs(s: Statement) -> tuple[WorksetCosts, ...]:
    """One per workset with charges in the period, by workset id."""
    return tuple(
        WorksetCosts(info=s.info(workset_id), costs=breakdown(found))
        for workset_id, found in _by_workset(s.charges).items()
    )


def invoice(s: Statement) -> Invoice:
    return Invoice(
        customer_id=s.customer_id, period=s.period, lines=workset_costs(s), charges=s.charges
    )


def workset_detail(info: WorksetInfo, entries: Iterable[CostLedgerEntry]) -> WorksetCostDetail:
    """A workset's costs over all its entries, and per sample: the samples of the workset in
    manifest order (0 when nothing was posted), then any other sample ids, then the entries
    for the workset as a whole. The samples add up to the workset exactly."""
    found = charges(e for e in entries if e.workset_id == info.workset_id)
    per_sample: dict[str | None, list[Charge]] = {sample_id: [] for sample_id in info.sample_ids}
    extra: dict[str | None, list[Charge]] = defaultdict(list)
    for charge in found:
        target = per_sample if charge.sample_id in per_sample else extra
        target.setdefault(charge.sample_id, []).append(charge)
    ordered = [*per_sample.items(), *sorted(extra.items(), key=lambda kv: _last_none(kv[0]))]
    return WorksetCostDetail(
        workset=WorksetCosts(info=info, costs=breakdown(found)),
        samples=tuple(
            SampleCosts(sample_id=sample_id, costs=breakdown(group)) for sample_id, group in ordered
        ),
    )


def _last_none(sample_id: str | None) -> tuple[bool, str]:
    return (sample_id is None, sample_id or "")


# -- CSV --------------------------------------------------------------------------------------

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """Text a spreadsheet would run as a formula is quoted with a leading apostrophe."""
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def csv_rows(bill: Invoice) -> tuple[Sequence[str], ...]:
    """The header, then one row per charge (the invoice total is the sum of ``amount_usd``)."""
    rows: list[Sequence[str]] = [CSV_HEADER]
    names = {line.info.workset_id: line.info.name or "" for line in bill.lines}
    for charge in bill.charges:
        rows.append(
            (
                bill.period.label,
                bill.customer_id,
                charge.workset_id,
                _cell(names.get(charge.workset_id, "")),
                _cell(charge.sample_id or ""),
                charge.component.value,
                charge.basis.value,
                ",".join(charge.rate_card_versions),
                f"{charge.amount:.2f}",
            )
        )
    return tuple(rows)
