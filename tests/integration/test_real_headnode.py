"""AsyncsshShell against a real OpenSSH sshd in front of a real single-node Slurm, the test
pipeline run end to end through them (the stand-in for DayOA), and the tier's Redis."""

from __future__ import annotations

import asyncio
import gzip
import re
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
import redis.asyncio

from ursa.adapters.ssh import AsyncsshShell
from ursa.domain.errors import NotFound, Unavailable
from ursa.domain.ports.cluster import CommandResult, RemoteCommand
from ursa.domain.run_record import HeadNodeRef
from ursa.domain.shell import Op, script

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

TIMEOUT = 30.0
PIPELINE_SCRIPT = Path(__file__).parent / "pipeline" / "ursa_test_pipeline.sh"
OOM_LINE = re.compile(
    r"^slurmstepd: error: Detected 1 oom_kill event in StepId=\d+\.batch\. "
    r"Some of the step tasks have been OOM Killed\.$",
    re.MULTILINE,
)
# The login user's live processes, one command line per line (no procps on minimal images).
OWN_PROCESSES = (
    "for p in /proc/[0-9]*; do [ -O \"$p\" ] && tr '\\0' ' ' < \"$p/cmdline\" && echo; done"
    " 2>/dev/null; true"
)
PROGRESS = re.compile(r"^(\d+) of (\d+) steps \((\d+)%\) done$", re.MULTILINE)


async def _run(
    shell: AsyncsshShell, node: HeadNodeRef, text: str, timeout_s: float = TIMEOUT
) -> CommandResult:
    return await shell.run(node, RemoteCommand(label="it", script=text), timeout_s=timeout_s)


# --- the shell -------------------------------------------------------------------------------


async def test_whoami_exit_codes_and_stderr(shell: AsyncsshShell, head_node: HeadNodeRef) -> None:
    who = await _run(shell, head_node, "whoami")
    three = await _run(shell, head_node, "exit 3")
    loud = await _run(shell, head_node, "echo out; echo err >&2; exit 4")
    assert (who.exit_code, who.stdout) == (0, "ursatest\n")
    assert three.exit_code == 3
    assert (loud.exit_code, loud.stdout, loud.stderr) == (4, "out\n", "err\n")


async def test_nasty_arguments_survive_real_sshd_and_login_bash(
    shell: AsyncsshShell, head_node: HeadNodeRef
) -> None:
    nasty = ["it's", 'a "b"', "$(id)", "`id`", "x\ny", " sp ace ", "$HOME", "\\", "*", ""]
    result = await _run(shell, head_node, script(["printf", "%s\\0", *nasty]))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.split("\0")[:-1] == nasty


async def test_more_commands_than_sshd_max_sessions_at_once(
    shell: AsyncsshShell, head_node: HeadNodeRef
) -> None:
    results = await asyncio.gather(
        *(_run(shell, head_node, f"sleep 0.2; echo {i}") for i in range(12))  # MaxSessions=10
    )
    assert [r.stdout for r in results] == [f"{i}\n" for i in range(12)]


async def test_refused_channels_leave_the_connection_alive(
    make_shell: Callable[..., AsyncsshShell], head_node: HeadNodeRef
) -> None:
    async with make_shell(max_sessions=50) as unbounded:
        outcomes = await asyncio.gather(
            *(_run(unbounded, head_node, 'sleep 0.3; echo "$SSH_CONNECTION"') for _ in range(12)),
            return_exceptions=True,
        )
    refused = [o for o in outcomes if isinstance(o, Unavailable)]
    finished = [o for o in outcomes if isinstance(o, CommandResult)]
    assert len(refused) == 2  # sshd's MaxSessions is 10
    assert [r.exit_code for r in finished] == [0] * 10
    assert len({r.stdout for r in finished}) == 1  # all on one connection


async def test_timed_out_command_is_unavailable_and_terminated(
    shell: AsyncsshShell, head_node: HeadNodeRef
) -> None:
    with pytest.raises(Unavailable, match="timed out"):
        await _run(shell, head_node, "sleep 31.7", timeout_s=1)
    deadline = time.monotonic() + 5
    while True:  # the adapter sent TERM to the remote process before closing the channel
        listed = await _run(shell, head_node, OWN_PROCESSES)
        listing = [line.strip() for line in listed.stdout.splitlines()]
        if "sleep 31.7" not in listing or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    assert "sleep 31.7" not in listing


async def test_sftp_put_read_walk(
    shell: AsyncsshShell, head_node: HeadNodeRef, remote_dir: str
) -> None:
    target = f"{remote_dir}/a/b/units.tsv"
    await shell.put_file(head_node, target, b"v1", timeout_s=TIMEOUT)
    await shell.put_file(head_node, target, b"v2\n", mode=0o640, timeout_s=TIMEOUT)
    await shell.put_file(head_node, f"{remote_dir}/top.txt", b"", timeout_s=TIMEOUT)
    await _run(shell, head_node, script(["ln", "-s", target, f"{remote_dir}/link"]))

    data = await shell.read_file(head_node, target, max_bytes=1024, timeout_s=TIMEOUT)
    mode = await _run(shell, head_node, script(["stat", "-c", "%a", target]))
    found = await shell.walk(head_node, remote_dir, timeout_s=TIMEOUT)

    assert data == b"v2\n"
    assert mode.stdout == "640\n"
    assert [(f.path, f.size) for f in found] == [(target, 3), (f"{remote_dir}/top.txt", 0)]
    with pytest.raises(NotFound):
        await shell.walk(head_node, f"{remote_dir}/missing", timeout_s=TIMEOUT)


