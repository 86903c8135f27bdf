"""DirectExporter: the ``Exporter`` port for clusters without FSx (static clusters).

The copy runs inside ``poll``: each tree under the pipeline dir is walked over SFTP and every
file is written to ``s3://<bucket>/<prefix><path relative to the pipeline dir>``. Keys are
deterministic, so a poll repeated after a crash rewrites identical bytes. A receipt object
(``<report_prefix>/direct_export.json``) marks the export done; while it exists, ``poll``
answers from it without copying again."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import msgspec

from ursa.domain.errors import InvalidInput, NotFound, UrsaError
from ursa.domain.ports.cluster import (
    CommandJournal,
    CommandResult,
    ExportLifecycle,
    ExportRequest,
    ExportStatus,
    RemoteFile,
    RemoteShell,
)
from ursa.domain.ports.objects import ObjectStore
from ursa.domain.run_record import HeadNodeRef
from ursa.domain.validation import check_clean_path, check_input_key

RECEIPT_NAME = "direct_export.json"
MAX_RECEIPT_BYTES = 64 * 1024


class Receipt(msgspec.Struct, frozen=True, kw_only=True):
    run_id: str
    task_id: str
    destination: str
    paths: tuple[str, ...]
    files: int
    bytes: int


class Copied(msgspec.Struct, frozen=True, kw_only=True):
    files: int = 0
    bytes: int = 0


def sftp_uri(node: HeadNodeRef, path: str) -> str:
    """The head-node path as one unambiguous token: ``sftp://user@host:port/path``."""
    return f"sftp://{node.user}@{node.host}:{node.port}{path}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Transfer:
    """One SFTP transfer as the journal shows it (§14.1; transport ``ssh``). There is no
    single shell command for it, so ``rendered`` describes source and destination."""

    label: str
    source: str
    destination: str
    started: float = field(default_factory=time.monotonic)

    def record(self, journal: CommandJournal, *, summary: str = "", error: str = "") -> None:
        """``error`` makes it a failed entry (exit status 1)."""
        journal.record(
            label=self.label,
            transport="ssh",
            argv=("sftp", self.source, self.destination),
            rendered=f"copy over SFTP: {self.source} -> {self.destination}",
            result=CommandResult(
                exit_code=1 if error else 0,
                stdout=summary,
                stderr=error,
                duration_s=time.monotonic() - self.started,
            ),
        )


def task_id_for(run_id: str) -> str:
    return f"direct-{run_id}"


def receipt_key(request: ExportRequest) -> str:
    return f"{request.report_prefix.rstrip('/')}/{RECEIPT_NAME}"


class DirectExporter:
    """Reads each file whole (at most ``max_file_bytes``; larger raises ``InvalidInput``).
    Every shell call is bounded by ``timeout_s``. ``cancel`` has nothing to stop: the copy
    finishes inside ``poll``."""

    def __init__(
        self, shell: RemoteShell, objects: ObjectStore, *, max_file_bytes: int, timeout_s: float
    ) -> None:
        self._shell = shell
        self._objects = objects
        self._max_file_bytes = max_file_bytes
        self._timeout_s = timeout_s

    async def start(self, request: ExportRequest, journal: CommandJournal) -> str:
        return task_id_for(request.run_id)

    async def poll(
        self, request: ExportRequest, task_id: str, journal: CommandJournal
    ) -> ExportStatus:
        if task_id != task_id_for(request.run_id):
            raise NotFound(f"export task {task_id} does not belong to run {request.run_id}")
        receipt = await self._receipt(request)
        if receipt is None:
            receipt = await self._export(request, task_id, journal)
        return ExportStatus(
            task_id=task_id,
            lifecycle=ExportLifecycle.SUCCEEDED,
            detached=True,
            message=f"copied over SFTP to {receipt.destination}",
            files=receipt.files,
            bytes=receipt.bytes,
        )

    async def cancel(self, request: ExportRequest, task_id: str, journal: CommandJournal) -> None:
        return None

    async def _receipt(self, request: ExportRequest) -> Receipt | None:
        try:
            data = await self._objects.get(
                request.bucket, receipt_key(request), max_bytes=MAX_RECEIPT_BYTES
            )
        except NotFound:
            return None
        try:
            return msgspec.json.decode(data, type=Receipt)
        except msgspec.DecodeError:
            return None  # unreadable: copy again and rewrite it

    async def _export(
        self, request: ExportRequest, task_id: str, journal: CommandJournal
    ) -> Receipt:
        pipeline_dir = check_clean_path(request.pipeline_dir, field="pipeline_dir")
        total = Copied()
        for path in request.paths:
            copied = await self._copy_tree(request, pipeline_dir, path, journal)
            total = Copied(files=total.files + copied.files, bytes=total.bytes + copied.bytes)
        receipt = Receipt(
            run_id=request.run_id,
            task_id=task_id,
            destination=f"s3://{request.bucket}/{request.prefix}",
            paths=request.paths,
            files=total.files,
            bytes=total.bytes,
        )
        await self._objects.put(
            request.bucket,
            receipt_key(request),
            msgspec.json.encode(receipt),
            content_type="application/json",
        )
        return receipt

    async def _copy_tree(
        self, request: ExportRequest, pipeline_dir: str, path: str, journal: CommandJournal
    ) -> Copied:
        root = check_clean_path(f"{pipeline_dir}/{path}", field="paths")
        transfer = Transfer(
            label="export_results",
            source=sftp_uri(request.node, root + "/"),
            destination=f"s3://{request.bucket}/{request.prefix}{path}/",
        )
        try:
            copied = await self._copy_files(request, pipeline_dir, root)
        except UrsaError as exc:
            transfer.record(journal, error=exc.message)
            raise
        transfer.record(journal, summary=f"{copied.files} files, {copied.bytes} bytes")
        return copied

    async def _copy_files(self, request: ExportRequest, pipeline_dir: str, root: str) -> Copied:
        files = await self._walk(request.node, root)
        total = 0
        for remote in files:
            if not remote.path.startswith(root + "/"):
                raise InvalidInput(f"the head node listed {remote.path!r} outside {root!r}")
            key = check_input_key(request.prefix + remote.path.removeprefix(pipeline_dir + "/"))
            data = await self._shell.read_file(
                request.node,
                remote.path,
                max_bytes=self._max_file_bytes,
                timeout_s=self._timeout_s,
            )
            await self._objects.put(request.bucket, key, data)
            total += len(data)
        return Copied(files=len(files), bytes=total)

    async def _walk(self, node: HeadNodeRef, root: str) -> tuple[RemoteFile, ...]:
        try:
            listed = await self._shell.walk(node, root, timeout_s=self._timeout_s)
        except NotFound:
            return ()
        return tuple(sorted(listed, key=lambda f: f.path))
