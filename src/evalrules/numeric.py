"""Exact decimal points under one numeric policy. The only module that rounds."""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

ROUNDING_MODES = {
    "half_up": decimal.ROUND_HALF_UP,
    "half_even": decimal.ROUND_HALF_EVEN,
    "half_down": decimal.ROUND_HALF_DOWN,
    "up": decimal.ROUND_UP,
    "down": decimal.ROUND_DOWN,
    "ceiling": decimal.ROUND_CEILING,
    "floor": decimal.ROUND_FLOOR,
}

ZERO = Decimal(0)

# One context for all arithmetic: 34 significant digits, and every dubious operation an error.
CONTEXT = decimal.Context(
    prec=34, rounding=decimal.ROUND_HALF_EVEN, Emin=-999_999, Emax=999_999,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)


@dataclass(frozen=True, slots=True)
class NumericPolicy:
    """How points are rounded: to `places` decimal places with the `rounding` mode."""

    places: int = 2
    rounding: str = "half_up"

    @property
    def quantum(self) -> Decimal:
        return Decimal(1).scaleb(-self.places)

    def round(self, value: Decimal) -> Decimal:
        """Round to the policy's places with its mode."""
        return value.quantize(self.quantum, rounding=ROUNDING_MODES[self.rounding],
                              context=CONTEXT)

    def round_to(self, value: Decimal, places: int) -> Decimal:
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUNDING_MODES[self.rounding],
                              context=CONTEXT)


def to_decimal(value: Any) -> Decimal:
    """A number as an exact decimal; floats go through their shortest repr (0.1 -> 0.1)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    raise TypeError(f"not a number: {value!r}")


def allocate(exact: list[Decimal], total: Decimal, quantum: Decimal) -> list[Decimal]:
    """Round each share so that the shares add up exactly to `total` (largest remainder).

    `total` is the policy-rounded sum of `exact`. Shares already on the quantum stay as they are.
    """
    floors = [v.quantize(quantum, rounding=decimal.ROUND_FLOOR, context=CONTEXT) for v in exact]
    missing = int(((total - sum(floors, ZERO)) / quantum).to_integral_value(context=CONTEXT))
    shares = list(floors)
    if missing > 0:
        order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
        for i in order[:missing]:
            shares[i] += quantum
    elif missing < 0:
        order = sorted(range(len(exact)), key=lambda i: (exact[i] - floors[i], i))
        for i in order[: -missing]:
            shares[i] -= quantum
    return shares


def plain(value: Decimal) -> str:
    """A decimal as people write it: 90, 89.5, 0.25 (no exponent, no trailing zeros)."""
    if not value:
        return "0"  # also -0 and 0.00, never "-0"
    if value == value.to_integral_value():
        # format() needs no context: quantize() raised InvalidOperation beyond its precision.
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    text = format(value.normalize(CONTEXT), "f")
    return text
