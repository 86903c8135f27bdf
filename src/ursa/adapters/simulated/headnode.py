"""A head node that runs pipelines on a timeline instead of on Slurm."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ursa.domain.errors import InvalidInput, NotFound
from ursa.domain.ports import Clock
from ursa.domain.ports.cluster import CommandResult, RemoteCommand, RemoteFile
from ursa.domain.run_record import HeadNodeRef

RULES = ("align", "call")
_SEP = "@@ursa-probe@@"


@dataclass(slots=True, kw_only=True)
class SimRun:
    run_id: str
    pipeline_dir: str
    session: str
    samples: tuple[str, ...]
    genome_build: str
    launched_at: datetime
    failing: frozenset[str]
    first_s: float
    spacing_s: float
    interrupted_at: datetime | None = None
    session_alive: bool = True
    job_base: int = 4200

    def finish_time(self, index: int) -> datetime:
        return self.launched_at + timedelta(seconds=self.first_s + self.spacing_s * index)

    def done(self, now: datetime) -> tuple[str, ...]:
        return tuple(s for i, s in enumerate(self.samples) if self.finish_time(i) <= now)

    def ended_at(self) -> datetime:
        return self.finish_time(max(len(self.samples) - 1, 0))

    def finished(self, now: datetime) -> bool:
        return self.interrupted_at is not None or now >= self.ended_at()

    def job_id(self, sample: str, rule: str) -> str:
        return str(self.job_base + 2 * self.samples.index(sample) + RULES.index(rule))


@dataclass(slots=True)
class SimulatedHeadNode:
    """``RemoteShell`` of the simulated cluster. ``failing`` names samples that die of an
    out-of-memory kill; sample *i* finishes ``first_s + spacing_s × i`` after launch."""

    clock: Clock
    failing: frozenset[str] = frozenset()
    first_s: float = 20.0
    spacing_s: float = 10.0
    runs: dict[str, SimRun] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)

    async def run(
        self, node: HeadNodeRef, command: RemoteCommand, *, timeout_s: float
    ) -> CommandResult:
        handler: Callable[[dict[str, str]], CommandResult] | None = getattr(
            self, f"_on_{command.label}", None
        )
        return _ok() if handler is None else handler(dict(command.params))

    async def put_file(
        self, node: HeadNodeRef, path: str, data: bytes, *, mode: int = 0o644, timeout_s: float
    ) -> None:
        self.files[path] = data

    async def read_file(
        self, node: HeadNodeRef, path: str, *, max_bytes: int, timeout_s: float
    ) -> bytes:
        if path not in self.files:
            raise NotFound(f"{path} does not exist on {node.host}")
        if len(self.files[path]) > max_bytes:
            raise InvalidInput.single("path", "TOO_LARGE", f"{path} is over {max_bytes} bytes")
        return self.files[path]

    async def walk(
        self, node: HeadNodeRef, root: str, *, timeout_s: float
    ) -> tuple[RemoteFile, ...]:
        prefix = root.rstrip("/") + "/"
        return tuple(
            RemoteFile(path=p, size=len(d))
            for p, d in sorted(self.files.items())
            if p.startswith(prefix)
        )

    # --- commands, by label --------------------------------------------------------------

    def _on_health_probe(self, params: dict[str, str]) -> CommandResult:
        return _ok("debug*|up|infinite|2|idle|sim-node-[1-2]\n")

    def _on_launch_pipeline(self, params: dict[str, str]) -> CommandResult:
        existing = self.runs.get(params["pipeline_dir"])
        if (
            existing is not None
            and existing.session == params["session"]
            and existing.session_alive
        ):
            return _ok()
        self._start(params, self.clock.now())
        return _ok()

    def _start(self, params: dict[str, str], at: datetime) -> SimRun:
        run = SimRun(
            run_id=params["run_id"],
            pipeline_dir=params["pipeline_dir"],
            session=params.get("session", f"ursa_{params['run_id']}"),
            samples=_split(params.get("samples", "")),
            genome_build=params.get("genome_build", "hg38"),
            launched_at=at,
            failing=self.failing,
            first_s=self.first_s,
            spacing_s=self.spacing_s,
            job_base=4200 + 100 * len(self.runs),
        )
        self.runs[run.pipeline_dir] = run
        return run

    def _adopt(self, params: dict[str, str]) -> SimRun | None:
        """A run launched before this process started (the seeded demo, or an engine
        restart of ``ursa dev``) is adopted as running from now on."""
        if "session" not in params or not params.get("samples"):
            return None
        return self._start(params, self.clock.now())

    def _on_poll_status(self, params: dict[str, str]) -> CommandResult:
        run = self.runs.get(params["pipeline_dir"]) or self._adopt(params)
        if run is None or run.session != params.get("session", run.session):
            return _ok(f"{_SEP}\n{_SEP}\n")
        now = self.clock.now()
        done = run.done(now)
        failed = [s for s in done if s in run.failing]
        finished = run.finished(now)
        exit_code = None
        if run.interrupted_at is not None:
            exit_code = 130
        elif finished:
            exit_code = 1 if failed else 0
        status = {
            "run_id": run.run_id,
            "session_name": run.session,
            "started_at": run.launched_at.isoformat(),
            "completed_at": now.isoformat() if exit_code is not None else None,
            "exit_code": exit_code,
        }
        flags = []
        if exit_code == 0:
            flags.append("successful")
        elif exit_code is not None:
            flags.append("failed")
        if run.session_alive and exit_code is None:
            flags.append("tmux")
        total = len(RULES) * len(run.samples)
        steps = len(RULES) * len(done)
        pct = round(100 * steps / total) if total else 100
        log = f"{steps} of {total} steps ({pct}%) done\n"
        return _ok(f"{json.dumps(status)}\n{_SEP}\n" + "\n".join(flags) + f"\n{_SEP}\n{log}")

    def _on_slurm_queue(self, params: dict[str, str]) -> CommandResult:
        now = self.clock.now()
        rows = []
        for run in self.runs.values():
            if run.finished(now):
                continue
            for sample in run.samples:
                if sample in run.done(now):
                    continue
                rule = RULES[0]
                job = run.job_id(sample, rule)
                rows.append(
                    f"{job}|{rule}-{sample}|RUNNING|i192|16|60G|2:13|sim-node-1|{run.pipeline_dir}|"
                )
        return _ok("\n".join(rows) + ("\n" if rows else ""))

    def _on_cancel_pipeline(self, params: dict[str, str]) -> CommandResult:
        run = self.runs.get(params["pipeline_dir"])
        if params.get("action") == "kill":
            if run is not None:
                run.session_alive = False
            return CommandResult(
                exit_code=1, stdout="", stderr="can't find session", duration_s=0.1
            )
        if run is not None and run.interrupted_at is None and not run.finished(self.clock.now()):
            run.interrupted_at = self.clock.now()
        return _ok()

    def _on_check_tree(self, params: dict[str, str]) -> CommandResult:
        return _ok(params["pipeline_dir"] + "\n")

    def _on_cleanup_headnode(self, params: dict[str, str]) -> CommandResult:
        self.runs.pop(params["pipeline_dir"], None)
        prefix = params["pipeline_dir"].rstrip("/") + "/"
        for path in [p for p in self.files if p.startswith(prefix)]:
            del self.files[path]
        return _ok()

    def _on_slurm_nodes(self, params: dict[str, str]) -> CommandResult:
        """The three read-only queries of a cluster snapshot, in Slurm 24.05's layouts
        (tests/fixtures/slurm/): a small cluster with one drained node."""
        render = _SLURM_NODE_QUERIES.get(params.get("query", ""))
        if render is None:
            return CommandResult(
                exit_code=2,
                stdout="",
                stderr=f"simulated head node: unknown slurm_nodes query {params.get('query')!r}",
                duration_s=0.1,
            )
        return _ok(render(self.clock.now()))


def _split(value: str) -> tuple[str, ...]:
    return tuple(v for v in value.split(",") if v)


def _ok(stdout: str = "") -> CommandResult:
    return CommandResult(exit_code=0, stdout=stdout, stderr="", duration_s=0.2)


# --- the simulated cluster's nodes (slurm_nodes) -----------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class _SimNode:
    """One compute node as ``sinfo`` (compact ``state``) and ``scontrol`` (``detail``)
    print it. ``address`` is None for a dynamic node that never booted."""

    name: str
    partition: str
    state: str
    detail: str
    cpus: int
    cpus_allocated: int
    memory_mb: int
    instance: str
    address: str | None
    reason: str = ""
    reason_user: str = ""

    @property
    def features(self) -> str:
        return f"dynamic,{self.instance},{self.name.split('-')[2]}"


DEFAULT_PARTITION = "i8"
SIM_NODES = (
    _SimNode(
        name="i8-dy-r6gb64-1",
        partition="i8",
        state="idle",
        detail="IDLE+CLOUD",
        cpus=8,
        cpus_allocated=0,
        memory_mb=62259,
        instance="r6i.2xlarge",
        address="10.0.1.21",
    ),
    _SimNode(
        name="i8-dy-r6gb64-2",
        partition="i8",
        state="idle~",
        detail="IDLE+CLOUD+POWERED_DOWN",
        cpus=8,
        cpus_allocated=0,
        memory_mb=62259,
        instance="r6i.2xlarge",
        address=None,
    ),
    _SimNode(
        name="i192-dy-c7gb384-1",
        partition="i192",
        state="mix",
        detail="MIXED+CLOUD",
        cpus=192,
        cpus_allocated=128,
        memory_mb=373555,
        instance="c7i.48xlarge",
        address="10.0.1.57",
    ),
    _SimNode(
        name="i192-dy-c7gb384-2",
        partition="i192",
        state="alloc",
        detail="ALLOCATED+CLOUD",
        cpus=192,
        cpus_allocated=192,
        memory_mb=373555,
        instance="c7i.48xlarge",
        address="10.0.1.88",
    ),
    _SimNode(
        name="i192-dy-c7gb384-3",
        partition="i192",
        state="drain",
        detail="IDLE+CLOUD+DRAIN",
        cpus=192,
        cpus_allocated=0,
        memory_mb=373555,
        instance="c7i.48xlarge",
        address="10.0.1.104",
        reason="Scheduler health check failed",  # longer than sinfo -R's 20 characters
        reason_user="root",
    ),
)
_BOOTED_AGO = timedelta(hours=3, minutes=12)
_REASON_AGO = timedelta(minutes=47)
_OS = "Linux 6.8.0-1029-aws #31~22.04.1-Ubuntu SMP Thu Apr 24 21:16:18 UTC 2025"


def _slurm_at(at: datetime) -> str:
    """Slurm's timestamp: the controller's local time, UTC on ParallelCluster."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _sinfo_nodes(now: datetime) -> str:
    """``sinfo -N -o "%.20N %.9P %.6t %.10c %.10m %.10G %.20R"``: right-justified, cut."""

    def row(*cells: str) -> str:
        widths = (20, 9, 6, 10, 10, 10, 20)
        return " ".join(f"{c:>{w}.{w}}" for c, w in zip(cells, widths, strict=True))

    lines = [row("NODELIST", "PARTITION", "STATE", "CPUS", "MEMORY", "GRES", "PARTITION")]
    for n in SIM_NODES:
        marked = n.partition + ("*" if n.partition == DEFAULT_PARTITION else "")
        lines.append(
            row(n.name, marked, n.state, str(n.cpus), str(n.memory_mb), "(null)", n.partition)
        )
    return "\n".join(lines) + "\n"


