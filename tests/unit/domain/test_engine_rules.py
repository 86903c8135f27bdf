"""The engine's pure pieces: head-node commands and answers, run outputs, cluster choice,
and the command log's formatting."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from builders import NOW, make_workset
from ursa.domain.cluster_choice import choose_cluster, eligible, region_order
from ursa.domain.command_log import mask_secrets, sequence, tail
from ursa.domain.enums import AffinityMode, WorksetType
from ursa.domain.headnode import (
    StagedUnit,
    jobs_of_run,
    launch_pipeline,
    launch_script,
    parse_probe,
    parse_squeue,
    poll_status,
    progress_pct,
    run_paths,
    units_tsv,
)
from ursa.domain.ports.cluster import ClusterInfo, ClusterStatus
from ursa.domain.run_outputs import (
    ExportedObject,
    delivered_samples,
    failure_logs,
    result_bytes,
    sample_of,
)
from ursa.domain.run_record import HeadNodeRef
from ursa.domain.worksets import Affinity

PATHS = run_paths("/fsx/analysis_results/ubuntu/", "ws-1a2b3c4d", "ws-1a2b3c4d-r1")
PIPELINE_DIR = "/fsx/analysis_results/ubuntu/ws-1a2b3c4d/daylily-omics-analysis"


def test_run_paths_put_per_run_files_under_the_shared_pipeline_dir() -> None:
    assert PATHS.pipeline_dir == PIPELINE_DIR
    assert PATHS.session == "ursa_ws-1a2b3c4d-r1"
    assert PATHS.status_path == f"{PIPELINE_DIR}/.ursa/ws-1a2b3c4d-r1/status.json"


def test_launch_is_guarded_by_the_session_and_quotes_everything() -> None:
    command = launch_pipeline(PATHS, ("S1", "S'2"), "hg38")
    assert command.script.startswith("'tmux' 'has-session' '-t' 'ursa_ws-1a2b3c4d-r1' || ")
    assert " || 'tmux' 'new-session' '-d'" in command.script
    assert command.params["samples"] == "S1,S'2"


def test_probe_reads_status_markers_session_and_progress() -> None:
    status = {"started_at": "2026-11-23T10:00:00Z", "completed_at": None, "exit_code": None}
    out = json.dumps(status) + "\n@@ursa-probe@@\ntmux\n@@ursa-probe@@\n3 of 10 steps (30%) done\n"
    probe = parse_probe(out)
    assert (probe.started_at, probe.tmux_alive, probe.progress_pct) == (
        "2026-11-23T10:00:00Z",
        True,
        30,
    )
    assert not probe.finished
    done = json.dumps({**status, "exit_code": 0}) + "\n@@ursa-probe@@\nsuccessful\n@@ursa-probe@@\n"
    assert parse_probe(done).succeeded
    lost = "@@ursa-probe@@\n@@ursa-probe@@\n"  # no status.json, no session: nothing can run
    assert parse_probe(lost).finished and not parse_probe(lost).succeeded


def test_progress_takes_the_last_snakemake_line() -> None:
    assert progress_pct("1 of 4 steps (25%) done\nnoise\n2 of 4 steps (50%) done\n") == 50
    assert progress_pct("nothing yet") is None


def test_squeue_rows_and_the_runs_jobs_by_working_directory() -> None:
    out = (
        f"4242|align-S1|RUNNING|i192|16|60G|1:02|node-1|{PIPELINE_DIR}|proj\n"
        f"4243|call-S1|PENDING|i192|16|60G|0:00||{PIPELINE_DIR}/sub|proj\n"
        f"4244|align-X|RUNNING|i192|16|60G|1:02|node-2|{PIPELINE_DIR}-other|proj\n"
        "garbage line\n"
    )
    jobs = parse_squeue(out)
    assert [j.job_id for j in jobs] == ["4242", "4243", "4244"]
    assert jobs[1].nodes == ""  # a pending job has no node list
    assert [j.job_id for j in jobs_of_run(jobs, PIPELINE_DIR)] == ["4242", "4243"]


def test_units_tsv_lists_staged_paths() -> None:
    data = units_tsv([StagedUnit(sample_id="S1", unit="RUN1-L001", r1="/s/S1/a.fq.gz", r2=None)])
    assert data == b"sample_id\tunit\tr1\tr2\nS1\tRUN1-L001\t/s/S1/a.fq.gz\t\n"


def test_launch_script_writes_status_refuses_a_second_launch_and_keeps_the_exit_code(
    tmp_path: Path,
) -> None:
    paths = run_paths(str(tmp_path), "ws-1", "ws-1-r1")
    Path(paths.ursa_dir).mkdir(parents=True)
    (Path(paths.pipeline_dir) / "daylily.failed_run").touch()  # stale marker of an old run
    body = launch_script(
        paths,
        pipeline_argv=["bash", "-c", 'echo "$WHO" > who.txt; exit 3'],
        environment={"WHO": "it's me"},
    )
    script = tmp_path / "launch.sh"
    script.write_bytes(body)
    first = subprocess.run(["bash", str(script)], capture_output=True, check=False)
    status = json.loads(Path(paths.status_path).read_text())
    assert first.returncode == 3 and status["exit_code"] == 3 and status["started_at"]
    assert (Path(paths.pipeline_dir) / "who.txt").read_text() == "it's me\n"
    assert not (Path(paths.pipeline_dir) / "daylily.failed_run").exists()
    second = subprocess.run(["bash", str(script)], capture_output=True, check=False)
    assert second.returncode == 3 and b"refusing" in second.stderr


def test_outputs_are_attributed_by_build_and_sample() -> None:
    objects = [
        ExportedObject(key="results/day/hg38/S1/S1.cram", size=10),
        ExportedObject(key="results/day/hg38/S1/S1.snv.sort.vcf.gz", size=5),
        ExportedObject(key="results/day/hg38/S2/S2.cram", size=10),
        ExportedObject(key="results/day/hg38/S2/S2.snv.sort.vcf.gz", size=0),
        ExportedObject(key="results/day/hg38/other_reports/multiqc.html", size=7),
        ExportedObject(key="logs/slurm/align/align.S2.4242.err", size=80),
        ExportedObject(key="logs/slurm/align/align.S22.4243.err", size=80),
    ]
    assert sample_of("results/day/hg38/S1/x", "hg38", ["S1"]) == "S1"
    assert sample_of("results/day/b37/S1/x", "hg38", ["S1"]) is None
    expected = ("*.cram", "*.snv.sort.vcf.gz")
    ok = delivered_samples(objects, build="hg38", sample_ids=["S1", "S2"], expected=expected)
    assert ok == {"S1"}  # an empty VCF is not a delivered output
    assert failure_logs(objects, "S2") == ("logs/slurm/align/align.S2.4242.err",)
    per, cohort = result_bytes(objects, build="hg38", sample_ids=["S1", "S2"])
    assert dict(per) == {"S1": 15, "S2": 10} and cohort == 167


def _cluster(name: str, **overrides: object) -> ClusterInfo:
    fields: dict[str, object] = {
        "name": name,
        "region": "us-west-2",
        "status": ClusterStatus.READY,
        "head_node": HeadNodeRef(host="10.0.0.1"),
        "tags": {"ursa:managed": "true"},
    }
    fields.update(overrides)
    return ClusterInfo(**fields)  # type: ignore[arg-type]


def test_cluster_choice_follows_affinity_and_eligibility() -> None:
    ws = make_workset()
    unmanaged = _cluster("a-legacy", tags={})
    creating = _cluster("b-new", status=ClusterStatus.CREATING)
    clinical = _cluster("c-clin", tags={"ursa:managed": "true", "ursa:clinical": "true"})
    plain, other = _cluster("d-plain"), _cluster("e-plain")
    assert not eligible(unmanaged, ws) and not eligible(creating, ws) and not eligible(clinical, ws)
    assert choose_cluster(ws, [unmanaged, creating, clinical, other, plain]) == plain
    pinned = replace(ws, cluster_affinity=Affinity(mode=AffinityMode.BINDING, cluster_name="x"))
    assert choose_cluster(pinned, [plain]) is None
    preferred = replace(
        ws, cluster_affinity=Affinity(mode=AffinityMode.PREFERRED, cluster_name="e-plain")
    )
    assert choose_cluster(preferred, [plain, other]) == other
    clinical_ws = replace(ws, workset_type=WorksetType.CLINICAL)
    assert choose_cluster(clinical_ws, [plain, clinical]) == clinical


def test_region_order_puts_the_affinity_then_the_bucket_region_first() -> None:
    ws = replace(make_workset(), bucket_region="eu-west-1")
    assert region_order(ws, ("us-east-1", "eu-west-1")) == ("eu-west-1", "us-east-1")


def test_command_log_sequence_orders_by_token_then_time() -> None:
    early = sequence(3, NOW, 9)
    late = sequence(3, NOW + timedelta(microseconds=1), 1)
    assert early < late < sequence(4, NOW - timedelta(days=1), 0)


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("password=hunter2 x", "password=*** x"),
        ("X-Amz-Signature=abc&y=1", "X-Amz-Signature=***&y=1"),
        ("token: 'urs_abc'", "token: '***'"),
    ],
)
def test_secrets_are_masked(raw: str, masked: str) -> None:
    assert mask_secrets(raw) == masked


def test_tail_caps_lines_and_bytes() -> None:
    assert tail("a\nb") == "a\nb"
    lines = tail("\n".join(str(i) for i in range(60)))
    assert lines.startswith("... (10 earlier lines cut)\n10\n") and lines.endswith("59")
    assert len(tail("x" * 100_000).encode()) < 8 * 1024 + 64


def test_poll_status_is_one_round_trip() -> None:
    command = poll_status(PATHS, ("S1",))
    assert command.label == "poll_status" and command.script.count("'echo'") == 5
