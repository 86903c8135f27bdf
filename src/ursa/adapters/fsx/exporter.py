"""FsxExporter: the ``Exporter`` port on FSx for Lustre data-repository tasks (§14.5).

``start`` finds the cluster's file system, links the pipeline dir to the export URI through a
data-repository association (DRA) and starts an ``EXPORT_TO_REPOSITORY`` task for the
requested trees; ``poll`` reads the task and, once it succeeded, deletes the association
(keeping the files on the file system). Every call is reported to the journal in its
``aws fsx`` form, bounded by a timeout, and SDK errors become domain errors.

Idempotency: the association and the task carry client request tokens derived from the run
id, and the task is tagged ``ursa:run-id``; ``start`` returns the run's existing task before
creating one. A new association takes minutes to become available: until then ``start``
raises ``Unavailable`` and is simply called again."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import shlex
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ursa.adapters.aws.clients import AwsClients
from ursa.adapters.aws.errors import error_code, translate
from ursa.domain.command_log import mask_secrets
from ursa.domain.errors import Conflict, InvalidInput, NotFound, Unavailable
from ursa.domain.ports.cluster import (
    CommandJournal,
    CommandResult,
    ExportLifecycle,
    ExportRequest,
    ExportStatus,
)
from ursa.domain.validation import check_clean_path

RUN_TAG = "ursa:run-id"
CLUSTER_TAG = "parallelcluster:cluster-name"
MAX_PAGES = 50
AWS_CLI_SERVICE_ERROR = 254
AWS_CLI_OTHER_ERROR = 255
NOT_FOUND_CODES = frozenset(
    {"FileSystemNotFound", "DataRepositoryTaskNotFound", "DataRepositoryAssociationNotFound"}
)
BUSY_CODES = frozenset({"DataRepositoryTaskExecuting", "ServiceLimitExceeded"})
REJECTED_CODES = frozenset({"BadRequest", "UnsupportedOperation", "InvalidDataRepositoryType"})
LIFECYCLES = {
    "PENDING": ExportLifecycle.PENDING,
    "EXECUTING": ExportLifecycle.EXECUTING,
    "CANCELING": ExportLifecycle.EXECUTING,  # not finished yet
    "SUCCEEDED": ExportLifecycle.SUCCEEDED,
    "FAILED": ExportLifecycle.FAILED,
    "CANCELED": ExportLifecycle.CANCELED,
}
_SETTLING = frozenset({"CREATING", "UPDATING", "DELETING"})


def request_token(kind: str, *parts: str) -> str:
    """A ClientRequestToken (≤ 63 of ``[A-Za-z0-9_.-]``) that is the same on every retry."""
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]
    return f"ursa-{kind}-{digest}"


def cli_argv(operation: str, region: str, params: Mapping[str, Any]) -> tuple[str, ...]:
    """The ``aws fsx`` command equivalent to an SDK call (what the journal shows)."""
    argv = ["aws", "fsx", operation.replace("_", "-"), "--region", region]
    for name, value in params.items():
        flag = re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()
        if isinstance(value, bool):
            argv.append(f"--{flag}" if value else f"--no-{flag}")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            argv += [f"--{flag}", *(_shorthand(item) for item in value)]
        else:
            argv += [f"--{flag}", _shorthand(value)]
    return tuple(argv)


def _shorthand(value: Any) -> str:
    if isinstance(value, dict):
        return ",".join(f"{key}={_shorthand(item)}" for key, item in value.items())
    if isinstance(value, list):
        return ",".join(_shorthand(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True, slots=True)
class FsxCall:
    """One FSx client bound to a journal and a label: each call is timed, journaled and has
    its SDK errors translated. Codes in ``tolerate`` return None instead of raising."""

    client: Any
    journal: CommandJournal
    label: str
    region: str
    timeout_s: float

    async def __call__(
        self, operation: str, *, tolerate: frozenset[str] = frozenset(), **params: Any
    ) -> dict[str, Any] | None:
        argv = cli_argv(operation, self.region, params)
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.timeout_s):
                response: dict[str, Any] = await getattr(self.client, operation)(**params)
        except ClientError as exc:
            code = error_code(exc)
            self._record(argv, started, AWS_CLI_SERVICE_ERROR, stderr=str(exc))
            if code in tolerate:
                return None
            raise _translate(exc, code, f"aws fsx {argv[2]}") from exc
        except (BotoCoreError, TimeoutError) as exc:
            self._record(argv, started, AWS_CLI_OTHER_ERROR, stderr=str(exc) or "timed out")
            raise Unavailable(f"aws fsx {argv[2]}: FSx did not answer") from exc
        response.pop("ResponseMetadata", None)
        self._record(argv, started, 0, stdout=json.dumps(response, indent=2, default=str))
        return response

    async def required(self, operation: str, **params: Any) -> dict[str, Any]:
        response = await self(operation, **params)
        assert response is not None  # nothing tolerated, so a failure raised
        return response

    async def pages(self, operation: str, key: str, **params: Any) -> AsyncIterator[Any]:
        """Every item under ``key``, following ``NextToken`` (bounded)."""
        token: str | None = None
        for _ in range(MAX_PAGES):
            paging = {"NextToken": token} if token else {}
            page = await self.required(operation, **params, **paging)
            for item in page.get(key, []):
                yield item
            token = page.get("NextToken")
            if not token:
                return

    def _record(
        self, argv: tuple[str, ...], started: float, code: int, stdout: str = "", stderr: str = ""
    ) -> None:
        self.journal.record(
            label=self.label,
            transport="aws_api",
            argv=tuple(mask_secrets(a) for a in argv),
            rendered=mask_secrets(shlex.join(argv)),
            result=CommandResult(
                exit_code=code,
                stdout=mask_secrets(stdout),
                stderr=mask_secrets(stderr),
                duration_s=time.monotonic() - started,
            ),
        )


def _translate(exc: ClientError, code: str, what: str) -> Exception:
    message = str(exc.response.get("Error", {}).get("Message", ""))[:300]
    if code in NOT_FOUND_CODES:
        return NotFound(f"{what}: {message or 'not found'}")
    if code in BUSY_CODES:
        return Unavailable(f"{what}: {message or 'busy, try again later'}")
    if code == "IncompatibleParameterError":
        return Conflict(f"{what}: {message or 'conflicts with an earlier request'}")
    if code in REJECTED_CODES:
        return InvalidInput(f"{what}: rejected ({code}): {message}", code="AWS_REJECTED")
    return translate(exc, what)


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportPlan:
    """Where things are, in FSx's terms, for one request."""

    file_system_path: str  # "/analysis_results/…/daylily-omics-analysis"
    repository_path: str  # "s3://bucket/prefix/"
    task_paths: tuple[str, ...]  # "analysis_results/…/daylily-omics-analysis/results"
    report_path: str


