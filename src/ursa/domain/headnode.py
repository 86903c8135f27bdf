"""What the engine sends to a head node (§14.3), built from quoted argv only, and how it
reads the answers. Pure: paths and ids come in, ``RemoteCommand`` and parsed facts come out.

``params`` on each command restate its meaning for the simulated head node of ``ursa dev``."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ursa.domain.ports.cluster import RemoteCommand
from ursa.domain.shell import Op, join_argv, script, shell_quote
from ursa.domain.slurm import SlurmJob

SQUEUE_FORMAT = "%i|%j|%T|%P|%C|%m|%M|%N|%Z|%k"
SUCCESS_MARKER = "daylily.successful_run"
FAILURE_MARKER = "daylily.failed_run"
_SEPARATOR = "@@ursa-probe@@"
_PROGRESS = re.compile(r"^(\d+) of (\d+) steps \((\d+)%\) done$")
PIPELINE_CHECKOUT = "daylily-omics-analysis"


@dataclass(frozen=True, slots=True, kw_only=True)
class RunPaths:
    """Where one run lives on the head node. ``pipeline_dir`` is shared by the attempts of a
    workset on one cluster; the ``.ursa/<run_id>/`` files and the tmux session are per run."""

    run_id: str
    pipeline_dir: str
    session: str

    @property
    def ursa_dir(self) -> str:
        return f"{self.pipeline_dir}/.ursa/{self.run_id}"

    @property
    def status_path(self) -> str:
        return f"{self.ursa_dir}/status.json"

    @property
    def launch_path(self) -> str:
        return f"{self.ursa_dir}/launch.sh"

    @property
    def log_path(self) -> str:
        return f"{self.ursa_dir}/pipeline.log"


def run_paths(pipeline_base: str, workdir_name: str, run_id: str) -> RunPaths:
    base = pipeline_base.rstrip("/")
    return RunPaths(
        run_id=run_id,
        pipeline_dir=f"{base}/{workdir_name}/{PIPELINE_CHECKOUT}",
        session=f"ursa_{run_id}",
    )


def _params(paths: RunPaths, **extra: str) -> dict[str, str]:
    return {"run_id": paths.run_id, "pipeline_dir": paths.pipeline_dir, **extra}


def health_probe() -> RemoteCommand:
    return RemoteCommand(
        label="health_probe", script=script(["sinfo", "-h", "-o", "%P|%a|%l|%D|%t|%N"])
    )


def clone_pipeline(paths: RunPaths, clone_argv: Sequence[str]) -> RemoteCommand:
    """``mkdir -p <parent> && cd <parent> || exit 1; test -d <dir> || <clone>``: an existing
    checkout is reused (a resumed run), never cloned over."""
    parent = paths.pipeline_dir.rsplit("/", 2)[0]
    return RemoteCommand(
        label="clone_pipeline",
        script=script(
            ["mkdir", "-p", parent],
            Op.AND,
            ["cd", parent],
            Op.OR,
            ["exit", "1"],
            Op.SEQ,
            ["test", "-d", paths.pipeline_dir],
            Op.OR,
            list(clone_argv),
        ),
        params=_params(paths),
    )


def launch_pipeline(paths: RunPaths, sample_ids: Sequence[str], genome_build: str) -> RemoteCommand:
    """Start ``launch.sh`` in a detached tmux session unless that session exists (§6.3)."""
    inner = f"bash -l {shell_quote(paths.launch_path)}"
    return RemoteCommand(
        label="launch_pipeline",
        script=script(
            ["tmux", "has-session", "-t", paths.session],
            Op.OR,
            ["tmux", "new-session", "-d", "-s", paths.session, "-c", paths.pipeline_dir, inner],
        ),
        params=_params(
            paths, session=paths.session, samples=",".join(sample_ids), genome_build=genome_build
        ),
    )


def poll_status(paths: RunPaths, sample_ids: Sequence[str] = ()) -> RemoteCommand:
    """One round trip: status.json, both markers, whether tmux lives, the log's tail."""
    d = paths.pipeline_dir
    return RemoteCommand(
        label="poll_status",
        script=script(
            ["cat", paths.status_path],
            Op.SEQ,
            ["echo", _SEPARATOR],
            Op.SEQ,
            ["test", "-e", f"{d}/{SUCCESS_MARKER}"],
            Op.AND,
            ["echo", "successful"],
            Op.SEQ,
            ["test", "-e", f"{d}/{FAILURE_MARKER}"],
            Op.AND,
            ["echo", "failed"],
            Op.SEQ,
            ["tmux", "has-session", "-t", paths.session],
            Op.AND,
            ["echo", "tmux"],
            Op.SEQ,
            ["echo", _SEPARATOR],
            Op.SEQ,
            ["tail", "-n", "40", paths.log_path],
        ),
        params=_params(paths, session=paths.session, samples=",".join(sample_ids)),
    )


