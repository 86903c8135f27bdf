"""Item codecs. Every persisted item is a msgspec Struct: key and index attributes at the top
level (conditions and GSIs need them) and the domain object as a JSON document in ``doc``.

Schema evolution: a new field always has a default (old items still decode), a field's type
never changes, and unknown fields are ignored (new items stay readable by old code)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, TypeVar

import msgspec

T = TypeVar("T")
S = TypeVar("S", bound=msgspec.Struct)

Item = dict[str, dict[str, Any]]
"""A DynamoDB item in the low-level wire shape ({"pk": {"S": "..."}})."""


def _enc_hook(obj: object) -> object:
    if isinstance(obj, MappingProxyType):
        return dict(obj)
    raise NotImplementedError(f"cannot persist {type(obj).__name__}")


_ENCODER = msgspec.json.Encoder(enc_hook=_enc_hook)


def dump_doc(obj: object) -> str:
    return _ENCODER.encode(obj).decode()


def load_doc(doc: str, kind: type[T]) -> T:
    return msgspec.json.decode(doc, type=kind)


def sortable(at: datetime) -> str:
    """Fixed-width UTC timestamps sort as strings (isoformat drops zero microseconds)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def to_item(struct: msgspec.Struct) -> Item:
    """Absent (None) attributes are left out, which keeps sparse indexes sparse."""
    item: Item = {}
    for name, value in msgspec.structs.asdict(struct).items():
        if value is None:
            continue
        if isinstance(value, bool):
            item[name] = {"BOOL": value}
        elif isinstance(value, int):
            item[name] = {"N": str(value)}
        elif isinstance(value, str):
            item[name] = {"S": value}
        else:
            raise TypeError(f"attribute {name} has unsupported type {type(value).__name__}")
    return item


def from_item(item: Mapping[str, Mapping[str, Any]], kind: type[S]) -> S:
    plain: dict[str, object] = {}
    for name, wire in item.items():
        if "S" in wire:
            plain[name] = wire["S"]
        elif "N" in wire:
            plain[name] = int(wire["N"])
        elif "BOOL" in wire:
            plain[name] = bool(wire["BOOL"])
    return msgspec.convert(plain, type=kind)


def s(value: str) -> dict[str, str]:
    return {"S": value}


def n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def key(pk: str, sk: str = "META") -> Item:
    return {"pk": s(pk), "sk": s(sk)}