def plan(request: ExportRequest, mount_point: str) -> ExportPlan:
    pipeline_dir = check_clean_path(request.pipeline_dir, field="pipeline_dir")
    mount = mount_point.rstrip("/")
    if not pipeline_dir.startswith(mount + "/"):
        raise InvalidInput.single(
            "pipeline_dir", "BAD_VALUE", f"{pipeline_dir!r} is not on the FSx mount {mount!r}"
        )
    relative = pipeline_dir.removeprefix(mount)
    for path in request.paths:
        check_clean_path(f"{pipeline_dir}/{path}", field="paths")
    return ExportPlan(
        file_system_path=relative,
        repository_path=f"s3://{request.bucket}/{request.prefix}",
        task_paths=tuple(f"{relative.lstrip('/')}/{path}" for path in request.paths),
        report_path=f"s3://{request.bucket}/{request.report_prefix.rstrip('/')}",
    )


def _same_path(left: str, right: str) -> bool:
    return left.rstrip("/") == right.rstrip("/")


class FsxExporter:
    """``mount_point`` is where the cluster mounts the file system (paths in FSx calls are
    relative to it). ``bytes`` in the status stays 0: FSx reports file counts only."""

    def __init__(
        self, clients: AwsClients, *, mount_point: str = "/fsx", call_timeout_s: float = 30.0
    ) -> None:
        self._clients = clients
        self._mount_point = mount_point
        self._timeout_s = call_timeout_s

    async def start(self, request: ExportRequest, journal: CommandJournal) -> str:
        where = plan(request, self._mount_point)
        fsx = await self._fsx(request, journal, "export_results")
        file_system_id = request.cluster.fsx_id or await self._file_system_id(fsx, request)
        existing = await self._task_for_run(fsx, file_system_id, request.run_id)
        if existing is not None:
            return existing
        await self._attach(fsx, file_system_id, where, request.run_id)
        created = await fsx.required(
            "create_data_repository_task",
            FileSystemId=file_system_id,
            Type="EXPORT_TO_REPOSITORY",
            Paths=list(where.task_paths),
            Report={
                "Enabled": True,
                "Path": where.report_path,
                "Format": "REPORT_CSV_20191124",
                "Scope": "FAILED_FILES_ONLY",
            },
            ClientRequestToken=request_token("task", request.run_id),
            Tags=[{"Key": RUN_TAG, "Value": request.run_id}],
        )
        return str(created["DataRepositoryTask"]["TaskId"])

    async def poll(
        self, request: ExportRequest, task_id: str, journal: CommandJournal
    ) -> ExportStatus:
        where = plan(request, self._mount_point)
        fsx = await self._fsx(request, journal, "export_poll")
        described = await fsx.required("describe_data_repository_tasks", TaskIds=[task_id])
        tasks = described.get("DataRepositoryTasks", [])
        if not tasks:
            raise NotFound(f"export task {task_id} does not exist")
        task = tasks[0]
        lifecycle = LIFECYCLES.get(str(task["Lifecycle"]), ExportLifecycle.EXECUTING)
        detached = lifecycle is ExportLifecycle.SUCCEEDED and await self._detach(
            fsx, str(task["FileSystemId"]), where, request.run_id
        )
        return ExportStatus(
            task_id=task_id,
            lifecycle=lifecycle,
            detached=detached,
            message=_task_message(task, where.report_path),
            files=int(task.get("Status", {}).get("SucceededCount", 0)),
        )

    async def cancel(self, request: ExportRequest, task_id: str, journal: CommandJournal) -> None:
        fsx = await self._fsx(request, journal, "export_results")
        ended = frozenset({"DataRepositoryTaskEnded"})
        await fsx("cancel_data_repository_task", tolerate=ended, TaskId=task_id)

    async def _fsx(self, request: ExportRequest, journal: CommandJournal, label: str) -> FsxCall:
        region = request.cluster.region
        client = await self._clients.client("fsx", region)
        return FsxCall(client, journal, label, region, self._timeout_s)

    async def _file_system_id(self, fsx: FsxCall, request: ExportRequest) -> str:
        async for file_system in fsx.pages("describe_file_systems", "FileSystems"):
            tags = {t["Key"]: t["Value"] for t in file_system.get("Tags", [])}
            if tags.get(CLUSTER_TAG) == request.cluster.name:
                return str(file_system["FileSystemId"])
        raise NotFound(f"no FSx file system is tagged {CLUSTER_TAG}={request.cluster.name}")

    async def _task_for_run(self, fsx: FsxCall, file_system_id: str, run_id: str) -> str | None:
        """The newest export task tagged with this run, if any."""
        found: list[dict[str, Any]] = []
        by_file_system = [{"Name": "file-system-id", "Values": [file_system_id]}]
        async for task in fsx.pages(
            "describe_data_repository_tasks", "DataRepositoryTasks", Filters=by_file_system
        ):
            tags = {t["Key"]: t["Value"] for t in task.get("Tags", [])}
            if task.get("Type") == "EXPORT_TO_REPOSITORY" and tags.get(RUN_TAG) == run_id:
                found.append(task)
        newest = max(found, key=lambda t: t["CreationTime"], default=None)
        return None if newest is None else str(newest["TaskId"])

    async def _association(
        self, fsx: FsxCall, file_system_id: str, where: ExportPlan
    ) -> dict[str, Any] | None:
        by_file_system = [{"Name": "file-system-id", "Values": [file_system_id]}]
        async for association in fsx.pages(
            "describe_data_repository_associations", "Associations", Filters=by_file_system
        ):
            if _same_path(association.get("FileSystemPath", ""), where.file_system_path):
                return dict(association)
        return None

    async def _attach(
        self, fsx: FsxCall, file_system_id: str, where: ExportPlan, run_id: str
    ) -> None:
        """Ensure an available association of the pipeline dir with the export URI."""
        association = await self._association(fsx, file_system_id, where)
        if association is None:
            created = await fsx.required(
                "create_data_repository_association",
                FileSystemId=file_system_id,
                FileSystemPath=where.file_system_path,
                DataRepositoryPath=where.repository_path,
                BatchImportMetaDataOnCreate=False,
                ClientRequestToken=request_token("dra", run_id),
                Tags=[{"Key": RUN_TAG, "Value": run_id}],
            )
            association = created["Association"]
        _check_association(association, where)

    async def _detach(
        self, fsx: FsxCall, file_system_id: str, where: ExportPlan, run_id: str
    ) -> bool:
        """Delete the association, keeping the data; True once it is gone or going."""
        association = await self._association(fsx, file_system_id, where)
        if association is None or association.get("Lifecycle") == "DELETING":
            return True
        association_id = str(association["AssociationId"])
        await fsx(
            "delete_data_repository_association",
            tolerate=frozenset({"DataRepositoryAssociationNotFound"}),
            AssociationId=association_id,
            DeleteDataInFileSystem=False,
            ClientRequestToken=request_token("detach", run_id, association_id),
        )
        return True


def _check_association(association: Mapping[str, Any], where: ExportPlan) -> None:
    shown = f"the association of {where.file_system_path}"
    if not _same_path(association.get("DataRepositoryPath", ""), where.repository_path):
        raise Conflict(
            f"{shown} points at {association.get('DataRepositoryPath')}, "
            f"not {where.repository_path}"
        )
    lifecycle = association.get("Lifecycle", "")
    if lifecycle in _SETTLING:
        raise Unavailable(f"{shown} is {lifecycle}; start the export again shortly")
    if lifecycle != "AVAILABLE":
        detail = association.get("FailureDetails", {}).get("Message", "")
        raise Conflict(f"{shown} is {lifecycle}: {detail}".rstrip(": "))


def _task_message(task: Mapping[str, Any], report_path: str) -> str:
    parts = [str(task.get("FailureDetails", {}).get("Message", ""))]
    status = task.get("Status", {})
    if failed := int(status.get("FailedCount", 0)):
        total = int(status.get("TotalCount", 0))
        parts.append(f"{failed} of {total} files failed to export; report under {report_path}")
    return mask_secrets("; ".join(p for p in parts if p))
