"""DirectStager: the ``Stager`` port for clusters without FSx (static clusters).

Each pinned object is read from the object store and written over SFTP to
``<stage_dir>/<name>``. A file already there with the pinned size is left alone, so staging
again after a crash copies only what is missing."""

from __future__ import annotations

from ursa.adapters.direct.exporter import Transfer, sftp_uri
from ursa.domain.errors import Conflict, InvalidInput, NotFound, UrsaError
from ursa.domain.ports.cluster import CommandJournal, RemoteShell, StageFile, StageRequest
from ursa.domain.ports.objects import ObjectStore
from ursa.domain.run_record import HeadNodeRef
from ursa.domain.validation import check_clean_path, parse_s3_uri, safe_local_target


class DirectStager:
    """Objects larger than ``max_file_bytes`` raise ``InvalidInput``; an object whose version
    or size no longer matches its pin raises ``Conflict``. Every shell call is bounded by
    ``timeout_s``. One ``stage_samples`` journal entry summarises each call."""

    def __init__(
        self, shell: RemoteShell, objects: ObjectStore, *, max_file_bytes: int, timeout_s: float
    ) -> None:
        self._shell = shell
        self._objects = objects
        self._max_file_bytes = max_file_bytes
        self._timeout_s = timeout_s

    async def stage(self, request: StageRequest, journal: CommandJournal) -> tuple[str, ...]:
        stage_dir = check_clean_path(request.stage_dir, field="stage_dir")
        targets = tuple(safe_local_target(stage_dir, f.name) for f in request.files)
        present = await self._present(request.node, stage_dir)
        missing = [
            (file, target)
            for file, target in zip(request.files, targets, strict=True)
            if present.get(target) != file.size
        ]
        transfer = Transfer(
            label="stage_samples",
            source=f"{len(missing)} pinned S3 objects",
            destination=sftp_uri(request.node, stage_dir + "/"),
        )
        lines: list[str] = []
        try:
            for file, target in missing:
                await self._copy(request.node, file, target)
                lines.append(f"{file.uri} -> {target} ({file.size} bytes)")
        except UrsaError as exc:
            transfer.record(journal, summary="\n".join(lines), error=exc.message)
            raise
        already = len(targets) - len(missing)
        lines.append(f"copied {len(missing)} files; {already} already staged")
        transfer.record(journal, summary="\n".join(lines))
        return targets

    async def _present(self, node: HeadNodeRef, stage_dir: str) -> dict[str, int]:
        try:
            listed = await self._shell.walk(node, stage_dir, timeout_s=self._timeout_s)
        except NotFound:
            return {}
        return {remote.path: remote.size for remote in listed}

    async def _copy(self, node: HeadNodeRef, file: StageFile, target: str) -> None:
        source = parse_s3_uri(file.uri)
        if file.size > self._max_file_bytes:
            raise InvalidInput.single(
                "size",
                "TOO_LARGE",
                f"{file.uri} is {file.size} bytes; direct staging copies at most "
                f"{self._max_file_bytes}",
            )
        await self._check_version(file, source.bucket, source.key)
        data = await self._objects.get(source.bucket, source.key, max_bytes=file.size + 1)
        if len(data) != file.size:
            raise Conflict(f"{file.uri} is {len(data)} bytes, not the pinned {file.size}")
        await self._shell.put_file(node, target, data, timeout_s=self._timeout_s)

    async def _check_version(self, file: StageFile, bucket: str, key: str) -> None:
        """``ObjectStore.get`` reads the current version only, so a pinned version must
        still be the current one."""
        if file.version_id is None:
            return
        facts = await self._objects.head(bucket, key)
        if facts is None:
            raise NotFound(f"{file.uri} does not exist")
        if facts.version_id != file.version_id:
            raise Conflict(
                f"{file.uri} changed since it was pinned (version {file.version_id}, "
                f"now {facts.version_id})"
            )
