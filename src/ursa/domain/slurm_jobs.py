"""Slurm jobs as the head node prints them (pure): ``squeue`` in Ursa's pipe format, the
fixed-width table and DayEC's ``sq`` alias, ``sacct -P``, and the Slurm → task state mapping
(DOMAIN.md §2.8). Like every Slurm parser, these skip and report a line they cannot read."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from ursa.domain.slurm import SlurmJob
from ursa.domain.slurm_text import (
    Malformed,
    Parsed,
    column_widths,
    cut_columns,
    expand_hostlist,
    optional_int,
    parse_lines,
    to_int,
)

SQUEUE_FORMAT = "%i|%j|%T|%P|%C|%m|%M|%N|%Z|%k"
SQUEUE_TABLE_FORMAT = "%.18i %.9P %.40j %.8u %.10T %.10M %.6D %R"
SQ_ALIAS_FORMAT = "%i  %P  %C  %t  %N  %c  %T  %m  %M  %D  %j"
SACCT_FIELDS = (
    "JobID",
    "JobName",
    "State",
    "ExitCode",
    "Elapsed",
    "AllocCPUS",
    "MaxRSS",
    "NodeList",
)


# --- states, names, durations, sizes --------------------------------------------------------


class TaskState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"


_TASK_STATES = {
    "PENDING": TaskState.PENDING,
    "RUNNING": TaskState.RUNNING,
    "COMPLETING": TaskState.RUNNING,
    # A job whose nodes are still booting; Slurm counts it as running (its clock runs).
    "CONFIGURING": TaskState.RUNNING,
    "COMPLETED": TaskState.COMPLETED,
    "FAILED": TaskState.FAILED,
    "OUT_OF_MEMORY": TaskState.FAILED,
    "TIMEOUT": TaskState.FAILED,
    "NODE_FAIL": TaskState.FAILED,
    "BOOT_FAIL": TaskState.FAILED,
    "PREEMPTED": TaskState.FAILED,
    "DEADLINE": TaskState.FAILED,
    "CANCELLED": TaskState.CANCELED,
}


def task_state(slurm_state: str) -> TaskState | None:
    """``CANCELLED by 1000`` counts as CANCELLED; a state Ursa does not track gives None
    (so does a state cut by a column width, such as ``CONFIGURIN``)."""
    return _TASK_STATES.get(slurm_state.strip().partition(" ")[0].upper())


def split_job_name(name: str) -> tuple[str, str]:
    """``<rule>-<sample>`` → (rule, sample); rules never contain ``-`` (§2.8)."""
    rule, _, sample = name.partition("-")
    return rule, sample


_ELAPSED = re.compile(r"(?:(\d{1,6})-)?(?:(\d{1,6}):)?(\d{1,6}):(\d{1,2})(?:\.\d{1,6})?")


def elapsed_seconds(text: str) -> int | None:
    """``[D-][H:]M:S`` as squeue and sacct print it (``0:00``, ``1:12:38``, ``1-02:03:04``)."""
    match = _ELAPSED.fullmatch(text.strip())
    if match is None:
        return None
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


_SIZE = re.compile(r"(\d{1,15}(?:\.\d{1,6})?)([KMGTP]?)")
_MB_PER_UNIT = {"K": 1 / 1024, "M": 1.0, "G": 1024.0, "T": 1024.0**2, "P": 1024.0**3}


def memory_mb(text: str, *, bare_unit: str = "M") -> float | None:
    """Slurm sizes (binary units) in MB: ``60G`` → 61440, ``71553218K`` → 69876.2. A bare
    number is in ``bare_unit``: M for squeue's ``%m``, K for sacct's MaxRSS."""
    match = _SIZE.fullmatch(text.strip())
    if match is None:
        return None
    number, unit = match.groups()
    return float(number) * _MB_PER_UNIT[unit or bare_unit]


# --- squeue -----------------------------------------------------------------------------------


def _squeue_job(line: str) -> SlurmJob | None:
    cells = line.split("|", 9)  # %k (the comment) comes last and may itself hold a '|'
    if cells[0] == "JOBID":
        return None
    if len(cells) != 10:
        raise Malformed(f"expected 10 '|'-separated fields, found {len(cells)}")
    job_id, name, state, partition, cpus, memory, elapsed, nodes, work_dir, comment = cells
    if not job_id:
        raise Malformed("no job id")
    return SlurmJob(
        job_id=job_id,
        name=name,
        state=state,
        partition=partition,
        cpus=to_int(cpus, "CPUS"),
        memory=memory,
        elapsed=elapsed,
        nodes=nodes,
        work_dir=work_dir,
        comment=comment,
    )


def parse_squeue(text: str) -> Parsed[SlurmJob]:
    """``squeue -h -o SQUEUE_FORMAT``: the jobs the engine polls (pending: no nodes)."""
    return parse_lines(text, _squeue_job)


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueRow:
    """A job as a person's ``squeue`` table shows it. Values may be cut by column widths
    (``CONFIGURIN``, 40-char names). ``nodes`` is empty and ``reason`` set while pending."""

    job_id: str
    name: str
    state: str
    partitions: tuple[str, ...]
    elapsed: str
    node_count: int | None
    nodes: str = ""
    reason: str = ""
    user: str = ""
    cpus: int | None = None
    min_memory_mb: float | None = None

    @property
    def elapsed_s(self) -> int | None:
        return elapsed_seconds(self.elapsed)


def _partitions(text: str) -> tuple[str, ...]:
    return tuple(p for p in text.split(",") if p)


def _checked_id(job_id: str) -> str:
    if not job_id or " " in job_id:
        raise Malformed(f"job id {job_id!r} is not a job id")
    return job_id


_TABLE_WIDTHS = column_widths(SQUEUE_TABLE_FORMAT)


def _table_row(line: str) -> QueueRow | None:
    job_id, partition, name, user, state, elapsed, count, where = cut_columns(line, _TABLE_WIDTHS)
    if job_id == "JOBID":
        return None
    if not state:
        raise Malformed("no state column")
    pending = where.startswith("(") and where.endswith(")")  # %R: (reason) or the node list
    return QueueRow(
        job_id=_checked_id(job_id),
        name=name,
        state=state,
        partitions=_partitions(partition),
        elapsed=elapsed,
        node_count=optional_int(count),
        nodes="" if pending else where,
        reason=where[1:-1] if pending else "",
        user=user,
    )


def parse_squeue_table(text: str) -> Parsed[QueueRow]:
    """``squeue -o SQUEUE_TABLE_FORMAT``: fixed width, header first."""
    return parse_lines(text, _table_row)


_SQ_FIELDS = SQ_ALIAS_FORMAT.count("  ") + 1


def _sq_row(line: str) -> QueueRow | None:
    # Split on the two-space separator, never on whitespace: a pending job's NODELIST is
    # empty, and whitespace splitting would shift every later column (the legacy bug).
    cells = [c.strip() for c in line.split("  ", _SQ_FIELDS - 1)]
    if cells[0] == "JOBID":
        return None
    if len(cells) != _SQ_FIELDS:
        raise Malformed(f"expected {_SQ_FIELDS} fields, found {len(cells)}")
    job_id, partition, cpus, _, nodes, _, state, min_memory, elapsed, count, name = cells
    return QueueRow(
        job_id=_checked_id(job_id),
        name=name,
        state=state,
        partitions=_partitions(partition),
        elapsed=elapsed,
        node_count=optional_int(count),
        nodes=nodes,
        cpus=optional_int(cpus),
        min_memory_mb=memory_mb(min_memory),
    )


def parse_sq_alias(text: str) -> Parsed[QueueRow]:
    """DayEC's ``sq`` alias (``squeue -o SQ_ALIAS_FORMAT``), also in the login banner."""
    return parse_lines(text, _sq_row)


