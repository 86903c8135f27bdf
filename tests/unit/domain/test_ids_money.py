"""Ids (§11.1) and money (§0)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ursa.domain.enums import Priority, parse_enum
from ursa.domain.errors import InvalidInput
from ursa.domain.ids import CUSTOMER_ID_RE, WORKSET_ID_RE, new_customer_id, new_workset_id, slugify
from ursa.domain.money import format_usd, to_cents, usd


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("NA12878 Trio!", "na12878-trio-0a1b2c3d"),
        ("Ünïcødé ﬁle", "n-c-d-file-0a1b2c3d"),  # NFKC (§11.1) keeps accents, then drops them
        ("!!!", "ws-0a1b2c3d"),
        ("x" * 60, "x" * 40 + "-0a1b2c3d"),
    ],
)
def test_workset_ids(name: str, expected: str) -> None:
    workset_id = new_workset_id(name, "0a1b2c3d")
    assert workset_id == expected and WORKSET_ID_RE.fullmatch(workset_id)


def test_ids_need_a_hex_suffix_from_the_caller() -> None:
    with pytest.raises(ValueError, match="8 lowercase hex"):
        new_workset_id("x", "XYZ")
    assert CUSTOMER_ID_RE.fullmatch(new_customer_id("Acme Genomics", "3f9c01ab"))
    assert slugify("  --  ") == "ws"


def test_money_is_never_float() -> None:
    with pytest.raises(TypeError):
        usd(0.1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="finite"):
        usd("NaN")
    assert usd("3e-06") == Decimal("0.000003")
    assert to_cents(Decimal("0.125")) == Decimal("0.12")
    assert format_usd(Decimal("1234.565")) == "$1,234.56"


def test_strict_enum_parse_lists_allowed_values() -> None:
    assert parse_enum(Priority, "urgent", "priority") is Priority.URGENT
    with pytest.raises(InvalidInput) as raised:
        parse_enum(Priority, "high", "priority")
    assert "urgent, normal, low" in raised.value.issues[0].message
