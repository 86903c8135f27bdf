"""A head node that runs pipelines on a timeline instead of on Slurm."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

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


def _split(value: str) -> tuple[str, ...]:
    return tuple(v for v in value.split(",") if v)


def _ok(stdout: str = "") -> CommandResult:
    return CommandResult(exit_code=0, stdout=stdout, stderr="", duration_s=0.2)
