"""DirectExporter and DirectStager on the in-memory object store and a RemoteShell fake
whose head node is a directory under tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from journals import RecordingJournal
from ursa.adapters.direct import DirectExporter, DirectStager
from ursa.adapters.memory.objects import InMemoryObjectStore
from ursa.domain.errors import Conflict, InvalidInput, NotFound
from ursa.domain.ports import RemoteShell
from ursa.domain.ports.cluster import (
    ClusterInfo,
    ClusterStatus,
    CommandResult,
    ExportLifecycle,
    ExportRequest,
    RemoteCommand,
    RemoteFile,
    StageFile,
    StageRequest,
)
from ursa.domain.run_record import HeadNodeRef

pytestmark = pytest.mark.anyio

NODE = HeadNodeRef(host="slurm-head.example.org", user="ursa", port=2222)
CLUSTER = ClusterInfo(
    name="onprem", region="local", status=ClusterStatus.READY, head_node=NODE, static=True
)
PIPELINE_DIR = "/fsx/analysis_results/ubuntu/acme-trio-7c1e2a9b/daylily-omics-analysis"
STAGE_DIR = "/fsx/data/staged_sample_data/remote_stage_20261123T101502Z"
BUCKET = "acme-genomics-ursa"
RUN_ID = "acme-trio-7c1e2a9b-r1"
PREFIX = "worksets/acme-trio-7c1e2a9b/results/"
REPORT_PREFIX = f"worksets/acme-trio-7c1e2a9b/runs/{RUN_ID}/export-report"
MAX_BYTES = 1024


class DirectoryShell:
    """A head node whose file system is ``root``; counts the calls that move bytes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.reads: list[str] = []
        self.writes: list[str] = []

    def local(self, path: str) -> Path:
        return self.root / path.lstrip("/")

    def add(self, path: str, data: bytes) -> None:
        target = self.local(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    async def run(
        self, node: HeadNodeRef, command: RemoteCommand, *, timeout_s: float
    ) -> CommandResult:
        return CommandResult(exit_code=127, stdout="", stderr="not a shell", duration_s=0.0)

    async def put_file(
        self, node: HeadNodeRef, path: str, data: bytes, *, mode: int = 0o644, timeout_s: float
    ) -> None:
        self.writes.append(path)
        self.add(path, data)
        self.local(path).chmod(mode)

    async def read_file(
        self, node: HeadNodeRef, path: str, *, max_bytes: int, timeout_s: float
    ) -> bytes:
        local = self.local(path)
        if not local.is_file():
            raise NotFound(f"{path} does not exist")
        if local.stat().st_size > max_bytes:
            raise InvalidInput(f"{path} is larger than {max_bytes} bytes")
        self.reads.append(path)
        return local.read_bytes()

    async def walk(
        self, node: HeadNodeRef, root: str, *, timeout_s: float
    ) -> tuple[RemoteFile, ...]:
        local = self.local(root)
        if not local.is_dir():
            raise NotFound(f"{root} does not exist")
        return tuple(
            RemoteFile(path="/" + str(p.relative_to(self.root)), size=p.stat().st_size)
            for p in local.rglob("*")
            if p.is_file()
        )


@pytest.fixture
def shell(tmp_path: Path) -> DirectoryShell:
    return DirectoryShell(tmp_path)


@pytest.fixture
def objects() -> InMemoryObjectStore:
    store = InMemoryObjectStore()
    store.create_bucket(BUCKET)
    store.create_bucket("acme-raw")
    return store


def _as_port(shell: DirectoryShell) -> RemoteShell:
    return shell


# -- export -------------------------------------------------------------------------------


def export_request() -> ExportRequest:
    return ExportRequest(
        run_id=RUN_ID,
        cluster=CLUSTER,
        node=NODE,
        pipeline_dir=PIPELINE_DIR,
        bucket=BUCKET,
        prefix=PREFIX,
        report_prefix=REPORT_PREFIX,
    )


def exporter(shell: DirectoryShell, objects: InMemoryObjectStore) -> DirectExporter:
    return DirectExporter(_as_port(shell), objects, max_file_bytes=MAX_BYTES, timeout_s=5.0)


def add_results(shell: DirectoryShell) -> None:
    shell.add(f"{PIPELINE_DIR}/results/day/hg38/NA12878.vcf.gz", b"vcf")
    shell.add(f"{PIPELINE_DIR}/results/day/hg38/NA12878.cram", b"cram-bytes")
    shell.add(f"{PIPELINE_DIR}/logs/slurm/align.err", b"ok\n")
    shell.add(f"{PIPELINE_DIR}/config/samples.tsv", b"not exported")


async def test_poll_copies_the_trees_and_writes_a_receipt(
    shell: DirectoryShell, objects: InMemoryObjectStore
) -> None:
    add_results(shell)
    journal = RecordingJournal()
    direct = exporter(shell, objects)

    task_id = await direct.start(export_request(), journal)
    status = await direct.poll(export_request(), task_id, journal)

    assert task_id == f"direct-{RUN_ID}"
    assert (status.lifecycle, status.detached, status.files, status.bytes) == (
        ExportLifecycle.SUCCEEDED,
        True,
        3,
        len(b"vcf") + len(b"cram-bytes") + len(b"ok\n"),
    )
    listed = await objects.list(BUCKET, PREFIX)
    assert [f.key.removeprefix(PREFIX) for f in listed.items] == [
        "logs/slurm/align.err",
        "results/day/hg38/NA12878.cram",
        "results/day/hg38/NA12878.vcf.gz",
    ]
    assert await objects.get(BUCKET, PREFIX + "results/day/hg38/NA12878.cram") == b"cram-bytes"
    receipt = json.loads(await objects.get(BUCKET, f"{REPORT_PREFIX}/direct_export.json"))
    assert (receipt["files"], receipt["bytes"]) == (3, status.bytes)


async def test_each_tree_is_one_journal_entry(
    shell: DirectoryShell, objects: InMemoryObjectStore
) -> None:
    add_results(shell)
    journal = RecordingJournal()

    await exporter(shell, objects).poll(export_request(), f"direct-{RUN_ID}", journal)

    source = f"sftp://ursa@slurm-head.example.org:2222{PIPELINE_DIR}/results/"
    destination = f"s3://{BUCKET}/{PREFIX}results/"
    first = journal.entries[0]
    assert (first["label"], first["transport"], first["argv"]) == (
        "export_results",
        "ssh",
        ["sftp", source, destination],
    )
    assert first["rendered"] == f"copy over SFTP: {source} -> {destination}"
    assert [e["result"].stdout for e in journal.entries] == [
        "2 files, 13 bytes",
        "1 files, 3 bytes",
    ]


async def test_a_second_poll_answers_from_the_receipt(
    shell: DirectoryShell, objects: InMemoryObjectStore
) -> None:
    add_results(shell)
    direct = exporter(shell, objects)
    first = await direct.poll(export_request(), f"direct-{RUN_ID}", RecordingJournal())
    shell.reads.clear()
    journal = RecordingJournal()

    again = await direct.poll(export_request(), f"direct-{RUN_ID}", journal)

    assert again == first
    assert shell.reads == [] and journal.entries == []


async def test_missing_trees_export_nothing(
    shell: DirectoryShell, objects: InMemoryObjectStore
) -> None:
    journal = RecordingJournal()

    status = await exporter(shell, objects).poll(export_request(), f"direct-{RUN_ID}", journal)

    assert (status.lifecycle, status.files, status.bytes) == (ExportLifecycle.SUCCEEDED, 0, 0)
    assert len(journal.entries) == 2


async def test_an_oversized_file_fails_the_export_and_is_journaled(
    shell: DirectoryShell, objects: InMemoryObjectStore
) -> None:
    shell.add(f"{PIPELINE_DIR}/results/huge.bam", b"x" * (MAX_BYTES + 1))
    journal = RecordingJournal()

    with pytest.raises(InvalidInput):
        await exporter(shell, objects).poll(export_request(), f"direct-{RUN_ID}", journal)

    [entry] = journal.entries
    assert entry["result"].exit_code == 1 and "larger than" in entry["result"].stderr
    assert await objects.head(BUCKET, f"{REPORT_PREFIX}/direct_export.json") is None


async def test_another_runs_task_is_not_found(
    shell: DirectoryShell, objects: InMemoryObjectStore
) -> None:
    with pytest.raises(NotFound):
        await exporter(shell, objects).poll(export_request(), "direct-other-r1", RecordingJournal())


async def test_cancel_has_nothing_to_stop(
    shell: DirectoryShell, objects: InMemoryObjectStore
) -> None:
    journal = RecordingJournal()

    await exporter(shell, objects).cancel(export_request(), f"direct-{RUN_ID}", journal)

    assert journal.entries == []


# -- staging ------------------------------------------------------------------------------

R1 = b"@r1\nACGT\n+\nIIII\n"
R2 = b"@r2\nTTGCA\n+\nIIIII\n"


def stage_request(*files: StageFile) -> StageRequest:
    return StageRequest(run_id=RUN_ID, cluster=CLUSTER, node=NODE, stage_dir=STAGE_DIR, files=files)


def pinned(key: str, body: bytes, name: str, version_id: str | None = None) -> StageFile:
    return StageFile(uri=f"s3://acme-raw/{key}", version_id=version_id, size=len(body), name=name)


def stager(shell: DirectoryShell, objects: InMemoryObjectStore) -> DirectStager:
    return DirectStager(_as_port(shell), objects, max_file_bytes=MAX_BYTES, timeout_s=5.0)


@pytest.fixture
async def fastqs(objects: InMemoryObjectStore) -> tuple[StageFile, StageFile]:
    await objects.put("acme-raw", "runs/NA12878_R1.fastq.gz", R1)
    await objects.put("acme-raw", "runs/NA12878_R2.fastq.gz", R2)
    return (
        pinned("runs/NA12878_R1.fastq.gz", R1, "RUN1_NA12878_S1_0/NA12878_R1.fastq.gz"),
        pinned("runs/NA12878_R2.fastq.gz", R2, "RUN1_NA12878_S1_0/NA12878_R2.fastq.gz"),
    )


async def test_stage_copies_each_file_and_returns_paths_in_order(
    shell: DirectoryShell, objects: InMemoryObjectStore, fastqs: tuple[StageFile, StageFile]
) -> None:
    journal = RecordingJournal()

    staged = await stager(shell, objects).stage(stage_request(*fastqs), journal)

    assert staged == (
        f"{STAGE_DIR}/RUN1_NA12878_S1_0/NA12878_R1.fastq.gz",
        f"{STAGE_DIR}/RUN1_NA12878_S1_0/NA12878_R2.fastq.gz",
    )
    assert shell.local(staged[1]).read_bytes() == R2
    [entry] = journal.entries
    assert (entry["label"], entry["transport"], entry["result"].exit_code) == (
        "stage_samples",
        "ssh",
        0,
    )
    assert entry["result"].stdout.splitlines() == [
        f"s3://acme-raw/runs/NA12878_R1.fastq.gz -> {staged[0]} ({len(R1)} bytes)",
        f"s3://acme-raw/runs/NA12878_R2.fastq.gz -> {staged[1]} ({len(R2)} bytes)",
        "copied 2 files; 0 already staged",
    ]


async def test_stage_skips_files_present_with_the_pinned_size(
    shell: DirectoryShell, objects: InMemoryObjectStore, fastqs: tuple[StageFile, StageFile]
) -> None:
    shell.add(f"{STAGE_DIR}/RUN1_NA12878_S1_0/NA12878_R1.fastq.gz", R1)
    shell.add(f"{STAGE_DIR}/RUN1_NA12878_S1_0/NA12878_R2.fastq.gz", b"partial")
    journal = RecordingJournal()

    await stager(shell, objects).stage(stage_request(*fastqs), journal)

    assert shell.writes == [f"{STAGE_DIR}/RUN1_NA12878_S1_0/NA12878_R2.fastq.gz"]
    assert journal.entries[0]["result"].stdout.endswith("copied 1 files; 1 already staged")


async def test_a_missing_source_is_not_found_and_journaled(
    shell: DirectoryShell, objects: InMemoryObjectStore
) -> None:
    journal = RecordingJournal()
    gone = pinned("runs/gone.fastq.gz", b"abc", "gone.fastq.gz")

    with pytest.raises(NotFound):
        await stager(shell, objects).stage(stage_request(gone), journal)

    assert journal.entries[0]["result"].exit_code == 1


@pytest.mark.parametrize(
    ("file", "error"),
    [
        (pinned("runs/NA12878_R1.fastq.gz", R1, "x.fq", version_id="v1"), Conflict),
        (pinned("runs/NA12878_R1.fastq.gz", R1 + b"more", "x.fq"), Conflict),
        (pinned("runs/NA12878_R1.fastq.gz", b"x" * (MAX_BYTES + 1), "x.fq"), InvalidInput),
        (pinned("runs/NA12878_R1.fastq.gz", R1, "../escape.fq"), InvalidInput),
    ],
    ids=["version-changed", "size-changed", "too-large", "name-escapes"],
)
async def test_stage_refuses_what_does_not_match_the_pin(
    shell: DirectoryShell,
    objects: InMemoryObjectStore,
    fastqs: tuple[StageFile, StageFile],
    file: StageFile,
    error: type[Exception],
) -> None:
    with pytest.raises(error):
        await stager(shell, objects).stage(stage_request(file), RecordingJournal())

    assert shell.writes == []
