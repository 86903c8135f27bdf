"""Failure vocabulary shared by diagnostics, retries and the workset aggregate (§7.1, §7.4)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorCategory(StrEnum):
    TRANSIENT = "transient"
    RESOURCE = "resource"
    CONFIGURATION = "configuration"
    DATA = "data"
    PERMANENT = "permanent"


class Owner(StrEnum):
    CUSTOMER = "customer"
    PROVIDER = "provider"
    AWS = "aws"


class Severity(StrEnum):
    CRITICAL = "critical"
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is more severe (used to break confidence ties)."""
        return {"critical": 3, "error": 2, "warning": 1, "info": 0}[self.value]


class Remedy(StrEnum):
    RETRY_SAME = "retry_same"
    RETRY_MORE_MEMORY = "retry_more_memory"
    RETRY_LONGER_TIME = "retry_longer_time"
    RETRY_OTHER_CAPACITY = "retry_other_capacity"
    RETRY_MORE_STORAGE = "retry_more_storage"
    WAIT_AND_RETRY = "wait_and_retry"
    NOTIFY_CUSTOMER = "notify_customer"
    NOTIFY_PROVIDER = "notify_provider"


@dataclass(frozen=True, slots=True, kw_only=True)
class Diagnosis:
    code: str
    name: str
    category: ErrorCategory
    severity: Severity
    retryable: bool
    owner: Owner
    remedy: Remedy
    confidence: float
    remediation: str = ""
    matched: tuple[str, ...] = ()
    alternatives: tuple[tuple[str, float], ...] = ()
