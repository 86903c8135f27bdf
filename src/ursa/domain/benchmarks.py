"""Actual compute from benchmark telemetry (§9.3): ``rules_benchmark_data_singleton.tsv``.

Sums are exact Decimal sums of ``task_cost`` as written (``3e-06`` included), never floats.
A benchmark ``sample`` value looks like ``NVX0042_HG002_S1_0.``: the trailing ``.`` is dropped
and the workset ``sample_id`` is the second ``_`` token (sample ids contain no ``_`` or
``.``, §4.2). Every row whose sample is not one of the workset's samples is a pseudo-sample
(``all``, ``all.``, ``unknown``, ``DAY_all.``, blank, …): the set is open-ended, so there is
no deny-list.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

from ursa.domain.errors import InvalidInput, Issue
from ursa.domain.money import ZERO

REQUIRED_COLUMNS = ("rule", "sample", "cpu_time", "task_cost")
MISSING_MARKERS = frozenset({"", "na", "n/a", "nan", "none", "null"})


@dataclass(frozen=True, slots=True, kw_only=True)
class SampleBenchmark:
    """Per workset sample: direct cost ``D_s``, CPU-seconds ``c_s`` and row count."""

    sample_id: str
    direct_cost: Decimal = ZERO
    cpu_seconds: Decimal = ZERO
    rule_rows: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class PseudoSample:
    """Rows of one pseudo-sample label (as written in the file): they join the overhead."""

    label: str
    cost: Decimal = ZERO
    cpu_seconds: Decimal = ZERO
    rule_rows: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class BenchmarkSummary:
    """``samples`` holds every requested sample id (zeros when it had no rows)."""

    samples: Mapping[str, SampleBenchmark]
    pseudo: Mapping[str, PseudoSample]
    row_count: int
    missing_cost: int = 0
    missing_cpu_time: int = 0
    warnings: tuple[str, ...] = field(default=())

    @property
    def samples_total(self) -> Decimal:
        return sum((s.direct_cost for s in self.samples.values()), ZERO)

    @property
    def pseudo_total(self) -> Decimal:
        """``P`` of §9.4 step 2."""
        return sum((p.cost for p in self.pseudo.values()), ZERO)

    @property
    def all_rows_total(self) -> Decimal:
        return self.samples_total + self.pseudo_total

    def direct_costs(self) -> dict[str, Decimal]:
        return {sid: s.direct_cost for sid, s in self.samples.items()}

    def cpu_seconds(self) -> dict[str, Decimal]:
        return {sid: s.cpu_seconds for sid, s in self.samples.items()}


def match_sample(value: str, sample_ids: Collection[str]) -> str | None:
    """The workset sample id a benchmark ``sample`` value belongs to, or None (pseudo)."""
    label = value.strip().rstrip(".")
    if label in sample_ids:
        return label
    tokens = label.split("_")
    if len(tokens) >= 2 and tokens[1] in sample_ids:
        return tokens[1]
    return None


def _number(raw: str) -> Decimal | None:
    """None when missing; raises ValueError when not a finite number."""
    text = raw.strip()
    if text.lower() in MISSING_MARKERS:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {text!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not a finite number: {text!r}")
    return value


@dataclass(slots=True)
class _Acc:
    cost: Decimal = ZERO
    cpu: Decimal = ZERO
    rows: int = 0


def _header(lines: list[str]) -> dict[str, int]:
    if not lines:
        raise InvalidInput.single("header", "EMPTY_FILE", "benchmark TSV is empty")
    columns = [c.strip() for c in lines[0].split("\t")]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        issues = tuple(
            Issue(
                field=c, code="MISSING_COLUMN", message=f"required column {c!r} is missing", row=1
            )
            for c in missing
        )
        raise InvalidInput(f"benchmark TSV lacks column(s): {', '.join(missing)}", issues)
    return {c: columns.index(c) for c in REQUIRED_COLUMNS}


def parse_benchmark_tsv(data: bytes, sample_ids: Collection[str]) -> BenchmarkSummary:
    """Parse the exported benchmark TSV; raises ``InvalidInput`` for a missing column."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput.single("file", "NOT_UTF8", f"benchmark TSV is not UTF-8: {exc}") from exc
    lines = text.splitlines()
    index = _header(lines)
    width = len(lines[0].split("\t"))
    wanted = frozenset(sample_ids)
    per_sample = {sid: _Acc() for sid in sample_ids}
    per_pseudo: dict[str, _Acc] = {}
    warnings: list[str] = []
    rows = missing_cost = missing_cpu = 0
    for row_no, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) != width:
            warnings.append(f"row {row_no}: {len(cells)} fields, expected {width}; dropped")
            continue
        try:
            cost = _number(cells[index["task_cost"]])
            cpu = _number(cells[index["cpu_time"]])
        except ValueError as exc:
            warnings.append(f"row {row_no}: {exc}; dropped")
            continue
        if cost is not None and cost < 0:
            warnings.append(f"row {row_no}: negative task_cost {cost}; dropped")
            continue
        if cpu is not None and cpu < 0:
            warnings.append(f"row {row_no}: negative cpu_time {cpu}; dropped")
            continue
        if cost is None:
            missing_cost += 1
        if cpu is None:
            missing_cpu += 1
        label = cells[index["sample"]].strip()
        sid = match_sample(label, wanted)
        acc = per_sample[sid] if sid is not None else per_pseudo.setdefault(label, _Acc())
        acc.cost += cost or ZERO
        acc.cpu += cpu or ZERO
        acc.rows += 1
        rows += 1
    samples = {
        sid: SampleBenchmark(sample_id=sid, direct_cost=a.cost, cpu_seconds=a.cpu, rule_rows=a.rows)
        for sid, a in per_sample.items()
    }
    pseudo = {
        label: PseudoSample(label=label, cost=a.cost, cpu_seconds=a.cpu, rule_rows=a.rows)
        for label, a in sorted(per_pseudo.items())
    }
    return BenchmarkSummary(
        samples=MappingProxyType(samples),
        pseudo=MappingProxyType(pseudo),
        row_count=rows,
        missing_cost=missing_cost,
        missing_cpu_time=missing_cpu,
        warnings=tuple(warnings),
    )