def _sinfo_reasons(now: datetime) -> str:
    """``sinfo -R -o "%20E %9u %19H %N"``: left-justified, the reason cut at 20."""
    at = _slurm_at(now - _REASON_AGO)
    lines = [f"{'REASON':<20} {'USER':<9} {'TIMESTAMP':<19} NODELIST"]
    lines += [
        f"{n.reason:<20.20} {n.reason_user:<9.9} {at:<19} {n.name}" for n in SIM_NODES if n.reason
    ]
    return "\n".join(lines) + "\n"


def _scontrol_record(n: _SimNode, now: datetime) -> str:
    booted = n.address is not None
    boot = now - _BOOTED_AGO
    arch = " Arch=x86_64" if booted else ""
    version = " Version=24.05.8" if booted else ""
    free = str(n.memory_mb * (96 - n.cpus_allocated * 60 // n.cpus) // 100) if booted else "N/A"
    load = f"{n.cpus_allocated * 0.98:.2f}"
    times = (
        f"BootTime={_slurm_at(boot)} SlurmdStartTime={_slurm_at(boot + timedelta(minutes=4))}"
        if booted
        else "BootTime=None SlurmdStartTime=None"
    )
    busy = _slurm_at(now - timedelta(minutes=2)) if n.cpus_allocated else "Unknown"
    lines = [
        f"NodeName={n.name}{arch} CoresPerSocket=1",
        f"   CPUAlloc={n.cpus_allocated} CPUEfctv={n.cpus} CPUTot={n.cpus} CPULoad={load}",
        f"   AvailableFeatures={n.features}",
        f"   ActiveFeatures={n.features}",
        "   Gres=(null)",
        f"   NodeAddr={n.address or n.name} NodeHostName={n.name}{version}",
        *([f"   OS={_OS}"] if booted else []),
        f"   RealMemory={n.memory_mb} AllocMem=0 FreeMem={free} Sockets={n.cpus} Boards=1",
        f"   State={n.detail} ThreadsPerCore=1 TmpDisk=0 Weight=1000 Owner=N/A MCS_label=N/A",
        f"   Partitions={n.partition}",
        f"   {times}",
        f"   LastBusyTime={busy} ResumeAfterTime=None",
        f"   CfgTRES=cpu={n.cpus},mem={n.memory_mb}M,billing={n.cpus}",
        f"   AllocTRES={f'cpu={n.cpus_allocated}' if n.cpus_allocated else ''}",
        "   CurrentWatts=0 AveWatts=0",
    ]
    if n.reason:
        at = _slurm_at(now - _REASON_AGO)
        lines += ["", f"   Reason={n.reason} [{n.reason_user}@{at}]"]
    return "\n".join(lines) + "\n"


def _scontrol_nodes(now: datetime) -> str:
    """``scontrol show nodes``: records separated by two blank lines (24.05)."""
    return "\n\n".join(_scontrol_record(n, now) for n in SIM_NODES)


_SLURM_NODE_QUERIES: dict[str, Callable[[datetime], str]] = {
    "sinfo_nodes": _sinfo_nodes,
    "sinfo_reasons": _sinfo_reasons,
    "scontrol_nodes": _scontrol_nodes,
}
