"""A workset page: pick the index that serves the tenant keys, narrow its sort key to the
created range, push the other filters into a FilterExpression, and sign the position into an
opaque cursor. The repository reads until the page is full (a bounded number of Queries)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ursa.adapters.cursors import CursorCodec
from ursa.adapters.dynamodb.items import Item, s, sortable
from ursa.adapters.dynamodb.workset_items import (
    ALL_WORKSETS,
    customer_pk,
    customer_state_pk,
    owner_pk,
)
from ursa.domain.errors import InvalidInput
from ursa.domain.ports import WorksetQuery
from ursa.domain.workset_filters import HIDDEN_STATES

FIRST = "WS#"
LAST = "WS$"  # sorts after every "WS#<created>#<id>"


@dataclass
class ListPlan:
    index: str
    partition: str
    low: str = FIRST
    high: str = LAST
    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    filters: list[str] = field(default_factory=list)

    def _bind(self, attribute: str, value: str) -> str:
        placeholder = f":f{len(self.values)}"
        self.names[f"#{attribute}"] = attribute
        self.values[placeholder] = s(value)
        return placeholder

    def equals(self, attribute: str, value: str) -> None:
        self.filters.append(f"#{attribute} = {self._bind(attribute, value)}")

    def one_of(self, attribute: str, values: list[str], *, negate: bool = False) -> None:
        placeholders = ", ".join(self._bind(attribute, v) for v in values)
        clause = f"#{attribute} IN ({placeholders})"
        self.filters.append(f"NOT ({clause})" if negate else clause)

    def contains(self, attribute: str, value: str) -> None:
        self.filters.append(f"contains(#{attribute}, {self._bind(attribute, value)})")

    @property
    def empty(self) -> bool:
        """The created range is empty: nothing to read."""
        return self.low > self.high

    def resume(self, start: Item) -> Item | None:
        """A cursor's position in this plan's partition (a cursor of the same index may come
        from another owner or state); None when it lies above the range (read from the top)."""
        if str(start[f"{self.index}sk"]["S"]) > self.high:
            return None
        return {**start, f"{self.index}pk": s(self.partition)}

    def passed(self, start: Item) -> bool:
        """The position lies below the range: nothing is left to read."""
        return str(start[f"{self.index}sk"]["S"]) < self.low

    def request(self, table: str, limit: int, start: Item | None) -> dict[str, Any]:
        names = {**self.names, "#ipk": f"{self.index}pk", "#isk": f"{self.index}sk"}
        values = {**self.values, ":ipk": s(self.partition)}
        if (self.low, self.high) == (FIRST, LAST):
            condition = "#ipk = :ipk AND begins_with(#isk, :prefix)"
            values[":prefix"] = s(FIRST)
        else:
            condition = "#ipk = :ipk AND #isk BETWEEN :low AND :high"
            values |= {":low": s(self.low), ":high": s(self.high)}
        request: dict[str, Any] = {
            "TableName": table,
            "IndexName": self.index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if self.filters:
            request["FilterExpression"] = " AND ".join(self.filters)
        if start is not None:
            request["ExclusiveStartKey"] = start
        return request


def plan_for(query: WorksetQuery) -> ListPlan:
    """Owner beats customer+state beats customer beats everything (provider admins)."""
    states = sorted(st.value for st in query.states)
    state_in_key = False
    if query.owner_user_id is not None:
        plan = ListPlan(index="gsi3", partition=owner_pk(query.owner_user_id))
        if query.customer_id is not None:
            plan.equals("customer_id", query.customer_id)
    elif query.customer_id is not None and len(query.states) == 1:
        (only,) = query.states
        plan = ListPlan(index="gsi2", partition=customer_state_pk(query.customer_id, only))
        state_in_key = True
    elif query.customer_id is not None:
        plan = ListPlan(index="gsi1", partition=customer_pk(query.customer_id))
    else:
        plan = ListPlan(index="gsi4", partition=ALL_WORKSETS)
    if states and not state_in_key:
        plan.one_of("state", states)
    elif not states and not query.include_archived:
        plan.one_of("state", sorted(st.value for st in HIDDEN_STATES), negate=True)
    _narrow(plan, query)
    return plan


def _narrow(plan: ListPlan, query: WorksetQuery) -> None:
    """Created range on the sort key (``WS#<created>#<id>``); the rest as filters. Name and
    id filters on ``search`` (it holds both) may let a few extra rows through: the
    repository re-checks every row with ``workset_filters.matches``."""
    if query.created_after is not None:
        plan.low = FIRST + sortable(query.created_after)
    if query.created_before is not None:
        plan.high = FIRST + sortable(query.created_before)
    if query.priority is not None:
        plan.equals("priority", query.priority.value)
    if query.priorities:
        plan.one_of("priority", sorted(p.value for p in query.priorities))
    if query.workset_type is not None:
        plan.equals("workset_type", query.workset_type.value)
    if query.workset_types:
        plan.one_of("workset_type", sorted(t.value for t in query.workset_types))
    if query.id_prefix:  # search is "<name>\n<id>"; a filter may not name a key attribute
        plan.contains("search", "\n" + query.id_prefix)
    for name in query.names:
        plan.contains("search", name.lower())
    text = query.text.strip().lower()
    if text:
        plan.contains("search", text)


def position_of(index: str, item: Item) -> Item:
    names = ("pk", "sk", f"{index}pk", f"{index}sk")
    return {name: item[name] for name in names}


def encode_cursor(codec: CursorCodec, index: str, position: Item) -> str:
    flat = [index]
    for name in sorted(position):
        flat += [name, position[name]["S"]]
    return codec.encode(flat)


def decode_cursor(codec: CursorCodec, index: str, cursor: str) -> Item:
    flat = codec.decode(cursor)
    allowed = {"pk", "sk", f"{index}pk", f"{index}sk"}
    pairs = dict(zip(flat[1::2], flat[2::2], strict=False))
    if not flat or flat[0] != index or len(flat) % 2 != 1 or set(pairs) != allowed:
        raise InvalidInput.single(
            "cursor", "BAD_CURSOR", "the page cursor belongs to a different listing"
        )
    return {name: s(value) for name, value in pairs.items()}
