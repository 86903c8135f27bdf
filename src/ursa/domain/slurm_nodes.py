"""Slurm nodes as the head node prints them (pure): ``sinfo -N -o``, plain ``sinfo -N``,
``sinfo -R`` and ``scontrol show nodes``. See tests/fixtures/README.md (slurm/) for the
layouts, and ``ursa.domain.slurm`` for the snapshot built from them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from ursa.domain.slurm_text import (
    NO_VALUE,
    Malformed,
    Parsed,
    Skipped,
    column_widths,
    cut_columns,
    expand_hostlist,
    optional_int,
    parse_lines,
    slurm_time,
    to_int,
)

SINFO_NODES_FORMAT = "%.20N %.9P %.6t %.10c %.10m %.10G %.20R"
"""``sinfo -N -o`` columns: name, partition (``*`` = default), compact state, CPUs, memory
MB, GRES, and the partition again (``%R`` is the partition name, uncut at 20)."""
SINFO_REASONS_FORMAT = "%20E %9u %19H %N"
"""What plain ``sinfo -R`` prints: reason (cut at 20), user, timestamp, node list."""

_EMPTY: Mapping[str, str] = MappingProxyType({})


class StateSuffix(StrEnum):
    """The flag character ``sinfo`` appends to a compact state (``idle~``)."""

    NONE = ""
    NOT_RESPONDING = "*"
    POWERED_DOWN = "~"
    POWERING_UP = "#"  # or being configured
    POWER_DOWN_PENDING = "!"
    POWERING_DOWN = "%"
    MAINTENANCE = "$"
    REBOOT_PENDING = "@"
    REBOOT_ISSUED = "^"
    PLANNED = "-"


_COMPACT_STATE = re.compile(r"([a-z_]+)([^\w\s]?)")


def split_compact_state(text: str) -> tuple[str, str]:
    """``down~`` → (``down``, ``~``). The suffix stays a plain string so that a flag newer
    than StateSuffix still parses; compare it with StateSuffix members."""
    match = _COMPACT_STATE.fullmatch(text)
    if match is None:
        raise Malformed(f"state {text!r} is not a compact Slurm state")
    return match.group(1), match.group(2)


@dataclass(frozen=True, slots=True, kw_only=True)
class SinfoNode:
    """One ``sinfo -N -o SINFO_NODES_FORMAT`` line (a node once per partition)."""

    name: str
    partition: str
    default_partition: bool
    state: str  # compact base: idle, mix, alloc, drain, drng, down, ...
    suffix: str  # a StateSuffix value
    cpus: int
    memory_mb: int
    gres: str  # "" when Slurm prints (null)

    @property
    def compact(self) -> str:
        return self.state + self.suffix


_SINFO_NODE_WIDTHS = column_widths(SINFO_NODES_FORMAT)


def _sinfo_node(line: str) -> SinfoNode | None:
    name, partition, state, cpus, memory, gres, full_partition = cut_columns(
        line, _SINFO_NODE_WIDTHS
    )
    if name == "NODELIST":
        return None
    if not name or " " in name:
        raise Malformed("no node name in the first 20 columns")
    short = partition.removesuffix("*")
    base, suffix = split_compact_state(state)
    return SinfoNode(
        name=name,
        # %.9P cuts the name (i192bigme); %.20R holds it whole, unless the line was cut too.
        partition=full_partition if short and full_partition.startswith(short) else short,
        default_partition=partition.endswith("*"),
        state=base,
        suffix=suffix,
        cpus=to_int(cpus, "CPUS"),
        memory_mb=to_int(memory, "MEMORY"),
        gres="" if gres in NO_VALUE else gres,
    )


def parse_sinfo_nodes(text: str) -> Parsed[SinfoNode]:
    return parse_lines(text, _sinfo_node)


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeStateRow:
    """One line of plain ``sinfo -N`` (``-r``: responding nodes only, so ``*`` nodes are
    absent). Without ``-N`` a line names several nodes; ``nodes`` expands them."""

    nodes: tuple[str, ...]
    node_count: int
    partition: str
    default_partition: bool
    state: str
    suffix: str


def _node_state_row(line: str) -> NodeStateRow | None:
    cells = line.split()
    if cells[:1] == ["NODELIST"]:
        return None
    if len(cells) != 4:
        raise Malformed(f"expected 4 columns, found {len(cells)}")
    nodelist, count, partition, state = cells
    base, suffix = split_compact_state(state)
    return NodeStateRow(
        nodes=expand_hostlist(nodelist),
        node_count=to_int(count, "NODES"),
        partition=partition.removesuffix("*"),
        default_partition=partition.endswith("*"),
        state=base,
        suffix=suffix,
    )


def parse_sinfo_states(text: str) -> Parsed[NodeStateRow]:
    return parse_lines(text, _node_state_row)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReasonRow:
    """One ``sinfo -R`` line; ``reason`` is cut at 20 characters (full text: scontrol)."""

    reason: str
    user: str
    at: datetime | None
    nodes: tuple[str, ...]


_SINFO_REASON_WIDTHS = column_widths(SINFO_REASONS_FORMAT)


def _reason_row(line: str) -> ReasonRow | None:
    reason, user, timestamp, nodelist = cut_columns(line, _SINFO_REASON_WIDTHS)
    if (reason, user) == ("REASON", "USER"):
        return None
    nodes = expand_hostlist(nodelist)
    if not nodes:
        raise Malformed("no node list after the timestamp column")
    return ReasonRow(reason=reason, user=user, at=slurm_time(timestamp), nodes=nodes)


def parse_sinfo_reasons(text: str) -> Parsed[ReasonRow]:
    return parse_lines(text, _reason_row)


# --- scontrol show nodes --------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ScontrolNode:
    """One ``scontrol show nodes`` record. ``fields`` keeps every key as printed."""

    name: str
    state: str  # base, upper case: IDLE, MIXED, DOWN, ...
    flags: tuple[str, ...]  # CLOUD, DRAIN, POWERED_DOWN, NOT_RESPONDING, ...
    partitions: tuple[str, ...]
    cpus: int | None
    cpus_allocated: int | None
    memory_mb: int | None
    free_memory_mb: int | None
    boot_time: datetime | None
    arch: str = ""
    version: str = ""
    os: str = ""
    reason: str = ""
    reason_user: str = ""
    reason_at: datetime | None = None
    fields: Mapping[str, str] = field(default_factory=lambda: _EMPTY)

    @property
    def never_booted(self) -> bool:
        """A dynamic node that was never started has no boot time and no slurmd version."""
        return self.boot_time is None and not self.version


# Keys whose values hold spaces; Slurm prints each on a line of its own, value to the end.
_REST_OF_LINE = frozenset({"OS", "Reason", "Comment", "Extra"})
_KEY = re.compile(r"(?<!\S)([A-Za-z][A-Za-z0-9_]*)=")


def _pairs(line: str) -> Iterable[tuple[str, str]]:
    """``Key=Value`` pairs; a value runs to the next ``Key=`` that starts a word, so
    ``CfgTRES=cpu=8,mem=62259M`` stays one value."""
    matches = list(_KEY.finditer(line))
    for i, match in enumerate(matches):
        name = match.group(1)
        if name in _REST_OF_LINE:
            yield name, line[match.end() :].strip()
            return
        end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
        yield name, line[match.end() : end].strip()


def _split_reason(text: str) -> tuple[str, str, datetime | None]:
    """``Kill task failed [slurm@2026-01-23T14:58:02]`` → text, user, time."""
    reason, bracket, tail = text.rpartition(" [")
    if not bracket or not tail.endswith("]") or "@" not in tail:
        return text, "", None
    user, _, at = tail[:-1].partition("@")
    return reason.strip(), user, slurm_time(at)


def _scontrol_node(fields: Mapping[str, str]) -> ScontrolNode:
    def get(key: str) -> str:
        value = fields.get(key, "")
        return "" if value in NO_VALUE else value

    state, *flags = fields.get("State", "").split("+")
    reason, reason_user, reason_at = _split_reason(get("Reason"))
    return ScontrolNode(
        name=fields["NodeName"],
        state=state,
        flags=tuple(f for f in flags if f),
        partitions=tuple(p for p in get("Partitions").split(",") if p),
        cpus=optional_int(fields.get("CPUTot", "")),
        cpus_allocated=optional_int(fields.get("CPUAlloc", "")),
        memory_mb=optional_int(fields.get("RealMemory", "")),
        free_memory_mb=optional_int(fields.get("FreeMem", "")),
        boot_time=slurm_time(fields.get("BootTime", "")),
        arch=get("Arch"),
        version=get("Version"),
        os=get("OS"),
        reason=reason,
        reason_user=reason_user,
        reason_at=reason_at,
        fields=MappingProxyType(dict(fields)),
    )


def parse_scontrol_nodes(text: str) -> Parsed[ScontrolNode]:
    """A record starts at ``NodeName=`` and runs to the next one: blank lines also occur
    inside a record (before ``Reason=``), so they cannot be the separator."""
    records: list[dict[str, str]] = []
    skipped: list[Skipped] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        pairs = list(_pairs(line))
        if pairs and pairs[0][0] == "NodeName":
            records.append({})
        if not records or not pairs:
            why = "no Key=Value pair" if records else "before the first NodeName"
            skipped.append(Skipped(line_no=line_no, line=line, why=why))
            continue
        records[-1].update(pairs)
    nodes = tuple(_scontrol_node(r) for r in records if r.get("NodeName"))
    return Parsed(rows=nodes, skipped=tuple(skipped))
