"""The ``pcluster`` CLI's JSON output (ParallelCluster 3) as msgspec Structs, and what it
means in domain terms (cluster status, errors).

Only the fields Ursa reads are declared; unknown fields are ignored, so newer CLI versions
still decode. Keys are camelCase on the wire. The stack status is spelled
``cloudformationStackStatus`` by list-clusters and ``cloudFormationStackStatus`` by
describe-cluster; both spellings are declared where they occur."""

from __future__ import annotations

import re
from typing import TypeVar

import msgspec

from ursa.domain.command_log import mask_secrets
from ursa.domain.errors import Conflict, Forbidden, NotFound, Unavailable, UrsaError
from ursa.domain.ports.cluster import ClusterInfo, ClusterStatus, CommandResult
from ursa.domain.run_record import HeadNodeRef

M = TypeVar("M", bound=msgspec.Struct)

FSX_ID_TAG = "ursa:fsx-id"
MAX_MESSAGE_CHARS = 500
READY_FLEET = frozenset({"RUNNING", "ENABLED"})
_URL_WITH_QUERY = re.compile(r"https?://[^\s\"'?]+\?[^\s\"']*")


class Tag(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    key: str
    value: str = ""


class Failure(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    failure_code: str = ""
    failure_reason: str = ""


class HeadNode(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    instance_id: str = ""
    public_ip_address: str | None = None
    private_ip_address: str | None = None
    state: str = ""


class ClusterSummary(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """One entry of ``list-clusters``."""

    cluster_name: str
    cluster_status: str
    region: str = ""
    cloudformation_stack_status: str = ""
    version: str = ""


class ClusterList(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    clusters: tuple[ClusterSummary, ...] = ()
    next_token: str | None = None


class ClusterDescription(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """``describe-cluster``. ``clusterConfiguration.url`` is presigned and is not declared."""

    cluster_name: str
    cluster_status: str
    region: str = ""
    cloud_formation_stack_status: str = ""
    compute_fleet_status: str = ""
    head_node: HeadNode | None = None
    tags: tuple[Tag, ...] = ()
    failures: tuple[Failure, ...] = ()


class Instance(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    instance_id: str
    node_type: str
    public_ip_address: str | None = None
    private_ip_address: str | None = None
    state: str = ""


class InstanceList(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """``describe-cluster-instances``."""

    instances: tuple[Instance, ...] = ()
    next_token: str | None = None


class ErrorMessage(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """What the CLI prints (exit status 1) when a call fails."""

    message: str = ""


def scrub(text: str) -> str:
    """Presigned URLs (any URL with a query string) removed, secret-looking values masked."""
    return mask_secrets(_URL_WITH_QUERY.sub("<url removed>", text))


def decode(stdout: str, model: type[M]) -> M:
    try:
        return msgspec.json.decode(stdout, type=model)
    except msgspec.ValidationError as exc:
        raise Unavailable(f"pcluster printed unexpected JSON: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise Unavailable("pcluster printed something that is not JSON") from exc


def failure(result: CommandResult) -> UrsaError:
    """The domain error for a failed call, from the CLI's ``message`` (or its raw output)."""
    message = _message(result)
    if "does not exist" in message:
        return NotFound(message)
    if "already exists" in message:
        return Conflict(message)
    if "AccessDenied" in message or "UnauthorizedOperation" in message:
        return Forbidden(message)
    return Unavailable(message)


def _message(result: CommandResult) -> str:
    try:
        text = msgspec.json.decode(result.stdout, type=ErrorMessage).message
    except msgspec.DecodeError:
        lines = (result.stdout.strip() or result.stderr.strip()).splitlines()
        text = lines[-1] if lines else ""
    text = scrub(text.strip())[:MAX_MESSAGE_CHARS]
    return text or f"pcluster exited with status {result.exit_code}"


def cluster_status(status: str, stack_status: str, fleet_status: str | None) -> ClusterStatus:
    """``fleet_status`` is None in list-clusters, which does not report the fleet."""
    if status.endswith("_FAILED") and not status.startswith("UPDATE"):
        return ClusterStatus.FAILED
    if stack_status.startswith("ROLLBACK"):
        return ClusterStatus.FAILED
    if status.startswith("DELETE"):
        return ClusterStatus.DELETING
    if status == "CREATE_IN_PROGRESS":
        return ClusterStatus.CREATING
    if status in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        ready = fleet_status is None or fleet_status in READY_FLEET
        return ClusterStatus.READY if ready else ClusterStatus.UNKNOWN
    return ClusterStatus.UNKNOWN


def summary_info(summary: ClusterSummary, region: str) -> ClusterInfo:
    return ClusterInfo(
        name=summary.cluster_name,
        region=summary.region or region,
        status=cluster_status(summary.cluster_status, summary.cloudformation_stack_status, None),
    )


def description_info(
    described: ClusterDescription, region: str, head_node: HeadNodeRef | None
) -> ClusterInfo:
    tags = {tag.key: tag.value for tag in described.tags}
    reasons = (f"{f.failure_code}: {f.failure_reason}".strip(": ") for f in described.failures)
    return ClusterInfo(
        name=described.cluster_name,
        region=described.region or region,
        status=cluster_status(
            described.cluster_status,
            described.cloud_formation_stack_status,
            described.compute_fleet_status or None,
        ),
        head_node=head_node,
        tags=tags,
        fsx_id=tags.get(FSX_ID_TAG) or None,
        failure=scrub("; ".join(reasons)),
    )
