"""Parsing of portal query strings and form posts into typed values.

Unknown enum values raise ``InvalidInput`` (strict, like the API); free text is trimmed and
bounded. Validation problems a person can fix in a form come back as messages to re-render."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from ursa.domain.enums import WorksetState, parse_enum
from ursa.domain.errors import InvalidInput
from ursa.domain.ports import WorksetQuery

MAX_SEARCH = 100
MAX_REASON = 500
MAX_LABEL = 64
MAX_COMMAND_SEARCH = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class ListFilters:
    DEFAULT_LIMIT: ClassVar[int] = 25
    MIN_LIMIT: ClassVar[int] = 5
    MAX_LIMIT: ClassVar[int] = 100

    state: WorksetState | None = None
    q: str = ""
    cursor: str | None = None
    limit: int = 25

    def query(self) -> WorksetQuery:
        """Tenant keys are left empty: the service fills them from the principal."""
        return WorksetQuery(
            states=frozenset({self.state}) if self.state else frozenset(),
            text=self.q,
            limit=self.limit,
            cursor=self.cursor,
        )


def parse_list_filters(
    *, state: str | None, q: str | None, cursor: str | None, limit: int | None
) -> ListFilters:
    state_text = (state or "").strip()
    return ListFilters(
        state=parse_enum(WorksetState, state_text, "state") if state_text else None,
        q=(q or "").strip()[:MAX_SEARCH],
        cursor=(cursor or "").strip() or None,
        limit=max(
            ListFilters.MIN_LIMIT, min(limit or ListFilters.DEFAULT_LIMIT, ListFilters.MAX_LIMIT)
        ),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandFilters:
    """The command log's filters: an exact label and a substring of the command or output."""

    label: str = ""
    q: str = ""

    @property
    def active(self) -> bool:
        return bool(self.label or self.q)


def parse_command_filters(*, label: str | None, q: str | None) -> CommandFilters:
    return CommandFilters(
        label=(label or "").strip()[:MAX_LABEL],
        q=(q or "").strip()[:MAX_COMMAND_SEARCH],
    )


def parse_sign_in(data: Mapping[str, str]) -> str:
    user_id = str(data.get("user_id", "")).strip()
    if not user_id:
        raise InvalidInput.single("user_id", "EMPTY_REQUIRED", "choose a user to sign in as")
    return user_id


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelForm:
    reason: str
    error: str = ""

    @property
    def valid(self) -> bool:
        return not self.error


def parse_cancel(data: Mapping[str, str]) -> CancelForm:
    reason = str(data.get("reason", "")).strip()
    if len(reason) > MAX_REASON:
        return CancelForm(
            reason=reason,
            error=f"Keep the reason under {MAX_REASON} characters (it has {len(reason)}).",
        )
    return CancelForm(reason=reason)
