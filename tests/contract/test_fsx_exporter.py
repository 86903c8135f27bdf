"""FsxExporter against botocore's Stubber on a real aiobotocore FSx client.

moto (5.2.x) emulates FSx file systems, backups and tags only: no data-repository
associations or tasks. The Stubber checks every request against the FSx service model (and
the exact parameters given here) and every canned response against the output shapes, so
the request shapes are the real ones without a network."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

import anyio
import pytest
from aiobotocore.stub import AioStubber

from journals import RecordingJournal
from ursa.adapters.aws.clients import AwsClients, AwsOptions
from ursa.adapters.fsx import FsxExporter
from ursa.adapters.fsx.exporter import FsxCall, request_token
from ursa.app.emulator import FAKE_AWS_ENV
from ursa.domain.errors import Conflict, InvalidInput, NotFound, Unavailable
from ursa.domain.ports.cluster import (
    ClusterInfo,
    ClusterStatus,
    ExportLifecycle,
    ExportRequest,
)
from ursa.domain.run_record import HeadNodeRef

pytestmark = pytest.mark.anyio

REGION = "us-west-2"
FS_ID = "fs-0123456789abcdef0"
RUN_ID = "acme-trio-7c1e2a9b-r1"
TASK_ID = "task-0abc123def4567890"
DRA_ID = "dra-0abc123def4567890"
RELATIVE = "analysis_results/ubuntu/acme-trio-7c1e2a9b/daylily-omics-analysis"
REPOSITORY = "s3://acme-genomics-ursa/worksets/acme-trio-7c1e2a9b/results/"
REPORT = (
    "s3://acme-genomics-ursa/worksets/acme-trio-7c1e2a9b/runs/acme-trio-7c1e2a9b-r1/export-report"
)
CREATED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
BY_FILE_SYSTEM = [{"Name": "file-system-id", "Values": [FS_ID]}]
RUN_TAGS = [{"Key": "ursa:run-id", "Value": RUN_ID}]


def export_request(*, fsx_id: str | None = None, pipeline_dir: str = "") -> ExportRequest:
    cluster = ClusterInfo(
        name="ursa-usw2-202611231015", region=REGION, status=ClusterStatus.READY, fsx_id=fsx_id
    )
    return ExportRequest(
        run_id=RUN_ID,
        cluster=cluster,
        node=HeadNodeRef(host="203.0.113.10"),
        pipeline_dir=pipeline_dir or f"/fsx/{RELATIVE}",
        bucket="acme-genomics-ursa",
        prefix="worksets/acme-trio-7c1e2a9b/results/",
        report_prefix=f"worksets/acme-trio-7c1e2a9b/runs/{RUN_ID}/export-report",
    )


def task(lifecycle: str, **extra: Any) -> dict[str, Any]:
    return {
        "TaskId": TASK_ID,
        "Lifecycle": lifecycle,
        "Type": "EXPORT_TO_REPOSITORY",
        "CreationTime": CREATED,
        "FileSystemId": FS_ID,
        "Tags": RUN_TAGS,
    } | extra


def association(lifecycle: str = "AVAILABLE", repository: str = REPOSITORY) -> dict[str, Any]:
    return {
        "AssociationId": DRA_ID,
        "FileSystemId": FS_ID,
        "Lifecycle": lifecycle,
        "FileSystemPath": f"/{RELATIVE}",
        "DataRepositoryPath": repository,
    }


@pytest.fixture
async def fsx(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[FsxExporter, AioStubber]]:
    for name, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    async with AsyncExitStack() as stack:
        clients = AwsClients(AwsOptions(region=REGION, max_attempts=1), stack)
        client = await clients.client("fsx", REGION)
        with AioStubber(client) as stubber:
            yield FsxExporter(clients), stubber
            stubber.assert_no_pending_responses()


def expect_tasks_of_file_system(stubber: AioStubber, tasks: list[dict[str, Any]]) -> None:
    stubber.add_response(
        "describe_data_repository_tasks",
        {"DataRepositoryTasks": tasks},
        {"Filters": BY_FILE_SYSTEM},
    )


def expect_associations(stubber: AioStubber, associations: list[dict[str, Any]]) -> None:
    stubber.add_response(
        "describe_data_repository_associations",
        {"Associations": associations},
        {"Filters": BY_FILE_SYSTEM},
    )


# -- start --------------------------------------------------------------------------------


async def test_start_finds_the_file_system_and_exports_both_trees(
    fsx: tuple[FsxExporter, AioStubber],
) -> None:
    exporter, stubber = fsx
    other = {"FileSystemId": "fs-0aaaaaaaaaaaaaaaa", "Tags": [{"Key": "x", "Value": "y"}]}
    ours = {
        "FileSystemId": FS_ID,
        "Tags": [{"Key": "parallelcluster:cluster-name", "Value": "ursa-usw2-202611231015"}],
    }
    stubber.add_response("describe_file_systems", {"FileSystems": [other], "NextToken": "n1"}, {})
    stubber.add_response("describe_file_systems", {"FileSystems": [ours]}, {"NextToken": "n1"})
    expect_tasks_of_file_system(stubber, [])
    expect_associations(stubber, [association()])
    stubber.add_response(
        "create_data_repository_task",
        {"DataRepositoryTask": task("PENDING")},
        {
            "FileSystemId": FS_ID,
            "Type": "EXPORT_TO_REPOSITORY",
            "Paths": [f"{RELATIVE}/results", f"{RELATIVE}/logs"],
            "Report": {
                "Enabled": True,
                "Path": REPORT,
                "Format": "REPORT_CSV_20191124",
                "Scope": "FAILED_FILES_ONLY",
            },
            "ClientRequestToken": request_token("task", RUN_ID),
            "Tags": RUN_TAGS,
        },
    )
    journal = RecordingJournal()

    assert await exporter.start(export_request(), journal) == TASK_ID

    assert {(e["label"], e["transport"], e["exit_code"]) for e in journal.entries} == {
        ("export_results", "aws_api", 0)
    }
    assert journal.entries[-1]["rendered"] == (
        f"aws fsx create-data-repository-task --region {REGION} --file-system-id {FS_ID} "
        f"--type EXPORT_TO_REPOSITORY --paths {RELATIVE}/results,{RELATIVE}/logs "
        f"--report Enabled=true,Path={REPORT},Format=REPORT_CSV_20191124,Scope=FAILED_FILES_ONLY "
        f"--client-request-token {request_token('task', RUN_ID)} "
        f"--tags Key=ursa:run-id,Value={RUN_ID}"
    )


async def test_start_links_the_pipeline_dir_and_waits_for_the_link(
    fsx: tuple[FsxExporter, AioStubber],
) -> None:
    exporter, stubber = fsx
    expect_tasks_of_file_system(stubber, [])
    expect_associations(stubber, [])
    stubber.add_response(
        "create_data_repository_association",
        {"Association": association("CREATING")},
        {
            "FileSystemId": FS_ID,
            "FileSystemPath": f"/{RELATIVE}",
            "DataRepositoryPath": REPOSITORY,
            "BatchImportMetaDataOnCreate": False,
            "ClientRequestToken": request_token("dra", RUN_ID),
            "Tags": RUN_TAGS,
        },
    )
    journal = RecordingJournal()

    with pytest.raises(Unavailable, match="is CREATING; start the export again"):
        await exporter.start(export_request(fsx_id=FS_ID), journal)

    assert [e["argv"][2] for e in journal.entries] == [
        "describe-data-repository-tasks",
        "describe-data-repository-associations",
        "create-data-repository-association",
    ]
    assert journal.entries[0]["rendered"] == (
        "aws fsx describe-data-repository-tasks --region us-west-2 "
        f"--filters Name=file-system-id,Values={FS_ID}"
    )


async def test_start_returns_the_task_already_started_for_the_run(
    fsx: tuple[FsxExporter, AioStubber],
) -> None:
    exporter, stubber = fsx
    older = task(
        "FAILED", TaskId="task-0000000000000000a", CreationTime=datetime(2026, 1, 1, tzinfo=UTC)
    )
    other_run = [{"Key": "ursa:run-id", "Value": "acme-trio-7c1e2a9b-r2"}]
    not_ours = task("EXECUTING", TaskId="task-0000000000000000b", Tags=other_run)
    expect_tasks_of_file_system(stubber, [older, task("EXECUTING"), not_ours])

    assert await exporter.start(export_request(fsx_id=FS_ID), RecordingJournal()) == TASK_ID


async def test_start_refuses_a_link_to_another_destination(
    fsx: tuple[FsxExporter, AioStubber],
) -> None:
    exporter, stubber = fsx
    expect_tasks_of_file_system(stubber, [])
    expect_associations(stubber, [association(repository="s3://elsewhere/results/")])

    with pytest.raises(Conflict, match="points at s3://elsewhere/results/"):
        await exporter.start(export_request(fsx_id=FS_ID), RecordingJournal())


async def test_a_busy_file_system_is_unavailable(fsx: tuple[FsxExporter, AioStubber]) -> None:
    exporter, stubber = fsx
    expect_tasks_of_file_system(stubber, [])
    expect_associations(stubber, [association()])
    stubber.add_client_error(
        "create_data_repository_task",
        "DataRepositoryTaskExecuting",
        "An existing data repository task is currently executing on the file system.",
    )
    journal = RecordingJournal()

    with pytest.raises(Unavailable, match="currently executing"):
        await exporter.start(export_request(fsx_id=FS_ID), journal)

    assert journal.entries[-1]["exit_code"] == 254


async def test_a_cluster_without_a_file_system_is_not_found(
    fsx: tuple[FsxExporter, AioStubber],
) -> None:
    exporter, stubber = fsx
    stubber.add_response("describe_file_systems", {"FileSystems": []}, {})

    with pytest.raises(NotFound, match="parallelcluster:cluster-name=ursa-usw2"):
        await exporter.start(export_request(), RecordingJournal())


async def test_a_pipeline_dir_off_the_mount_is_refused(
    fsx: tuple[FsxExporter, AioStubber],
) -> None:
    exporter, _ = fsx

    with pytest.raises(InvalidInput, match="is not on the FSx mount"):
        await exporter.start(export_request(pipeline_dir="/home/ubuntu/x"), RecordingJournal())


# -- poll ---------------------------------------------------------------------------------


def expect_task(stubber: AioStubber, described: dict[str, Any]) -> None:
    stubber.add_response(
        "describe_data_repository_tasks",
        {"DataRepositoryTasks": [described]},
        {"TaskIds": [TASK_ID]},
    )


async def test_poll_reports_progress(fsx: tuple[FsxExporter, AioStubber]) -> None:
    exporter, stubber = fsx
    counts = {"TotalCount": 40, "SucceededCount": 12, "FailedCount": 0}
    expect_task(stubber, task("EXECUTING", Status=counts))
    journal = RecordingJournal()

    status = await exporter.poll(export_request(), TASK_ID, journal)

    assert (status.lifecycle, status.detached, status.files, status.bytes) == (
        ExportLifecycle.EXECUTING,
        False,
        12,
        0,
    )
    assert [(e["label"], e["rendered"]) for e in journal.entries] == [
        (
            "export_poll",
            f"aws fsx describe-data-repository-tasks --region us-west-2 --task-ids {TASK_ID}",
        )
    ]


async def test_a_finished_export_detaches_the_association(
    fsx: tuple[FsxExporter, AioStubber],
) -> None:
    exporter, stubber = fsx
    expect_task(stubber, task("SUCCEEDED", Status={"TotalCount": 40, "SucceededCount": 40}))
    expect_associations(stubber, [association()])
    stubber.add_response(
        "delete_data_repository_association",
        {"AssociationId": DRA_ID, "Lifecycle": "DELETING", "DeleteDataInFileSystem": False},
        {
            "AssociationId": DRA_ID,
            "DeleteDataInFileSystem": False,
            "ClientRequestToken": request_token("detach", RUN_ID, DRA_ID),
        },
    )
    journal = RecordingJournal()

    status = await exporter.poll(export_request(), TASK_ID, journal)

    assert (status.lifecycle, status.detached, status.files) == (
        ExportLifecycle.SUCCEEDED,
        True,
        40,
    )
    assert "--no-delete-data-in-file-system" in journal.entries[-1]["rendered"]


async def test_polling_again_after_the_detach_is_harmless(
    fsx: tuple[FsxExporter, AioStubber],
) -> None:
    exporter, stubber = fsx
    expect_task(stubber, task("SUCCEEDED"))
    expect_associations(stubber, [])

    status = await exporter.poll(export_request(), TASK_ID, RecordingJournal())

    assert status.lifecycle is ExportLifecycle.SUCCEEDED and status.detached


async def test_a_failed_export_says_why(fsx: tuple[FsxExporter, AioStubber]) -> None:
    exporter, stubber = fsx
    counts = {"TotalCount": 40, "SucceededCount": 37, "FailedCount": 3}
    expect_task(
        stubber, task("FAILED", Status=counts, FailureDetails={"Message": "Export failed."})
    )

    status = await exporter.poll(export_request(), TASK_ID, RecordingJournal())

    assert status.lifecycle is ExportLifecycle.FAILED and not status.detached
    assert (
        status.message == f"Export failed.; 3 of 40 files failed to export; report under {REPORT}"
    )


async def test_polling_an_unknown_task_is_not_found(fsx: tuple[FsxExporter, AioStubber]) -> None:
    exporter, stubber = fsx
    stubber.add_client_error("describe_data_repository_tasks", "DataRepositoryTaskNotFound")

    with pytest.raises(NotFound):
        await exporter.poll(export_request(), TASK_ID, RecordingJournal())


# -- cancel and timeouts ------------------------------------------------------------------


async def test_cancel_stops_the_task_and_tolerates_an_ended_one(
    fsx: tuple[FsxExporter, AioStubber],
) -> None:
    exporter, stubber = fsx
    stubber.add_response(
        "cancel_data_repository_task",
        {"Lifecycle": "CANCELING", "TaskId": TASK_ID},
        {"TaskId": TASK_ID},
    )
    stubber.add_client_error("cancel_data_repository_task", "DataRepositoryTaskEnded")
    journal = RecordingJournal()

    await exporter.cancel(export_request(), TASK_ID, journal)
    await exporter.cancel(export_request(), TASK_ID, journal)

    assert [(e["rendered"], e["exit_code"]) for e in journal.entries] == [
        (f"aws fsx cancel-data-repository-task --region us-west-2 --task-id {TASK_ID}", 0),
        (f"aws fsx cancel-data-repository-task --region us-west-2 --task-id {TASK_ID}", 254),
    ]


class HangingClient:
    async def describe_data_repository_tasks(self, **params: Any) -> dict[str, Any]:
        await anyio.sleep(60)
        return {}


async def test_a_call_that_hangs_is_unavailable() -> None:
    journal = RecordingJournal()
    call = FsxCall(HangingClient(), journal, "export_poll", REGION, 0.1)

    with pytest.raises(Unavailable, match="FSx did not answer"):
        await call("describe_data_repository_tasks", TaskIds=[TASK_ID])

    assert journal.entries[0]["exit_code"] == 255
