"""The numeric policy: rounding modes, exact conversion, largest-remainder allocation, display."""

from __future__ import annotations

import decimal
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalrules.numeric import (
    CONTEXT,
    ROUNDING_MODES,
    NumericPolicy,
    allocate,
    plain,
    to_decimal,
)


@pytest.mark.parametrize(("rounding", "value", "expected"), [
    ("half_up", "2.345", "2.35"), ("half_up", "-2.345", "-2.35"), ("half_up", "2.344", "2.34"),
    ("half_even", "2.345", "2.34"), ("half_even", "2.355", "2.36"), ("half_even", "-2.345", "-2.34"),
    ("half_down", "2.345", "2.34"), ("half_down", "2.3451", "2.35"), ("half_down", "-2.345", "-2.34"),
    ("up", "2.341", "2.35"), ("up", "-2.341", "-2.35"), ("up", "2.340", "2.34"),
    ("down", "2.349", "2.34"), ("down", "-2.349", "-2.34"),
    ("ceiling", "2.341", "2.35"), ("ceiling", "-2.349", "-2.34"),
    ("floor", "2.349", "2.34"), ("floor", "-2.341", "-2.35"),
])
def test_rounding_modes(rounding: str, value: str, expected: str) -> None:
    """Each rounding mode rounds to the policy's places as its name says, signs included."""
    result = NumericPolicy(places=2, rounding=rounding).round(Decimal(value))
    assert str(result) == expected


def test_every_documented_mode_is_available() -> None:
    """The modes the language documents are exactly the modes the policy knows."""
    assert set(ROUNDING_MODES) == {"half_up", "half_even", "half_down", "up", "down",
                                   "ceiling", "floor"}


def test_default_policy_is_two_places_half_up() -> None:
    """The default keeps 2 places and rounds 0.005 up to 0.01."""
    policy = NumericPolicy()
    assert policy.quantum == Decimal("0.01")
    assert policy.round(Decimal("0.005")) == Decimal("0.01")


@pytest.mark.parametrize(("places", "value", "expected"), [
    (0, "2.5", "3"), (0, "89.49", "89"), (1, "89.45", "89.5"), (3, "1", "1.000"), (6, "0.1", "0.100000"),
])
def test_places_set_the_quantum(places: int, value: str, expected: str) -> None:
    """Rounding keeps exactly `places` decimal places, padding with zeros."""
    policy = NumericPolicy(places=places)
    assert policy.quantum == Decimal(1).scaleb(-places)
    assert str(policy.round(Decimal(value))) == expected


def test_round_to_other_places_uses_the_policy_mode() -> None:
    """round_to() rounds to the given places with the policy's own mode."""
    assert str(NumericPolicy(rounding="half_even").round_to(Decimal("0.125"), 2)) == "0.12"
    assert str(NumericPolicy(rounding="half_up").round_to(Decimal("0.125"), 2)) == "0.13"
    assert str(NumericPolicy(rounding="half_up").round_to(Decimal("2.5"), 0)) == "3"


def test_rounding_ignores_the_ambient_context() -> None:
    """Rounding gives the same result whatever decimal context the caller has set."""
    with decimal.localcontext() as ctx:
        ctx.prec = 3
        ctx.rounding = decimal.ROUND_DOWN
        assert NumericPolicy().round(Decimal("1234.565")) == Decimal("1234.57")


@pytest.mark.parametrize(("value", "expected"), [
    (0.1, "0.1"), (0.2, "0.2"), (1.1, "1.1"), (2.675, "2.675"), (1e-7, "1E-7"), (-0.5, "-0.5"),
    (3, "3"), (True, "1"), (False, "0"), (Decimal("1.10"), "1.10"),
])
def test_to_decimal_is_exact_as_written(value: object, expected: str) -> None:
    """Floats convert through their shortest repr (0.1 -> 0.1), ints and bools exactly."""
    result = to_decimal(value)
    assert isinstance(result, Decimal)
    assert str(result) == expected


def test_to_decimal_of_point_one() -> None:
    """to_decimal(0.1) is Decimal('0.1'), not the binary value 0.1000000000000000055..."""
    assert to_decimal(0.1) == Decimal("0.1")
    assert to_decimal(0.1) != Decimal(0.1)  # noqa: RUF032 - the binary value, on purpose


def test_to_decimal_keeps_a_decimal_as_it_is() -> None:
    """A Decimal is returned unchanged, the same object."""
    value = Decimal("2.50")
    assert to_decimal(value) is value


@pytest.mark.parametrize("value", ["1", None, [1]])
def test_to_decimal_refuses_non_numbers(value: object) -> None:
    """Text and other values are not numbers."""
    with pytest.raises(TypeError):
        to_decimal(value)


@pytest.mark.parametrize(("value", "expected"), [
    ("90", "90"), ("90.00", "90"), ("89.50", "89.5"), ("0.25", "0.25"), ("1E+2", "100"),
    ("-0.50", "-0.5"), ("0E-2", "0"), ("-0", "0"), ("-0.00", "0"), ("1E-7", "0.0000001"),
    ("100", "100"), ("-12.340", "-12.34"),
    ("1E+40", "1" + "0" * 40), ("-1.00E+35", "-1" + "0" * 35),
])
def test_plain_writes_numbers_as_people_do(value: str, expected: str) -> None:
    """plain(): no exponent, no trailing zeros, no negative zero, large whole numbers in full."""
    assert plain(Decimal(value)) == expected


def test_allocate_example() -> None:
    """Three thirds of 1.00 become 0.34 + 0.33 + 0.33: the largest remainder gets the cent."""
    third = CONTEXT.divide(Decimal(1), Decimal(3))
    shares = allocate([third, third, third], Decimal("1.00"), Decimal("0.01"))
    assert shares == [Decimal("0.34"), Decimal("0.33"), Decimal("0.33")]


def test_allocate_gives_the_extra_quantum_to_the_largest_remainder() -> None:
    """The share with the largest remainder is rounded up, not the first one."""
    shares = allocate([Decimal("0.331"), Decimal("0.338"), Decimal("0.331")], Decimal("1.00"),
                      Decimal("0.01"))
    assert shares == [Decimal("0.33"), Decimal("0.34"), Decimal("0.33")]


def test_allocate_keeps_shares_already_on_the_quantum() -> None:
    """Shares already on the quantum are returned unchanged."""
    exact = [Decimal("10.50"), Decimal("3"), Decimal("0.25")]
    assert allocate(exact, Decimal("13.75"), Decimal("0.01")) == exact


exact_values = st.lists(
    st.decimals(min_value=-10_000, max_value=10_000, places=6, allow_nan=False,
                allow_infinity=False),
    max_size=12)


@settings(max_examples=300, deadline=None)
@given(exact=exact_values, places=st.integers(0, 4), rounding=st.sampled_from(sorted(ROUNDING_MODES)))
def test_allocate_sums_to_total_within_one_quantum(
        exact: list[Decimal], places: int, rounding: str) -> None:
    """Shares add up exactly to the rounded total, each on the quantum and less than one quantum
    away from its exact value; shares already on the quantum stay as they are."""
    policy = NumericPolicy(places=places, rounding=rounding)
    with decimal.localcontext(CONTEXT):
        total = policy.round(sum(exact, Decimal(0)))
        shares = allocate(exact, total, policy.quantum)
        assert len(shares) == len(exact)
        assert sum(shares, Decimal(0)) == total
        for share, value in zip(shares, exact, strict=True):
            assert share % policy.quantum == 0
            assert abs(share - value) < policy.quantum
            if value % policy.quantum == 0:
                assert share == value
