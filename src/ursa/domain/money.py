"""Money is Decimal USD: 6 places inside, cents with ROUND_HALF_EVEN when shown (§0)."""

from __future__ import annotations

from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, InvalidOperation

MICRO = Decimal("0.000001")
CENT = Decimal("0.01")
ZERO = Decimal("0")


def usd(value: object) -> Decimal:
    """Parse an amount (never a float) and quantize it to internal precision."""
    if isinstance(value, float) or not isinstance(value, Decimal | int | str):
        raise TypeError(f"money is never a float or {type(value).__name__}")
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    return amount.quantize(MICRO, rounding=ROUND_HALF_EVEN)


def to_cents(amount: Decimal) -> Decimal:
    """Round to the cent, half-even: the single figure shown to people."""
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


def floor_cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_FLOOR)


def format_usd(amount: Decimal) -> str:
    return f"${to_cents(amount):,.2f}"