def slurm_queue(paths: RunPaths) -> RemoteCommand:
    return RemoteCommand(
        label="slurm_queue",
        script=script(["squeue", "-h", "-o", SQUEUE_FORMAT]),
        params=_params(paths),
    )


def interrupt_pipeline(paths: RunPaths) -> RemoteCommand:
    """§2.7 step 2: C-c lets Snakemake cancel its own jobs first."""
    return RemoteCommand(
        label="cancel_pipeline",
        script=script(["tmux", "send-keys", "-t", paths.session, "C-c"]),
        params=_params(paths, session=paths.session),
    )


def cancel_jobs(paths: RunPaths, job_ids: Sequence[str]) -> RemoteCommand:
    return RemoteCommand(
        label="cancel_jobs",
        script=script(["scancel", *job_ids]),
        params=_params(paths, job_ids=",".join(job_ids)),
    )


def kill_session(paths: RunPaths) -> RemoteCommand:
    """Kill the session, then ask for it: exit status 1 from ``has-session`` means gone."""
    return RemoteCommand(
        label="cancel_pipeline",
        script=script(
            ["tmux", "kill-session", "-t", paths.session],
            Op.SEQ,
            ["tmux", "has-session", "-t", paths.session],
        ),
        params=_params(paths, session=paths.session, action="kill"),
    )


def resolve_dir(paths: RunPaths) -> RemoteCommand:
    return RemoteCommand(
        label="check_tree",
        script=script(["realpath", "-e", "--", paths.pipeline_dir]),
        params=_params(paths),
    )


def remove_dir(paths: RunPaths, checked_dir: str) -> RemoteCommand:
    """Only after ``check_removable_pipeline_dir`` and ``realpath_matches`` (§11.4)."""
    return RemoteCommand(
        label="cleanup_headnode",
        script=script(["rm", "-rf", "--", checked_dir]),
        params=_params(paths),
    )


# --- answers -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class PipelineProbe:
    started_at: str | None
    completed_at: str | None
    exit_code: int | None
    successful_marker: bool
    failed_marker: bool
    tmux_alive: bool
    progress_pct: int | None
    log_tail: str

    @property
    def finished(self) -> bool:
        """Done when the launcher recorded an exit code, or when nothing can still run."""
        return self.exit_code is not None or not self.tmux_alive

    @property
    def succeeded(self) -> bool:
        return self.successful_marker and self.exit_code == 0


def _status(text: str) -> Mapping[str, object]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def progress_pct(log: str) -> int | None:
    """The last Snakemake ``N of M steps (P%) done`` line wins."""
    found = None
    for line in log.splitlines():
        match = _PROGRESS.match(line.strip())
        if match:
            found = int(match.group(3))
    return found


def parse_probe(stdout: str) -> PipelineProbe:
    status_text, _, rest = stdout.partition(_SEPARATOR + "\n")
    flags_text, _, log = rest.partition(_SEPARATOR + "\n")
    status = _status(status_text)
    flags = set(flags_text.split())
    exit_code = status.get("exit_code")
    return PipelineProbe(
        started_at=_text(status.get("started_at")),
        completed_at=_text(status.get("completed_at")),
        exit_code=exit_code if isinstance(exit_code, int) else None,
        successful_marker="successful" in flags,
        failed_marker="failed" in flags,
        tmux_alive="tmux" in flags,
        progress_pct=progress_pct(log),
        log_tail=log,
    )


