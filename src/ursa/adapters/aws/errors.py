"""SDK errors → domain errors, at the adapter boundary (callers never see botocore)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError

from ursa.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, Unavailable

NOT_FOUND_CODES = frozenset(
    {
        "NoSuchKey",
        "NoSuchBucket",
        "NotFound",
        "404",
        "ResourceNotFoundException",
        "UserNotFoundException",
        "NoSuchUpload",
        "NotFoundException",
    }
)
FORBIDDEN_CODES = frozenset({"AccessDenied", "403", "AccessDeniedException", "AllAccessDisabled"})
CONFLICT_CODES = frozenset(
    {
        "ConditionalCheckFailedException",
        "TransactionCanceledException",
        "PreconditionFailed",
        "412",
        "UsernameExistsException",
        "ConditionalRequestConflict",
    }
)
THROTTLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "SlowDown",
        "ServiceUnavailable",
        "InternalError",
        "InternalServerError",
        "503",
        "500",
    }
)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def translate(exc: Exception, what: str) -> Exception:
    """The domain error for an SDK failure while doing ``what`` (never leaks SDK names)."""
    if isinstance(exc, ClientError):
        code = error_code(exc)
        if code in NOT_FOUND_CODES:
            return NotFound(f"{what}: not found")
        if code in FORBIDDEN_CODES:
            return Forbidden(f"{what}: access denied")
        if code in CONFLICT_CODES:
            return Conflict(f"{what}: changed concurrently or already exists")
        if code in THROTTLE_CODES:
            return Unavailable(f"{what}: the service is busy, try again")
        if code.startswith("Invalid") or code == "ValidationException":
            return InvalidInput(f"{what}: rejected by the service ({code})", code="AWS_REJECTED")
        return Unavailable(f"{what}: failed ({code or 'unknown error'})")
    if isinstance(exc, BotoCoreError):
        return Unavailable(f"{what}: the service did not answer")
    return exc


@contextmanager
def translated(what: str) -> Iterator[None]:
    """``with translated("read workset"):`` maps SDK errors; domain errors pass through."""
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc, what) from exc
