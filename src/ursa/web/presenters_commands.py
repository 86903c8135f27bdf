"""The provider admins' command log on the detail page: every external command the engine
ran for a workset, newest first, with its exit code, duration and output tails."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ursa.domain.command_log import CommandLogEntry
from ursa.domain.services.operations import MAX_ENTRIES
from ursa.web import formatting as fmt
from ursa.web.forms import CommandFilters
from ursa.web.presenters import Option, workset_url

SHOWN = 200
"""Commands rendered at once; filters reach the rest."""


def commands_url(workset_id: str) -> str:
    return f"{workset_url(workset_id)}/commands"


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandOutput:
    name: str
    text: str
    lines: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandRow:
    number: int
    seq: str
    anchor: str
    when: str
    when_full: str
    when_iso: str
    run_id: str
    step: str
    label: str
    transport: str
    exit_label: str
    failed: bool
    duration: str
    rendered: str
    cwd: str
    env: str
    outputs: tuple[CommandOutput, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandLogView:
    self_url: str
    detail_url: str
    workset_id: str
    label_options: tuple[Option, ...]
    q: str
    rows: tuple[CommandRow, ...]
    summary: str
    empty_text: str


def present_command(entry: CommandLogEntry, number: int) -> CommandRow:
    outputs = tuple(
        CommandOutput(name=name, text=text, lines=fmt.line_count(text))
        for name, text in (("stdout", entry.stdout_tail), ("stderr", entry.stderr_tail))
        if text.strip()
    )
    return CommandRow(
        number=number,
        seq=entry.seq,
        anchor=f"command-{number}",
        when=fmt.clock_time(entry.started_at),
        when_full=fmt.full_time(entry.started_at),
        when_iso=fmt.iso(entry.started_at),
        run_id=entry.run_id,
        step=fmt.humanize(entry.step),
        label=entry.label,
        transport=entry.transport,
        exit_label=f"exit {entry.exit_code}",
        failed=entry.exit_code != 0,
        duration=fmt.duration(entry.duration_s),
        rendered=entry.rendered,
        cwd=entry.cwd or "",
        env=" ".join(entry.env_names),
        outputs=outputs,
    )


def label_options(everything: Sequence[CommandLogEntry], chosen: str) -> tuple[Option, ...]:
    counts = Counter(e.label for e in everything)
    if chosen and chosen not in counts:
        counts[chosen] = 0  # keep the filter visible even when nothing carries it (yet)
    return (
        Option(value="", label="All labels", selected=not chosen),
        *(
            Option(value=label, label=f"{label} ({counts[label]})", selected=label == chosen)
            for label in sorted(counts)
        ),
    )


def log_summary(matching: int, failed: int, *, filtered: bool, loaded_all: bool) -> str:
    noun = f"{matching} command{'s' if matching != 1 else ''}"
    text = f"{noun} match these filters" if filtered else noun
    if matching > SHOWN:
        text = f"The newest {SHOWN} of {text}"
    if failed:
        text = f"{text} · {failed} with a non-zero exit"
    if not loaded_all:
        text = f"{text} · only the oldest {matching} are loaded: filter to reach later ones"
    return text


def present_command_log(
    workset_id: str,
    everything: Sequence[CommandLogEntry],
    matching: Sequence[CommandLogEntry],
    filters: CommandFilters,
) -> CommandLogView:
    """``everything`` (unfiltered) numbers the entries and lists the labels; ``matching`` is
    what the filters let through, oldest first as the store returns it, at most
    ``MAX_ENTRIES`` of them (so a full page means later ones may exist)."""
    numbers = {e.seq: n for n, e in enumerate(everything, start=1)}
    shown = list(enumerate(matching, start=1))[-SHOWN:]
    rows = tuple(present_command(e, numbers.get(e.seq, n)) for n, e in reversed(shown))
    failed = sum(1 for e in matching if e.exit_code != 0)
    return CommandLogView(
        self_url=commands_url(workset_id),
        detail_url=workset_url(workset_id),
        workset_id=workset_id,
        label_options=label_options(everything, filters.label),
        q=filters.q,
        rows=rows,
        summary=log_summary(
            len(matching),
            failed,
            filtered=filters.active,
            loaded_all=len(matching) < MAX_ENTRIES,
        ),
        empty_text=(
            "No commands match these filters."
            if filters.active
            else "The engine has not run any command for this workset yet."
        ),
    )
