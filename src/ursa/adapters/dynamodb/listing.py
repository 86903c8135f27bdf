"""One workset page = one Query: pick the index that serves the tenant keys, push the other
filters into a FilterExpression, and sign the position into an opaque cursor."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ursa.adapters.cursors import CursorCodec
from ursa.adapters.dynamodb.items import Item, s
from ursa.adapters.dynamodb.workset_items import (
    ALL_WORKSETS,
    customer_pk,
    customer_state_pk,
    owner_pk,
)
from ursa.domain.enums import WorksetState
from ursa.domain.errors import InvalidInput
from ursa.domain.ports import WorksetQuery

_HIDDEN = (WorksetState.ARCHIVED, WorksetState.DELETED)


@dataclass
class ListPlan:
    index: str
    partition: str
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

    def request(self, table: str, limit: int, start: Item | None) -> dict[str, Any]:
        names = {**self.names, "#ipk": f"{self.index}pk", "#isk": f"{self.index}sk"}
        values = {**self.values, ":ipk": s(self.partition), ":prefix": s("WS#")}
        request: dict[str, Any] = {
            "TableName": table,
            "IndexName": self.index,
            "KeyConditionExpression": "#ipk = :ipk AND begins_with(#isk, :prefix)",
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
        plan.one_of("state", [st.value for st in _HIDDEN], negate=True)
    if query.priority is not None:
        plan.equals("priority", query.priority.value)
    if query.workset_type is not None:
        plan.equals("workset_type", query.workset_type.value)
    text = query.text.strip().lower()
    if text:
        plan.contains("search", text)
    return plan


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
