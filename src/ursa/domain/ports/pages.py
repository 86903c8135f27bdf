"""Listing queries and cursor pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from ursa.domain.enums import Priority, WorksetState, WorksetType

T = TypeVar("T")
MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class WorksetQuery:
    """Tenant keys come from ``tenancy.tenant_filter``; None means unrestricted."""

    customer_id: str | None = None
    owner_user_id: str | None = None
    states: frozenset[WorksetState] = frozenset()
    priority: Priority | None = None
    workset_type: WorksetType | None = None
    text: str = ""
    include_archived: bool = False
    limit: int = 25
    cursor: str | None = None
    # Workset list filters (domain/workset_filters.py): each one narrows, all must hold.
    priorities: frozenset[Priority] = frozenset()  # any of these (empty: any)
    workset_types: frozenset[WorksetType] = frozenset()  # any of these (empty: any)
    created_after: datetime | None = None  # inclusive
    created_before: datetime | None = None  # exclusive
    id_prefix: str = ""  # the workset id starts with it (case-sensitive)
    names: tuple[str, ...] = ()  # each is a case-insensitive substring of the name


@dataclass(frozen=True, slots=True, kw_only=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    next_cursor: str | None = None
