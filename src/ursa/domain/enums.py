"""Value enums of worksets and samples (§2.2, §2.3, §2.6, §3.2) and the strict parser.

Values are lower-snake on the wire, in storage and in events; reference genomes keep the
spelling users know (§0). Nothing is mapped silently: an unknown value is ``InvalidInput``."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from ursa.domain.errors import InvalidInput

E = TypeVar("E", bound=StrEnum)


def parse_enum(enum: type[E], value: object, field: str) -> E:
    """Strict parse: unknown values raise InvalidInput listing the allowed ones."""
    if isinstance(value, enum):
        return value
    allowed = ", ".join(member.value for member in enum)
    if isinstance(value, str):
        for member in enum:
            if member.value == value:
                return member
    raise InvalidInput.single(
        field, "BAD_VALUE", f"{field} must be one of: {allowed} (got {value!r})"
    )


class WorksetState(StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"
    READY = "ready"
    ON_HOLD = "on_hold"
    IN_PROGRESS = "in_progress"
    RETRYING = "retrying"
    ERROR = "error"
    FAILED = "failed"
    COMPLETE = "complete"
    CANCELED = "canceled"
    IGNORED = "ignored"
    ARCHIVED = "archived"
    DELETED = "deleted"


TERMINAL_STATES = frozenset(
    {
        WorksetState.FAILED,
        WorksetState.COMPLETE,
        WorksetState.CANCELED,
        WorksetState.IGNORED,
        WorksetState.ARCHIVED,
        WorksetState.DELETED,
    }
)
ACTIVE_STATES = frozenset({WorksetState.READY, WorksetState.IN_PROGRESS, WorksetState.RETRYING})


class ProgressStep(StrEnum):
    STAGING = "staging"
    CLUSTER_PROVISIONING = "cluster_provisioning"
    CLUSTER_READY = "cluster_ready"
    PIPELINE_STARTING = "pipeline_starting"
    PIPELINE_RUNNING = "pipeline_running"
    PIPELINE_COMPLETE = "pipeline_complete"
    EXPORTING = "exporting"
    EXPORT_COMPLETE = "export_complete"
    COLLECTING_METRICS = "collecting_metrics"
    FINALIZING = "finalizing"
    CANCELING = "canceling"


STEP_ORDER: tuple[ProgressStep, ...] = tuple(
    s for s in ProgressStep if s is not ProgressStep.CANCELING
)


class Priority(StrEnum):
    URGENT = "urgent"
    NORMAL = "normal"
    LOW = "low"

    @property
    def rank(self) -> int:
        return {"urgent": 0, "normal": 1, "low": 2}[self.value]


class WorksetType(StrEnum):
    CLINICAL = "clinical"
    RUO = "ruo"
    LSMC = "lsmc"


class PipelineType(StrEnum):
    TEST_HELP = "test_help"
    GERMLINE_WGS_SNV = "germline_wgs_snv"
    GERMLINE_WGS_SNV_SV = "germline_wgs_snv_sv"
    GERMLINE_WGS_KITCHENSINK = "germline_wgs_kitchensink"


class ReferenceGenome(StrEnum):
    GRCH38 = "GRCh38"
    GRCH37 = "GRCh37"
    GRCM39 = "GRCm39"
    T2T_CHM13 = "T2T-CHM13"


class Origin(StrEnum):
    PORTAL = "portal"
    API = "api"
    RETRY_CLONE = "retry_clone"
    LEGACY_INTAKE = "legacy_intake"
    RECOVERED = "recovered"


class AffinityMode(StrEnum):
    BINDING = "binding"
    PREFERRED = "preferred"
    ANY = "any"


class WaitReason(StrEnum):
    QUOTA = "quota"
    CLUSTER_UNAVAILABLE = "cluster_unavailable"
    CAPACITY = "capacity"
    BUDGET = "budget"


class SampleState(StrEnum):
    PENDING = "pending"
    STAGING = "staging"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELED = "canceled"