# --- sacct ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountingRow:
    """One ``sacct -P`` line: a job (``step`` empty) or one of its steps (``batch``,
    ``extern``, ``0``...). ``state`` is the first word: ``CANCELLED by 1000`` gives
    ``CANCELLED`` and ``canceled_by`` 1000 (a uid)."""

    job_id: str
    step: str
    name: str
    state: str
    canceled_by: str = ""
    exit_code: int | None = None
    signal: int | None = None
    elapsed_s: int | None = None
    alloc_cpus: int | None = None
    max_rss_mb: float | None = None
    nodes: tuple[str, ...] = ()  # empty for "None assigned" (the job never ran)

    @property
    def task_state(self) -> TaskState | None:
        return task_state(self.state)


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountingUnavailable:
    """``sacct`` could not answer, which is not "no jobs". DayEC clusters run no accounting
    database (``disabled``); job history must then come from squeue polling."""

    message: str
    disabled: bool


_DISABLED = "accounting storage is disabled"
_NOT_RUN = frozenset({"", "None assigned"})


def _accounting_row(values: dict[str, str]) -> AccountingRow:
    job_id, _, step = values.get("JobID", "").partition(".")
    if not job_id:
        raise Malformed("no JobID")
    state, _, by = values.get("State", "").partition(" by ")
    exit_code, _, signal = values.get("ExitCode", "").partition(":")
    nodes = values.get("NodeList", "")
    return AccountingRow(
        job_id=job_id,
        step=step,
        name=values.get("JobName", ""),
        state=state.strip(),
        canceled_by=by.strip(),
        exit_code=optional_int(exit_code),
        signal=optional_int(signal),
        elapsed_s=elapsed_seconds(values.get("Elapsed", "")),
        alloc_cpus=optional_int(values.get("AllocCPUS", "")),
        max_rss_mb=memory_mb(values.get("MaxRSS", ""), bare_unit="K"),
        nodes=() if nodes in _NOT_RUN else expand_hostlist(nodes),
    )


class _SacctReader:
    """Reads by column name: a header line (``sacct`` without ``-n``) replaces the
    columns the caller expected."""

    def __init__(self, columns: tuple[str, ...]) -> None:
        self.columns = columns

    def __call__(self, line: str) -> AccountingRow | None:
        cells = line.split("|")
        if cells[0] == "JobID":
            self.columns = tuple(cells)
            return None
        if len(cells) != len(self.columns):
            raise Malformed(f"expected {len(self.columns)} fields, found {len(cells)}")
        return _accounting_row(dict(zip(self.columns, cells, strict=True)))


def parse_sacct(
    stdout: str,
    *,
    stderr: str = "",
    exit_code: int = 0,
    columns: tuple[str, ...] = SACCT_FIELDS,
) -> Parsed[AccountingRow] | AccountingUnavailable:
    """``sacct -P -o <columns>``. A failed run, or the "disabled" message on either
    stream, is AccountingUnavailable."""
    said = "\n".join(part for part in (stdout.strip(), stderr.strip()) if part)
    disabled = _DISABLED in said.lower()
    if exit_code != 0 or disabled:
        return AccountingUnavailable(
            message=said or f"sacct exited with status {exit_code}", disabled=disabled
        )
    return parse_lines(stdout, _SacctReader(columns))
