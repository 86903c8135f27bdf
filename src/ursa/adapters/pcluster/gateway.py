"""PclusterGateway: the ``ClusterGateway`` port on the ``pcluster`` CLI (ParallelCluster 3).

The CLI lives in its own venv and is run by path (TOOLCHAIN §9). It prints JSON on stdout,
for errors too; a failure is ``{"message": ...}`` with exit status 1. Every call runs with a
timeout: the whole process group is killed when it expires and the call raises
``Unavailable``. Each call is reported to the journal (§14.2) with presigned URLs removed and
secrets masked."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
import string
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from ursa.adapters.pcluster.models import (
    ClusterDescription,
    ClusterList,
    InstanceList,
    decode,
    description_info,
    failure,
    scrub,
    summary_info,
)
from ursa.domain.command_log import mask_secrets, masked_argv
from ursa.domain.errors import InvalidInput, Unavailable
from ursa.domain.ports.cluster import ClusterInfo, CommandJournal, CommandResult
from ursa.domain.run_record import HeadNodeRef
from ursa.domain.validation import validate_cluster_name, validate_region

DEFAULT_CREATE_ARGV = (
    "{pcluster}",
    "create-cluster",
    "--region",
    "{region}",
    "--cluster-name",
    "{name}",
    "--cluster-configuration",
    "{config}",
)
"""DayEC's form (§14.2) is ``("daylily-ec", "create", "--profile", "{profile}", "--region-az",
"{region_az}", "--config", "{config}", "--non-interactive")``."""

MAX_PAGES = 100


class HeadNodeAddress(StrEnum):
    """Which head-node address Ursa connects to: public, or private (inside the VPC)."""

    PUBLIC = "public"
    PRIVATE = "private"


@dataclass(frozen=True, slots=True, kw_only=True)
class PclusterSettings:
    """``cluster_config`` may name ``{region}``; ``create_argv`` may name ``{pcluster}``,
    ``{region}``, ``{name}``, ``{config}``, ``{profile}`` and ``{region_az}`` (from
    ``region_azs``)."""

    pcluster_path: str
    regions: tuple[str, ...]
    cluster_config: str = ""
    create_argv: tuple[str, ...] = DEFAULT_CREATE_ARGV
    region_azs: Mapping[str, str] = field(default_factory=dict)
    profile: str | None = None
    endpoint_url: str | None = None
    timeout_s: float = 120.0
    create_timeout_s: float = 1800.0
    head_node_address: HeadNodeAddress = HeadNodeAddress.PUBLIC
    ssh_user: str = "ubuntu"


class CommandTimedOut(Exception):
    def __init__(self, result: CommandResult) -> None:
        super().__init__("command timed out")
        self.result = result


async def run_command(
    argv: Sequence[str], *, env: Mapping[str, str], timeout_s: float
) -> CommandResult:
    """Run ``argv`` in its own process group; on timeout kill the group and raise
    ``CommandTimedOut`` carrying what was collected. A missing executable is ``Unavailable``."""
    started = time.monotonic()
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=dict(env),
            start_new_session=True,
        )
    except OSError as exc:
        raise Unavailable(f"cannot run {argv[0]}: {exc.strerror or exc}") from exc
    try:
        async with asyncio.timeout(timeout_s):
            stdout, stderr = await process.communicate()
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()
        message = f"timed out after {timeout_s:g} s; killed"
        raise CommandTimedOut(_result(process.returncode, b"", message.encode(), started)) from None
    return _result(process.returncode, stdout, stderr, started)


def _result(code: int | None, stdout: bytes, stderr: bytes, started: float) -> CommandResult:
    return CommandResult(
        exit_code=-1 if code is None else code,
        stdout=stdout.decode(errors="replace"),
        stderr=stderr.decode(errors="replace"),
        duration_s=time.monotonic() - started,
    )


class PclusterGateway:
    """Lists, describes, creates and deletes clusters through the ``pcluster`` CLI (create
    through the configurable ``create_argv``, e.g. DayEC). Regions outside ``regions`` and
    malformed cluster names raise ``InvalidInput`` before anything runs."""

    def __init__(self, settings: PclusterSettings) -> None:
        self._settings = settings

    def regions(self) -> tuple[str, ...]:
        return self._settings.regions

    async def list_clusters(
        self, region: str, *, journal: CommandJournal | None = None
    ) -> tuple[ClusterInfo, ...]:
        self._check_region(region)
        clusters: list[ClusterInfo] = []
        token: str | None = None
        for _ in range(MAX_PAGES):
            paging = ("--next-token", token) if token else ()
            argv = self._pcluster("list-clusters", "--region", region, *paging)
            page = decode(await self._call("describe_cluster", argv, region, journal), ClusterList)
            clusters += [summary_info(summary, region) for summary in page.clusters]
            if not page.next_token or page.next_token == token:
                break
            token = page.next_token
        return tuple(clusters)

    async def describe(
        self, region: str, name: str, *, journal: CommandJournal | None = None
    ) -> ClusterInfo:
        self._check_region(region)
        validate_cluster_name(name)
        argv = self._pcluster("describe-cluster", "--region", region, "--cluster-name", name)
        described = decode(
            await self._call("describe_cluster", argv, region, journal), ClusterDescription
        )
        running = described.head_node is not None and described.head_node.state == "running"
        head_node = await self._head_node(region, name, journal) if running else None
        return description_info(described, region, head_node)

    async def create(
        self, region: str, name: str, *, journal: CommandJournal | None = None
    ) -> None:
        self._check_region(region)
        validate_cluster_name(name)
        argv = self._create_argv(region, name)
        await self._call("create_cluster", argv, region, journal, self._settings.create_timeout_s)

    async def delete(
        self, region: str, name: str, *, journal: CommandJournal | None = None
    ) -> None:
        self._check_region(region)
        validate_cluster_name(name)
        argv = self._pcluster("delete-cluster", "--region", region, "--cluster-name", name)
        await self._call("delete_cluster", argv, region, journal)

    async def _head_node(
        self, region: str, name: str, journal: CommandJournal | None
    ) -> HeadNodeRef | None:
        argv = self._pcluster(
            "describe-cluster-instances",
            "--region",
            region,
            "--cluster-name",
            name,
            "--node-type",
            "HeadNode",
        )
        listed = decode(await self._call("describe_cluster", argv, region, journal), InstanceList)
        for instance in listed.instances:
            if instance.node_type == "HeadNode":
                host = (
                    instance.public_ip_address
                    if self._settings.head_node_address is HeadNodeAddress.PUBLIC
                    else instance.private_ip_address
                )
                if not host:
                    return None
                user = self._settings.ssh_user
                return HeadNodeRef(host=host, user=user, instance_id=instance.instance_id)
        return None

    def _check_region(self, region: str) -> None:
        validate_region(region, frozenset(self._settings.regions))

    def _pcluster(self, *args: str) -> tuple[str, ...]:
        return (self._settings.pcluster_path, *args)

    def _create_argv(self, region: str, name: str) -> tuple[str, ...]:
        settings = self._settings
        values = {
            "pcluster": settings.pcluster_path,
            "region": region,
            "name": name,
            "config": settings.cluster_config.format(region=region),
            "profile": settings.profile or "",
            "region_az": settings.region_azs.get(region, ""),
        }
        argv = []
        for part in settings.create_argv:
            for placeholder in _fields(part):
                if not values.get(placeholder):
                    raise InvalidInput(
                        f"the create command needs {{{placeholder}}}, which is not configured "
                        f"for region {region}",
                        code="CLUSTER_CREATE_NOT_CONFIGURED",
                    )
            argv.append(part.format_map(values))
        return tuple(argv)

    def _env(self, region: str) -> dict[str, str]:
        overrides = {
            "AWS_REGION": region,
            "AWS_PROFILE": self._settings.profile,
            "AWS_ENDPOINT_URL": self._settings.endpoint_url,
        }
        return {k: v for k, v in overrides.items() if v}

    async def _call(
        self,
        label: str,
        argv: tuple[str, ...],
        region: str,
        journal: CommandJournal | None,
        timeout_s: float | None = None,
    ) -> str:
        """Run, report to the journal, and return stdout; a non-zero exit raises."""
        overrides = self._env(region)
        timeout = timeout_s or self._settings.timeout_s
        try:
            result = await run_command(argv, env={**os.environ, **overrides}, timeout_s=timeout)
        except CommandTimedOut as exc:
            self._record(journal, label, argv, exc.result, overrides)
            raise Unavailable(
                f"{shlex.join(argv[:2])} did not finish within {timeout:g} s"
            ) from None
        self._record(journal, label, argv, result, overrides)
        if result.exit_code != 0:
            raise failure(result)
        return result.stdout

    def _record(
        self,
        journal: CommandJournal | None,
        label: str,
        argv: tuple[str, ...],
        result: CommandResult,
        env: Mapping[str, str],
    ) -> None:
        if journal is None:
            return
        shown_profile = (
            f"AWS_PROFILE={shlex.quote(env['AWS_PROFILE'])} " if "AWS_PROFILE" in env else ""
        )
        journal.record(
            label=label,
            transport="local",
            argv=masked_argv(argv),
            rendered=shown_profile + mask_secrets(shlex.join(argv)),
            result=CommandResult(
                exit_code=result.exit_code,
                stdout=scrub(result.stdout),
                stderr=scrub(result.stderr),
                duration_s=result.duration_s,
            ),
            env_names=tuple(sorted(env)),
        )


def _fields(template: str) -> tuple[str, ...]:
    return tuple(name for _, name, _, _ in string.Formatter().parse(template) if name)