def parse_squeue(stdout: str) -> tuple[SlurmJob, ...]:
    """Rows of ``SQUEUE_FORMAT``; a malformed row is skipped, never guessed."""
    jobs: list[SlurmJob] = []
    for line in stdout.splitlines():
        cells = line.strip().split("|")
        if len(cells) != 10 or not cells[0]:
            continue
        job_id, name, state, partition, cpus, memory, elapsed, nodes, work_dir, comment = cells
        jobs.append(
            SlurmJob(
                job_id=job_id,
                name=name,
                state=state,
                partition=partition,
                cpus=int(cpus) if cpus.isdigit() else 0,
                memory=memory,
                elapsed=elapsed,
                nodes=nodes,
                work_dir=work_dir,
                comment=comment,
            )
        )
    return tuple(jobs)


def jobs_of_run(jobs: Sequence[SlurmJob], pipeline_dir: str) -> tuple[SlurmJob, ...]:
    """§2.7: the run's jobs are those whose working directory is the pipeline dir or below
    it (DayOA submits with ``--chdir``); the project comment is shared and cannot be used."""
    root = pipeline_dir.rstrip("/")
    return tuple(j for j in jobs if j.work_dir == root or j.work_dir.startswith(root + "/"))


# --- files the engine writes ---------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class StagedUnit:
    sample_id: str
    unit: str
    r1: str
    r2: str | None


def units_tsv(units: Sequence[StagedUnit]) -> bytes:
    """``config/units.tsv``: one line per unit with the staged (head-node) paths."""
    lines = ["sample_id\tunit\tr1\tr2"]
    lines += [f"{u.sample_id}\t{u.unit}\t{u.r1}\t{u.r2 or ''}" for u in units]
    return ("\n".join(lines) + "\n").encode()


def samples_tsv(sample_ids: Sequence[str]) -> bytes:
    return ("sample_id\n" + "".join(f"{s}\n" for s in sample_ids)).encode()


def launch_script(
    paths: RunPaths,
    *,
    pipeline_argv: Sequence[str],
    environment: Mapping[str, str],
    after_argv: Sequence[str] = (),
) -> bytes:
    """``launch.sh`` (§14.3): refuse a second launch of the run, write ``status.json`` with
    ``started_at``, clear stale markers, run the pipeline with its output in the run's log,
    then rewrite ``status.json`` with ``completed_at`` and ``exit_code``. Every value from
    data is single-quoted; the fixed lines are the only shell syntax."""
    q = shell_quote
    exports = "\n".join(f"export {name}={q(value)}" for name, value in sorted(environment.items()))
    after = f"{join_argv(after_argv)} >>{q(paths.log_path)} 2>&1 || true" if after_argv else ""
    return f"""#!/bin/bash
# Written by Ursa for run {paths.run_id}. Do not edit: the engine reads what it writes.
set -u
cd {q(paths.pipeline_dir)} || exit 2
status={q(paths.status_path)}
if [ -s "$status" ] && grep -q '"started_at": "' "$status"; then
  echo "run {paths.run_id} was launched before; refusing to start it twice" >&2
  exit 3
fi
now() {{ date -u +%Y-%m-%dT%H:%M:%SZ; }}
# status.json as the DayEC launcher writes it: started_at, then completed_at and exit_code.
write_status() {{
  printf '{{"run_id": "%s", "session_name": "%s", "started_at": "%s", ' \\
    {q(paths.run_id)} {q(paths.session)} "$started" >"$status.tmp"
  printf '"completed_at": %s, "exit_code": %s}}\\n' "$1" "$2" >>"$status.tmp"
  mv "$status.tmp" "$status"
}}
started=$(now)
write_status null null
rm -f {SUCCESS_MARKER} {FAILURE_MARKER}
{exports}
{join_argv(pipeline_argv)} >>{q(paths.log_path)} 2>&1
rc=$?
{after}
write_status "\\"$(now)\\"" "$rc"
exit $rc
""".encode()