async def test_slurm_node_is_idle(shell: AsyncsshShell, head_node: HeadNodeRef) -> None:
    result = await _run(shell, head_node, "sinfo -h -N -o '%N %T'")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.split() == ["localhost", "idle"]


# --- the test pipeline, end to end ---------------------------------------------------------


def _fastq(sample: str, read: int) -> bytes:
    return gzip.compress(f"@{sample}:1/{read}\nACGTACGT\n+\nIIIIIIII\n".encode(), mtime=0)


async def _stage(shell: AsyncsshShell, node: HeadNodeRef, root: str, samples: list[str]) -> str:
    """FASTQs, units.tsv and the pipeline script on the head node; returns the pipeline dir."""
    pipeline_dir = f"{root}/daylily-omics-analysis"
    rows = ["sample_id\tunit\tr1\tr2"]
    for sample in samples:
        paths = [f"{root}/stage/{sample}_R{read}.fastq.gz" for read in (1, 2)]
        for read, path in enumerate(paths, start=1):
            await shell.put_file(node, path, _fastq(sample, read), timeout_s=TIMEOUT)
        rows.append(f"{sample}\tL001\t{paths[0]}\t{paths[1]}")
    units = ("\n".join(rows) + "\n").encode()
    await shell.put_file(node, f"{pipeline_dir}/config/units.tsv", units, timeout_s=TIMEOUT)
    pipeline = PIPELINE_SCRIPT.read_bytes()
    await shell.put_file(node, f"{root}/bin/pipeline.sh", pipeline, mode=0o755, timeout_s=TIMEOUT)
    return pipeline_dir


def _singleton_rows(data: bytes) -> list[dict[str, str]]:
    header, *lines = data.decode().splitlines()
    assert header == "rule\tsample\ts\tcpu_time\ttask_cost"
    return [dict(zip(header.split("\t"), line.split("\t"), strict=True)) for line in lines]


async def test_pipeline_through_ssh_and_slurm(
    shell: AsyncsshShell, head_node: HeadNodeRef, remote_dir: str
) -> None:
    pipeline_dir = await _stage(shell, head_node, remote_dir, ["S1", "S2"])
    env = ["env", "URSA_TEST_SLEEP=1", "URSA_TEST_POLL=0.5", "URSA_TEST_FAIL_SAMPLE=S2"]
    command = script(["cd", pipeline_dir], Op.AND, [*env, f"{remote_dir}/bin/pipeline.sh"])

    result = await _run(shell, head_node, command, timeout_s=180)

    assert result.exit_code == 1, result.stdout + result.stderr
    assert [m.groups() for m in PROGRESS.finditer(result.stdout)] == [
        ("1", "4", "25"),
        ("2", "4", "50"),
    ]
    files = {
        f.path.removeprefix(pipeline_dir + "/")
        for f in await shell.walk(head_node, pipeline_dir, timeout_s=TIMEOUT)
    }
    day = "results/day/hg38"
    assert {
        f"{day}/S1/S1.cram",
        f"{day}/S1/S1.snv.sort.vcf.gz",
        f"{day}/S1/benchmarks/align.bench.tsv",
        f"{day}/S1/benchmarks/call.bench.tsv",
        "daylily.failed_run",
    } <= files
    assert "daylily.successful_run" not in files
    assert not [f for f in files if f.startswith(f"{day}/S2/")]
    assert not [f for f in files if f.startswith("logs/slurm/call/call.S2.")]  # never ran

    vcf = await shell.read_file(
        head_node, f"{pipeline_dir}/{day}/S1/S1.snv.sort.vcf.gz", max_bytes=4096, timeout_s=TIMEOUT
    )
    assert gzip.decompress(vcf).startswith(b"##fileformat=VCFv4.2")

    (err_log,) = [f for f in files if re.fullmatch(r"logs/slurm/align/align\.S2\.\d+\.err", f)]
    err = await shell.read_file(
        head_node, f"{pipeline_dir}/{err_log}", max_bytes=4096, timeout_s=TIMEOUT
    )
    assert OOM_LINE.search(err.decode())

    singleton = await shell.read_file(
        head_node,
        f"{pipeline_dir}/{day}/other_reports/rules_benchmark_data_singleton.tsv",
        max_bytes=65536,
        timeout_s=TIMEOUT,
    )
    rows = _singleton_rows(singleton)
    assert [(r["rule"], r["sample"]) for r in rows] == [
        ("align", "S1."),
        ("call", "S1."),
        ("report_compile", "all."),
    ]
    assert all(Decimal("0") < Decimal(r["task_cost"]) < Decimal("0.1") for r in rows)

    leftovers = await _run(shell, head_node, "squeue -h -u ursatest")
    assert (leftovers.exit_code, leftovers.stdout) == (0, "")


# --- redis -----------------------------------------------------------------------------------


async def test_redis_answers_at_the_published_url(redis_url: str) -> None:
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        assert await client.ping() is True
    finally:
        await client.aclose()
