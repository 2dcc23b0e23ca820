"""Money: exact parsing, half-up rounding, and splits whose parts add up to the cent."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from mapper.engine.library.functions import (
    converted_lines,
    decimals,
    price,
    rate_between,
    rounding_allowance,
    shop_round,
    split_over,
    unit_price,
    vat_rate,
    vat_rate_between,
)
from mapper.engine.library.money import (
    MoneyFormatError,
    amount_text,
    money,
    round_to,
    split,
    to_decimal,
)

D = Decimal


def _random_case(rng: random.Random) -> tuple[Decimal, list[Decimal], int]:
    places = rng.choice([0, 1, 2, 2, 2, 3, 4])
    total = D(rng.randint(-(10**7), 10**7)).scaleb(-places)
    count = rng.randint(1, 12)
    weights = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.15:
            weights.append(D(0))
        elif kind < 0.3:
            weights.append(D(rng.randint(1, 3)))  # equal weights: ties in the remainders
        else:
            weights.append(D(rng.randint(1, 10**8)).scaleb(-rng.randint(0, 6)))
    return total, weights, places


def test_split_parts_add_up_to_the_total_exactly() -> None:
    rng = random.Random(20260302)
    for _ in range(3000):
        total, weights, places = _random_case(rng)
        quantum = D(1).scaleb(-places)
        parts = split(total, weights, places)
        assert len(parts) == len(weights)
        assert sum(parts, D(0)) == total, (total, weights, places)
        weight_sum = sum(weights, D(0))
        for part, weight in zip(parts, weights):
            assert part == part.quantize(quantum)  # no sub-cent parts
            if weight_sum:
                # largest remainder: every part is within one cent of its exact share
                assert abs(part - total * weight / weight_sum) < quantum, (total, weights)


def test_split_gives_leftover_cents_to_the_largest_remainders_earliest_first() -> None:
    assert split(D("10.00"), [D(1), D(1), D(1)]) == [D("3.34"), D("3.33"), D("3.33")]
    assert split(D("-10.00"), [D(1), D(1), D(1)]) == [D("-3.34"), D("-3.33"), D("-3.33")]
    assert split(D("0.05"), [D(1)] * 3) == [D("0.02"), D("0.02"), D("0.01")]
    assert split(D("1.00"), [D(1), D(2)]) == [D("0.33"), D("0.67")]
    assert split(D("100"), [D(1), D(1)], places=0) == [D("50"), D("50")]


def test_split_rounds_the_total_half_up_first() -> None:
    assert split(D("10.005"), [D(1), D(1)]) == [D("5.01"), D("5.00")]


def test_one_part_is_the_whole_total_whatever_its_weight() -> None:
    # digit for digit (the sign of a zero, the places) what the largest-remainder steps give
    cases = [
        (D("-5.00"), D("29.95"), "-5.00"),
        (D("10.005"), D("0.000001"), "10.01"),
        (D("-0.00"), D("-3"), "-0.00"),
        (D("12.34"), D("0"), "12.34"),
        (D("99999999999999.99"), D("123456789012345.678901"), "99999999999999.99"),
        (D("7"), D("2"), "7.00"),
    ]
    assert [str(split(total, [weight])[0]) for total, weight, _ in cases] == [
        shown for _, _, shown in cases
    ]
    assert [str(part) for part in split(D("100"), [D(3)], places=0)] == ["100"]


def test_split_over_zero_weights_puts_the_total_on_the_first_part() -> None:
    assert split(D("7.00"), [D(0), D(0)]) == [D("7.00"), D("0")]


def test_split_over_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="^cannot split over no parts$"):
        split(D("1.00"), [])


def test_split_over_groups_by_key_and_adds_up() -> None:
    lines = [
        {"vat_rate": D("21"), "amount_incl": D("29.90")},
        {"vat_rate": D("9"), "amount_incl": D("13.47")},
        {"vat_rate": D("21"), "amount_incl": D("0.01")},
    ]
    parts = split_over("-5.00", lines, "vat_rate", "amount_incl")
    assert parts == [
        {"vat_rate": D("21"), "weight": D("29.91"), "amount": D("-3.45")},
        {"vat_rate": D("9"), "weight": D("13.47"), "amount": D("-1.55")},
    ]


def test_split_over_orders_the_rates_highest_first_whatever_the_order_of_the_lines() -> None:
    lines = [
        {"vat_rate": D("9"), "amount_incl": "10.90"},
        {"vat_rate": D("21"), "amount_incl": "121.00"},
        {"vat_rate": D("5.5"), "amount_incl": "21.10"},
    ]
    parts = split_over(D("-10.00"), lines, "vat_rate", "amount_incl")
    assert [(p["vat_rate"], p["amount"]) for p in parts] == [
        (D("21"), D("-7.91")),
        (D("9"), D("-0.71")),
        (D("5.5"), D("-1.38")),
    ]
    # keys that are no Decimals (ints here) are sorted by their value as well
    whole = [{"k": 9, "w": "1"}, {"k": 21, "w": "1"}, {"k": D("12.5"), "w": "1"}]
    assert [p["k"] for p in split_over("-3.00", whole, "k", "w")] == [21, D("12.5"), 9]


@pytest.mark.parametrize(
    ("incl", "excl"),
    [
        ("16.510000", "13.644628"),
        ("16.51", "13.644628"),  # the same prices written with fewer digits
        ("10.900000", "10.000000"),
        ("10.9", "10"),
        ("5.275000", "5.000000"),  # 5.5 %
        ("5.00", "5.00"),
        ("1.00", "0"),  # no excl price: 0
    ],
)
def test_vat_rate_between_is_the_rule_chain_it_replaces_digit_for_digit(
    incl: str, excl: str
) -> None:
    expected = vat_rate(decimals(rate_between(incl, excl), 3))
    first = vat_rate_between(D(incl), D(excl))  # worked out, or remembered from an equal pair
    again = vat_rate_between(D(incl), D(excl))
    assert str(first) == str(again) == str(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.005", "0.01"),
        ("-0.005", "-0.01"),
        ("2.675", "2.68"),  # a float 2.675 is 2.67499999…: the reason floats are refused
        ("1.0049999", "1.00"),
        ("16.505000", "16.51"),
        ("0.125", "0.13"),  # half-up, not banker's rounding
        ("0.135", "0.14"),
        ("7", "7.00"),
        (D("12.3456"), "12.35"),
        (3, "3.00"),
    ],
)
def test_money_rounds_half_up_to_cents(value: object, expected: str) -> None:
    result = money(value)
    assert result == D(expected)
    assert str(result) == expected  # the exponent is the cents', not the input's


def test_round_to_other_places_is_half_up() -> None:
    assert round_to(D("2.34565"), 4) == D("2.3457")
    assert round_to(D("-2.5"), 0) == D("-3")
    assert decimals("0.0005", 3) == D("0.001")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (12.5, "expected an amount like 12.50, got 12.5"),
        (0.1, "expected an amount like 12.50, got 0.1"),
        ("12,50", "expected an amount like 12.50, got '12,50'"),
        ("1.234,56", "expected an amount like 12.50, got '1.234,56'"),
        ("", "expected an amount like 12.50, got ''"),
        ("   ", "expected an amount like 12.50, got '   '"),
        ("€ 12.50", "expected an amount like 12.50, got '€ 12.50'"),
        ("NaN", "expected an amount like 12.50, got 'NaN'"),
        ("Infinity", "expected an amount like 12.50, got 'Infinity'"),
        (None, "expected an amount like 12.50, got None"),
        (True, "expected an amount, got True"),
    ],
)
def test_not_an_amount_is_refused(value: object, message: str) -> None:
    with pytest.raises(MoneyFormatError) as caught:
        to_decimal(value)
    assert str(caught.value) == message
    with pytest.raises(MoneyFormatError) as rounding:
        money(value)
    assert str(rounding.value) == message


@pytest.mark.parametrize("text", ["1e400", "1234567890123456789.00", "-1E+18"])
def test_an_amount_out_of_range_is_refused_however_it_is_read(text: str) -> None:
    for read in (to_decimal, money):
        with pytest.raises(MoneyFormatError) as caught:
            read(text)
        assert str(caught.value) == f"amount {text!r} is out of range"


def test_amounts_parse_exactly() -> None:
    assert to_decimal(" 12.50 ") == D("12.50")
    assert str(to_decimal("71.510000")) == "71.510000"
    assert to_decimal("-0.01") == D("-0.01")
    assert to_decimal(D("1E+2")) == D("100")


@pytest.mark.parametrize(
    ("value", "mode", "expected"),
    [
        ("2.341", 0, "2.35"),  # up
        ("2.349", 1, "2.34"),  # down
        ("2.345", 2, "2.35"),  # half up
        ("2.345", 3, "2.34"),  # half down
        ("2.345", 4, "2.34"),  # half even
        ("2.355", 4, "2.36"),
        ("2.345", 5, "2.35"),  # half odd
        ("2.355", 5, "2.35"),
        ("2.346", 5, "2.35"),
    ],
)
def test_shop_round_follows_prestashops_round_mode(value: str, mode: int, expected: str) -> None:
    assert shop_round(value, mode) == D(expected)


def test_unit_prices_multiply_back() -> None:
    assert unit_price("10.00", "3") == D("3.3333")
    assert unit_price("59.90", "2") == D("29.95")
    assert price("14.880000") == D("14.88")
    assert str(price("7")) == "7.00"
    with pytest.raises(
        ValueError, match="^quantity is 0: a line without quantity has no unit price$"
    ):
        unit_price("1.00", "0")


def test_shop_round_refuses_a_mode_prestashop_does_not_have() -> None:
    with pytest.raises(
        ValueError, match=r"^round_mode 6 is not one of PrestaShop's PS_ROUND_\* modes \(0 to 5\)$"
    ):
        shop_round("2.345", 6)


@pytest.mark.parametrize(
    ("value", "mode", "expected"),
    [
        ("-2.341", 0, "-2.34"),
        ("-2.341", 1, "-2.35"),
        ("-2.345", 2, "-2.35"),
        ("-2.345", 3, "-2.34"),
        ("-2.355", 4, "-2.36"),
        ("-2.355", 5, "-2.35"),
    ],
)
def test_shop_round_of_a_negative_amount(value: str, mode: int, expected: str) -> None:
    """PS_ROUND_UP is ceil (toward +∞), DOWN floor; the half modes are symmetric around 0."""
    assert shop_round(value, mode) == D(expected)


def test_the_rounding_allowance_is_half_a_cent_per_line_only_on_the_total() -> None:
    assert [rounding_allowance(kind, 50) for kind in (1, 2, 3)] == [D("0.00"), D("0.00"), D("0.25")]
    assert rounding_allowance(3, 4) == D("0.02")


def test_converted_lines_add_up_to_the_converted_total_to_the_cent() -> None:
    rng = random.Random(13)
    for _ in range(500):
        lines = [
            {
                "amount_incl": D(rng.randint(-2000, 90_000)) / 100,
                "amount_excl": D(rng.randint(0, 80_000)) / 100,
            }
            for _ in range(rng.randint(1, 8))
        ]
        rate = D(rng.randint(5_000, 2_000_000)) / 1_000_000  # 0.005 … 2.0
        converted = converted_lines(lines, rate)
        total = money(sum((line["amount_incl"] for line in lines), D(0)) / rate)
        assert sum((line["amount_incl"] for line in converted), D(0)) == total
        for before, after in zip(lines, converted):
            assert abs(after["amount_incl"] - before["amount_incl"] / rate) < D("0.01")
            assert after["amount_excl"] == money(before["amount_excl"] / rate)


def test_amount_text_writes_what_format_f_writes_for_every_kind_of_decimal() -> None:
    edges = ["NaN", "-NaN", "sNaN", "Infinity", "-Infinity", "0", "-0", "0E-7", "0E+3", "1E+1"]
    edges += ["1.5E-7", "-0.000001", "0.0000001", "12.50", "123456789012345678901234567890"]
    values = [Decimal(text) for text in edges]
    rng = random.Random(7)
    for _ in range(20_000):
        digits = rng.randint(-(10 ** rng.randint(0, 30)), 10 ** rng.randint(0, 30))
        values.append(Decimal(digits).scaleb(rng.randint(-30, 30)))
    assert [amount_text(v) for v in values] == [format(v, "f") for v in values]
    assert amount_text(Decimal("1E+1")) == "10"


@pytest.mark.parametrize(
    ("amount", "quantity", "places"),
    [
        ("10.00", "3", 4),
        ("10.0", "3.0", 4),  # equal values written otherwise: the same unit price
        ("59.90", "2", 4),
        ("59.9000", "2", 2),
        ("7", "1", 4),
        ("7.000000", "1.00", 4),
        ("0.01", "7000", 4),
    ],
)
def test_a_unit_price_asked_again_is_the_one_worked_out(
    amount: str, quantity: str, places: int
) -> None:
    worked_out = price(D(amount) / D(quantity), places)
    assert str(unit_price(D(amount), D(quantity), places)) == str(worked_out)
    assert str(unit_price(D(amount), D(quantity), places)) == str(worked_out)


def test_a_unit_price_of_nothing_is_refused_every_time() -> None:
    for _ in range(2):
        with pytest.raises(ValueError, match="^quantity is 0: a line without quantity"):
            unit_price(D("5.00"), D("0"), 4)
