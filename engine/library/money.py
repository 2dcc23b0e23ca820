"""Money: Decimal from parsing to output, half-up rounding to cents, splits that add up."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
MAX_AMOUNT_DIGITS = 18  # digits before the point of an amount (a quintillion is out of range)
_QUANTS = {places: Decimal(1).scaleb(-places) for places in range(0, 9)}


class MoneyFormatError(ValueError):
    """A value that should be an amount is not one (`"12,50"`, `""`, a float)."""


# Amounts as the shops write them, parsed: Decimal once per distinct text. The same few texts
# recur within an order (a unit price read by three rules) and across orders ("4.950000",
# "21.000"); a Decimal is immutable, so one object serves every reader. Bounded: emptied when
# full. Only texts Decimal reads as a finite amount in range are kept.
MAX_PARSED = 50_000
PARSED_AMOUNTS: dict[str, Decimal] = {}
MONEY_AMOUNTS: dict[str, Decimal] = {}  # the same texts rounded to cents (`money`)


def _remember(text: str, amount: Decimal) -> None:
    if len(PARSED_AMOUNTS) >= MAX_PARSED:
        PARSED_AMOUNTS.clear()
    PARSED_AMOUNTS[text] = amount


_SMALL_INTS = {number: Decimal(number) for number in range(-1, 101)}  # 0, 1, 100: made once
EXPONENT = "E"  # what str() of a Decimal writes before an exponent (`amount_text` avoids it)


def amount_text(value: Decimal) -> str:
    """A Decimal as exact text, never in exponent notation: `format(value, "f")`, at a fifth
    of its cost — str() writes the same digits whenever it writes no exponent.

    >>> amount_text(Decimal("12.50")), amount_text(Decimal("1E+1")), amount_text(Decimal("1E-7"))
    ('12.50', '10', '0.0000001')
    """
    text = str(value)
    return text if EXPONENT not in text else format(value, "f")


def to_decimal(value: object) -> Decimal:
    """Parse an amount as the shops send it: a decimal string, an int, or a Decimal.

    >>> to_decimal("71.510000")
    Decimal('71.510000')
    >>> to_decimal(7)
    Decimal('7')

    Floats are refused: a float has already lost the cent it was meant to carry, so the fetch
    must parse JSON numbers as Decimal.
    """
    kind = type(value)
    if kind is Decimal:
        return value  # type: ignore[return-value]
    if kind is str:
        text: str = value  # type: ignore[assignment]
        found = PARSED_AMOUNTS.get(text)
        if found is not None:
            return found
        result = _amount_in(text)
        if result is not None:
            _remember(text, result)
            return result
        # not an amount, or one out of range: said below
    if kind is int:
        small = _SMALL_INTS.get(value)  # type: ignore[call-overload]
        return small if small is not None else Decimal(value)  # type: ignore[arg-type]
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise MoneyFormatError(f"expected an amount, got {value!r}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise MoneyFormatError(f"expected an amount like 12.50, got {value!r}") from None
        if not result.is_finite() or not text:
            raise MoneyFormatError(f"expected an amount like 12.50, got {value!r}")
        return _in_range(result, value)
    raise MoneyFormatError(f"expected an amount like 12.50, got {value!r}")


def _amount_in(text: str) -> Decimal | None:
    """The amount `text` writes, when it is a finite one in range (else None: `to_decimal`
    says what is wrong with it)."""
    try:
        result = Decimal(text)
    except InvalidOperation:
        return None
    return result if result.is_finite() and result.adjusted() < MAX_AMOUNT_DIGITS else None


def _in_range(result: Decimal, written: object) -> Decimal:
    """`result` unless it has more than MAX_AMOUNT_DIGITS digits before the point.

    >>> to_decimal("1e400")
    Traceback (most recent call last):
    mapper.engine.library.money.MoneyFormatError: amount '1e400' is out of range
    """
    if result and result.adjusted() >= MAX_AMOUNT_DIGITS:
        raise MoneyFormatError(f"amount {_shown(written)!r} is out of range")
    return result


def _shown(value: object) -> str:
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:40] + "…"


def round_to(value: Decimal, places: int = 2) -> Decimal:
    """Round half-up to `places` decimals.

    >>> round_to(Decimal("2.345"))
    Decimal('2.35')
    >>> round_to(Decimal("-2.345"))
    Decimal('-2.35')
    """
    try:
        # Rounding given by position: CPython's decimal parses a keyword argument at twice the
        # cost of the rounding itself (so throughout the library).
        return value.quantize(_QUANTS[places], ROUND_HALF_UP)
    except InvalidOperation:  # more digits than the context's precision holds
        raise MoneyFormatError(f"amount {_shown(value)!r} is out of range") from None


def money(value: object) -> Decimal:
    """An amount rounded half-up to cents.

    >>> money("16.505000")
    Decimal('16.51')
    """
    if type(value) is str:
        found = MONEY_AMOUNTS.get(value)
        if found is not None:
            return found
        # An order's totals are texts of its own: parsed here, not kept as parsed as well.
        parsed = PARSED_AMOUNTS.get(value) or _amount_in(value) or to_decimal(value)
        rounded = _money(parsed, value)
        if len(MONEY_AMOUNTS) >= MAX_PARSED:
            MONEY_AMOUNTS.clear()
        MONEY_AMOUNTS[value] = rounded
        return rounded
    return _money(value if type(value) is Decimal else to_decimal(value), value)


def _money(amount: Decimal, written: object) -> Decimal:
    try:
        return amount.quantize(CENT, ROUND_HALF_UP)
    except InvalidOperation:  # a Decimal from the input, past the context's precision
        raise MoneyFormatError(f"amount {_shown(written)!r} is out of range") from None


def split(total: Decimal, weights: Sequence[Decimal], places: int = 2) -> list[Decimal]:
    """Split `total` in proportion to `weights`; the parts add up to `total` exactly.

    Largest-remainder method: every part is rounded toward zero first, then the cents left
    over go to the parts that lost most in rounding (ties to the earliest).

    >>> split(Decimal("10.00"), [Decimal("1"), Decimal("1"), Decimal("1")])
    [Decimal('3.34'), Decimal('3.33'), Decimal('3.33')]
    >>> split(Decimal("-5.00"), [Decimal("121.00"), Decimal("10.90")])
    [Decimal('-4.59'), Decimal('-0.41')]
    """
    if not weights:
        raise ValueError("cannot split over no parts")
    quantum = _QUANTS[places]
    total = total.quantize(quantum, ROUND_HALF_UP)
    if len(weights) == 1 and weights[0].is_finite():
        return [total]  # what the steps below come to for one part, whatever its weight
    weight_sum = sum(weights, Decimal(0))
    if weight_sum == 0:
        shares = [Decimal(0)] * len(weights)
        shares[0] = total
        return shares
    exact = [total * w / weight_sum for w in weights]
    parts = [e.quantize(quantum, "ROUND_DOWN") for e in exact]
    left = total - sum(parts, Decimal(0))
    step = quantum if left > 0 else -quantum
    order = sorted(range(len(parts)), key=lambda i: (-abs(exact[i] - parts[i]), i))
    index = 0
    while left != 0:
        parts[order[index % len(order)]] += step
        left -= step
        index += 1
    return parts
