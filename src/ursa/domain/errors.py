"""The one error vocabulary (DOMAIN.md §0). ``app/errors.py`` is the only place that maps it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class Issue:
    """One broken rule in an input; ``row`` is 1-based with the header as row 1."""

    field: str
    code: str
    message: str
    row: int | None = None


class UrsaError(Exception):
    """Base of every domain error. ``code`` is the stable machine-readable reason."""

    code: str = "URSA_ERROR"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidInput(UrsaError):
    """Input breaks a rule. Carries every issue found, not just the first."""

    code = "VALIDATION_ERROR"

    def __init__(self, message: str, issues: tuple[Issue, ...] = (), *, code: str | None = None):
        super().__init__(message, code=code)
        self.issues = issues

    @classmethod
    def single(cls, field: str, code: str, message: str) -> InvalidInput:
        return cls(message, (Issue(field=field, code=code, message=message),))


class NotFound(UrsaError):
    """Absent, or not visible to the actor: tenancy never reveals existence."""

    code = "NOT_FOUND"


class Forbidden(UrsaError):
    """The actor can see the entity but its role lacks the action."""

    code = "FORBIDDEN"


class Unauthenticated(UrsaError):
    """No valid credentials were presented."""

    code = "UNAUTHENTICATED"


class Unavailable(UrsaError):
    """A dependency did not answer in time; the caller may retry."""

    code = "UNAVAILABLE"


class Conflict(UrsaError):
    """The request conflicts with the current state of the entity."""

    code = "CONFLICT"


class IllegalTransition(Conflict):
    """The (state, event) pair is not in the transition table (§2.4)."""

    code = "INVALID_STATE_TRANSITION"


class GuardFailed(Conflict):
    """The pair is allowed but its guard is false; ``code`` names the reason."""

    code = "GUARD_FAILED"


class StaleVersion(Conflict):
    """The optimistic ``version`` check failed."""

    code = "STALE_VERSION"


class PreconditionFailed(UrsaError):
    """An ``If-Match`` edit whose version is no longer current (412): re-read, then retry."""

    code = "PRECONDITION_FAILED"


class IdempotencyConflict(Conflict):
    """Same key with another body, or the first request is still in progress."""

    code = "IDEMPOTENCY_CONFLICT"

    def __init__(self, message: str, *, in_progress: bool = False) -> None:
        super().__init__(message, code="IDEMPOTENCY_IN_PROGRESS" if in_progress else None)
        self.in_progress = in_progress


class BudgetExhausted(Conflict):
    """A hard budget with ``reject_new`` refuses new work (§9.9)."""

    code = "BUDGET_EXHAUSTED"


class QuotaExceeded(UrsaError):
    """A customer storage or size limit is hit at submit."""

    code = "QUOTA_EXCEEDED"


class RateLimited(UrsaError):
    """The caller spent its budget for this kind of request; retry after ``retry_after_s``."""

    code = "RATE_LIMITED"

    def __init__(self, message: str, *, retry_after_s: int, limit: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.limit = limit


class LeaseLost(UrsaError):
    """The caller's lease token is no longer current; the worker must stop."""

    code = "LEASE_LOST"
