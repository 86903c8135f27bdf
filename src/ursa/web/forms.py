"""Parsing of portal query strings and form posts into typed values.

Unknown enum values raise ``InvalidInput`` (strict, like the API); free text is trimmed and
bounded. Validation problems a person can fix in a form come back as messages to re-render."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from ursa.domain.enums import WorksetState, parse_enum
from ursa.domain.errors import InvalidInput
from ursa.domain.ports import WorksetQuery
from ursa.domain.search import parse_search

MAX_SEARCH = 200
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
    error: str = ""
    """Why the search operators in ``q`` cannot be used (shown inline, nothing listed)."""

    @property
    def valid(self) -> bool:
        return not self.error

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
    search = (q or "").strip()[:MAX_SEARCH]
    return ListFilters(
        state=parse_enum(WorksetState, state_text, "state") if state_text else None,
        q=search,
        error=_search_error(search),
        cursor=(cursor or "").strip() or None,
        limit=max(
            ListFilters.MIN_LIMIT, min(limit or ListFilters.DEFAULT_LIMIT, ListFilters.MAX_LIMIT)
        ),
    )


def _search_error(q: str) -> str:
    """The search box takes ``key:value`` operators (``domain/search.py``)."""
    try:
        parse_search(q)
    except InvalidInput as error:
        return error.message
    return ""


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


MAX_EMAIL = 254
MAX_PASSWORD = 256


@dataclass(frozen=True, slots=True, kw_only=True)
class PasswordSignInForm:
    """Email and password as typed; the password is never echoed back into a page."""

    email: str
    password: str = field(repr=False)
    error: str = ""


def parse_password_sign_in(data: Mapping[str, str]) -> PasswordSignInForm:
    email, password = str(data.get("email", "")).strip(), str(data.get("password", ""))
    error = ""
    if not email or not password:
        error = "Enter your email and password."
    elif len(email) > MAX_EMAIL or len(password) > MAX_PASSWORD:
        error = f"Emails have at most {MAX_EMAIL} characters, passwords at most {MAX_PASSWORD}."
    return PasswordSignInForm(email=email[:MAX_EMAIL], password=password, error=error)


@dataclass(frozen=True, slots=True, kw_only=True)
class NewPasswordForm:
    password: str = field(repr=False)
    error: str = ""


def parse_new_password(data: Mapping[str, str]) -> NewPasswordForm:
    password, confirm = str(data.get("password", "")), str(data.get("confirm", ""))
    error = ""
    if not password:
        error = "Choose a new password."
    elif len(password) > MAX_PASSWORD:
        error = f"Use at most {MAX_PASSWORD} characters."
    elif password != confirm:
        error = "The two passwords are not the same."
    return NewPasswordForm(password=password, error=error)
