"""The domain functions and filters a rule may call: money, VAT, countries, addresses, dates.

Every function here is pure and documented with examples that run as tests
(tests/engine/test_engine_doctests.py). Rules reach nothing else:
this module is the whole vocabulary beyond Jinja's safe built-in filters.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Decimal,
    InvalidOperation,
)
from functools import lru_cache
from typing import Any

from .countries import country_name, eu_members, is_eu, iso_code
from .money import CENT, money, round_to, split, to_decimal
from .territories import has_territories, place_data
from .vat_rates import rates_on
from .vatnumber import VatNumber, check_vat_number, with_vies


# -- money ------------------------------------------------------------------------------------
def decimals(value: object, places: int = 2) -> Decimal:
    """Round half-up to `places` decimals.

    >>> decimals("21.000", 2), decimals("3.33335", 4)
    (Decimal('21.00'), Decimal('3.3334'))
    """
    number = value if type(value) is Decimal else to_decimal(value)
    try:
        return number.quantize(_QUANTUM[places], ROUND_HALF_UP)
    except (InvalidOperation, KeyError):
        return round_to(number, places)  # says what is out of range


def price(value: object, places: int = 4) -> Decimal:
    """A unit price: at most `places` decimals, at least 2, no trailing zeros beyond that.

    >>> price("14.880000"), price(Decimal("10") / 3), price("7")
    (Decimal('14.88'), Decimal('3.3333'), Decimal('7.00'))
    """
    return _price(value if type(value) is Decimal else to_decimal(value), places)


def _price(number: Decimal, places: int) -> Decimal:
    try:
        rounded = number.quantize(_QUANTUM[places], ROUND_HALF_UP)
    except (InvalidOperation, KeyError):
        rounded = round_to(number, places)  # says what is out of range
    cents = rounded.quantize(CENT, ROUND_HALF_UP)
    return cents if cents == rounded else rounded.normalize()


def unit_price(amount: object, quantity: object, places: int = 4) -> Decimal:
    """The unit price that multiplies back to the line amount as closely as `places` allow.

    >>> unit_price("10.00", "3"), unit_price("59.90", "2")
    (Decimal('3.3333'), Decimal('29.95'))
    """
    # Not kept by value: a line's amount is a Decimal made for this order, and hashing a new
    # Decimal costs as much as working the price out again.
    qty = quantity if type(quantity) is Decimal else to_decimal(quantity)
    if qty == _ONE:  # (Decimal with Decimal: a third of the cost of Decimal with int)
        return _price(amount if type(amount) is Decimal else to_decimal(amount), places)
    if not qty:
        raise ValueError("quantity is 0: a line without quantity has no unit price")
    return _price((amount if type(amount) is Decimal else to_decimal(amount)) / qty, places)


_QUANTUM = {places: Decimal(1).scaleb(-places) for places in range(9)}
_ZERO, _ONE, _HUNDRED = Decimal(0), Decimal(1), Decimal(100)

_SHOP_ROUNDING = {
    0: ROUND_CEILING,  # PS_ROUND_UP
    1: ROUND_FLOOR,  # PS_ROUND_DOWN
    2: ROUND_HALF_UP,
    3: ROUND_HALF_DOWN,
    4: ROUND_HALF_EVEN,
}


def shop_round(value: object, mode: object = 2, places: int = 2) -> Decimal:
    """Round as PrestaShop's Tools::ps_round does with its `round_mode` (PS_ROUND_*): 0 up
    (toward +∞), 1 down (toward −∞), 2 half up, 3 half down, 4 half even, 5 half odd (ties
    away from / toward zero, to the even / odd cent).

    >>> [shop_round("2.345", m) for m in range(6)]
    [Decimal('2.35'), Decimal('2.34'), Decimal('2.35'), Decimal('2.34'), Decimal('2.34'), Decimal('2.35')]
    >>> [shop_round("2.355", m) for m in range(6)]
    [Decimal('2.36'), Decimal('2.35'), Decimal('2.36'), Decimal('2.35'), Decimal('2.36'), Decimal('2.35')]
    >>> [shop_round("-2.345", m) for m in range(6)]
    [Decimal('-2.34'), Decimal('-2.35'), Decimal('-2.35'), Decimal('-2.34'), Decimal('-2.34'), Decimal('-2.35')]
    >>> shop_round("2.341", 0), shop_round("2.349", 1), shop_round("2.346", 3), shop_round("2.344", 5)
    (Decimal('2.35'), Decimal('2.34'), Decimal('2.35'), Decimal('2.34'))
    >>> shop_round("2.30", 0), shop_round("2.345", 7)
    Traceback (most recent call last):
    ValueError: round_mode 7 is not one of PrestaShop's PS_ROUND_* modes (0 to 5)
    """
    number = value if type(value) is Decimal else to_decimal(value)
    code = mode if type(mode) is int else int(to_decimal(mode))
    quantum = _QUANTUM[places]
    if code == 5:
        down = number.quantize(quantum, ROUND_DOWN)
        if abs(number - down) * 2 != quantum:
            return number.quantize(quantum, ROUND_HALF_UP)
        last_digit = int(down.scaleb(places)) % 10
        return down if last_digit % 2 == 1 else down + quantum.copy_sign(number)
    if code not in _SHOP_ROUNDING:
        raise ValueError(f"round_mode {code} is not one of PrestaShop's PS_ROUND_* modes (0 to 5)")
    return number.quantize(quantum, _SHOP_ROUNDING[code])


def split_over(
    total: object, lines: Iterable[Mapping[str, Any]], key: str, weight: str
) -> list[dict[str, Any]]:
    """Split `total` over the distinct values of `key` in `lines`, in proportion to the sum of
    `weight` per value; the parts add up to `total` exactly. Highest key first.

    >>> rows = [{"rate": Decimal("21"), "incl": Decimal("121.00")},
    ...         {"rate": Decimal("9"), "incl": Decimal("10.90")},
    ...         {"rate": Decimal("21"), "incl": Decimal("0.00")}]
    >>> split_over("-5.00", rows, "rate", "incl")
    [{'rate': Decimal('21'), 'weight': Decimal('121.00'), 'amount': Decimal('-4.59')}, \
{'rate': Decimal('9'), 'weight': Decimal('10.90'), 'amount': Decimal('-0.41')}]
    """
    weights: dict[Any, Decimal] = {}
    for line in lines:
        amount = line[weight]
        share = line[key]
        weights[share] = weights.get(share, _ZERO) + (
            amount if type(amount) is Decimal else to_decimal(amount)
        )
    if all(type(k) is Decimal for k in weights):  # VAT rates: the usual case, sorted as they are
        keys = sorted(weights, reverse=True)
    else:
        keys = sorted(weights, key=lambda k: to_decimal(k) if _is_number(k) else k, reverse=True)
    parts = split(
        total if type(total) is Decimal else to_decimal(total), [weights[k] for k in keys]
    )
    return [{key: k, "weight": weights[k], "amount": part} for k, part in zip(keys, parts)]


def _is_number(value: object) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


# -- VAT --------------------------------------------------------------------------------------
def vat_rate(value: object) -> Decimal:
    """A VAT percentage, normalised: a fraction below 1 is multiplied by 100 (the manual's rule),
    trailing zeros go.

    >>> vat_rate("0.21"), vat_rate("21.000"), vat_rate("5.50"), vat_rate(0)
    (Decimal('21'), Decimal('21'), Decimal('5.5'), Decimal('0'))
    """
    rate = value if type(value) is Decimal else to_decimal(value)
    if _ZERO < rate < _ONE:
        rate = rate * _HUNDRED
    rate = decimals(rate, 2)
    whole = rate.to_integral_value()
    return whole if rate == whole else rate.normalize()


def rate_between(incl: object, excl: object) -> Decimal:
    """The VAT rate, as a fraction, that turns `excl` into `incl` (0 when excl is 0).
    Rules round it (`| decimals(3)`) and normalise it (`| vat_rate`): `vat_rate_between`.

    >>> rate_between("16.510000", "13.644628").quantize(Decimal("0.001"))
    Decimal('0.210')
    >>> rate_between("10.900000", "10.000000"), rate_between("5.00", "5.00")
    (Decimal('0.09'), Decimal('0'))
    """
    gross = incl if type(incl) is Decimal else to_decimal(incl)
    net = excl if type(excl) is Decimal else to_decimal(excl)
    if not net:
        return _ZERO
    return gross / net - _ONE


def vat_number(raw: object) -> dict[str, Any]:
    """Check an EU VAT number offline; the result reads as `.valid`, `.number`, `.reason`.

    >>> vat_number("de 136.695.976")["number"], vat_number("NL123456789B01")["valid"]
    ('DE136695976', False)
    """
    result = check_vat_number(None if raw is None or raw is False else str(raw))
    return _vat_dict(result)


def _vat_dict(result: VatNumber) -> dict[str, Any]:
    return {
        "number": result.number,
        "status": result.status,
        "valid": result.valid,
        "country": result.country,
        "reason": result.reason,
    }


def vies_checked(vat: Mapping[str, Any], answers: object) -> dict[str, Any]:
    """A `vat_number(...)` result with the VIES answer for its number, when the pass brought
    one (the fetched document's `vies`: {number: answer}); else as it was.

    >>> vat = vat_number("DE136695976")
    >>> vies_checked(vat, {"DE136695976": {"status": "unverified", "checked_on": "2024-06-15",
    ...                                    "fault": "TIMEOUT"}})["status"]
    'unverified'
    >>> vies_checked(vat, None)["status"], vies_checked(vat, {})["valid"]
    ('valid', True)
    """
    number = str(vat.get("number", ""))
    answer = answers.get(number) if isinstance(answers, Mapping) else None
    if answer is None:
        return dict(vat)
    offline = VatNumber(
        number,
        str(vat.get("status", "")),
        str(vat.get("country", "")),
        str(vat.get("reason", "")),
    )
    return _vat_dict(with_vies(offline, answer))


def vat_territory(
    code: object, postcode: object = "", vat: object = "", on: object = None
) -> dict[str, Any]:
    """Where an address lies for VAT on a date (mappings/common/vat_territories.yaml): `.code`,
    `.vat_country` (Monaco: FR), `.eu_vat` (inside the EU VAT area), `.special`, `.source`.

    >>> canary = vat_territory("ES", "35001", "", "2024-05-01")
    >>> canary["code"], canary["eu_vat"], vat_territory("DE", "10115", "", "2024-05-01")["eu_vat"]
    ('IC', False, True)
    >>> vat_territory("gb", "BT1 5GS", "XI123456782", "2024-05-01")["vat_country"]
    'XI'
    """
    key = (code, on) if isinstance(code, str) and isinstance(on, str) else None
    if key is not None:
        found = _COUNTRY_PLACES.get(key)
        if found is not None:
            return dict(found)
    day = parse_date(on) if on else None
    number = vat.get("number", "") if isinstance(vat, Mapping) else vat
    place = place_data(str(code or ""), str(postcode or ""), str(number or ""), day)
    # A country without territories of its own is one place whatever the postcode and VAT
    # number: kept by country and day (a new address costs a dict lookup, not a search).
    if key is not None and day is not None and not has_territories(key[0]):
        if len(_COUNTRY_PLACES) >= 4096:
            _COUNTRY_PLACES.clear()
        _COUNTRY_PLACES[key] = place
    return dict(place)


_COUNTRY_PLACES: dict[tuple[str, str], dict[str, Any]] = {}


def vat_rates(code: object, on: object) -> dict[str, Any] | None:
    """A member state's VAT rates on a date (mappings/common/eu_vat_rates.yaml): `.standard`,
    `.rates` (standard first, as text), `.source`; None outside the EU.

    >>> vat_rates("FI", "2024-06-15")["standard"], vat_rates("FI", "2024-09-01")["standard"]
    (Decimal('24'), Decimal('25.5'))
    >>> vat_rates("US", "2024-06-15") is None
    True
    """
    period = rates_on(str(code), parse_date(on))
    if period is None:
        return None
    return {
        "country": period.country,
        "standard": period.standard,
        "rates": [format(rate, "f") for rate in period.rates],
        "from": period.start.isoformat(),
        "until": None if period.end is None else period.end.isoformat(),
        "source": period.source,
    }


def vat_rate_between(incl: object, excl: object) -> Decimal:
    """The VAT percentage that turns the price `excl` into `incl`, as a shop's order rows give
    both: `rate_between(incl, excl) | decimals(3) | vat_rate`, worked out once per pair of
    prices (a catalogue's prices come back order after order).

    >>> vat_rate_between("16.510000", "13.644628"), vat_rate_between("10.900000", "10.000000")
    (Decimal('21'), Decimal('9'))
    >>> vat_rate_between("5.00", "5.00"), vat_rate_between("5.00", "0")
    (Decimal('0'), Decimal('0'))
    """
    gross = incl if type(incl) is Decimal else to_decimal(incl)
    net = excl if type(excl) is Decimal else to_decimal(excl)
    try:
        return _kept_vat_rate_between(gross, net)
    except TypeError:  # a signalling NaN cannot be hashed: worked out (and refused) as it is
        return vat_rate(decimals(rate_between(gross, net), 3))


# Equal prices give the same rate whatever their digits (16.51, 16.510000): every step after
# the division rounds to a fixed number of places, so the prices are kept by their values.
@lru_cache(maxsize=4096)
def _kept_vat_rate_between(gross: Decimal, net: Decimal) -> Decimal:
    return vat_rate(decimals(rate_between(gross, net), 3))


# -- dates ------------------------------------------------------------------------------------
_DATE_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}")


def local_date(value: object) -> str:
    """The calendar date of a shop timestamp, in the shop's own time (its offset), ISO format.

    >>> local_date("2019-01-30 01:02:12"), local_date("2026-03-01T23:30:00+01:00")
    ('2019-01-30', '2026-03-01')
    """
    return _local_date(value if isinstance(value, str) else str(value))


_DAYS: dict[str, str] = {}  # the days read so far (a text's first ten characters), bounded


def _local_date(value: str) -> str:
    text = value.strip()
    day = _DAYS.get(text[:10])
    if day is not None:  # only a day that passed the checks below is kept
        return day
    if not _DATE_PREFIX.match(text) or text.startswith("0000-00-00"):
        raise ValueError(f"expected a date like 2019-01-30 or 2019-01-30 01:02:12, got {value!r}")
    day = dt.date.fromisoformat(text[:10]).isoformat()
    if len(_DAYS) >= 4096:
        _DAYS.clear()
    _DAYS[text[:10]] = day
    return day


def parse_date(value: object) -> dt.date:
    return _parse_date(local_date(value))


@lru_cache(maxsize=4096)
def _parse_date(iso: str) -> dt.date:
    return dt.date.fromisoformat(iso)


# -- countries and addresses --------------------------------------------------------------------
def eu(code: object, on: object = None) -> bool:
    """Whether a country was in the EU on a date (today when not given).

    >>> eu("DE"), eu("gb", "2020-06-01"), eu("GB", "2026-01-01"), eu("US")
    (True, True, False, False)
    """
    day = parse_date(on) if on else None
    return is_eu(str(code), day)


def country(code: object) -> str:
    """The ISO alpha-2 code, upper case.

    >>> country("nl"), country("EL")
    ('NL', 'GR')
    """
    return iso_code(str(code))


def name_of_country(code: object, language: str = "en") -> str:
    """The country's name from the ISO reference table.

    >>> name_of_country("NL"), name_of_country("be", "nl")
    ('Netherlands', 'België')
    """
    return country_name(str(code), language)


def choose_address(
    addresses: Sequence[Mapping[str, Any]],
    address_id: object,
    firstname: object = None,
    lastname: object = None,
) -> Mapping[str, Any] | None:
    """The address the manual says to use: the one with the order's address id; else the one
    with the customer's first and last name; else the first.

    >>> book = [{"id": 1, "firstname": "A", "lastname": "B"}, {"id": 4, "firstname": "C",
    ...          "lastname": "D"}]
    >>> choose_address(book, "4")["id"], choose_address(book, 9, "C", "D")["id"]
    (4, 4)
    >>> choose_address(book, 9, "X", "Y")["id"], choose_address([], 1)
    (1, None)
    """
    wanted = str(address_id)
    for address in addresses:
        if str(address.get("id")) == wanted:
            return address
    for address in addresses:
        if address.get("firstname") == firstname and address.get("lastname") == lastname:
            return address
    return addresses[0] if addresses else None


def digits(value: object) -> str:
    """Only the digits: an invoice number without its prefix.

    >>> digits("FA000123"), digits(17)
    ('000123', '17')
    """
    return re.sub(r"\D", "", str(value))


def number_text(value: object) -> str:
    """A number as text without exponent or needless zeros (Factuursturen wants strings).

    >>> number_text(Decimal("2.000")), number_text(Decimal("12.50"))
    ('2', '12.50')
    """
    number = to_decimal(value)
    if number == number.to_integral_value():
        return format(number.to_integral_value(), "f")
    return format(number, "f")


FILTERS: dict[str, Any] = {
    "decimal": to_decimal,
    "money": money,
    "decimals": decimals,
    "price": price,
    "vat_rate": vat_rate,
    "vat_number": vat_number,
    "local_date": local_date,
    "country": country,
    "country_name": name_of_country,
    "digits": digits,
    "number_text": number_text,
}

FUNCTIONS: dict[str, Any] = {
    "money": money,
    "decimal": to_decimal,
    "decimals": decimals,
    "unit_price": unit_price,
    "shop_round": shop_round,
    "split": lambda total, weights: split(to_decimal(total), [to_decimal(w) for w in weights]),
    "split_over": split_over,
    "vat_rate": vat_rate,
    "rate_between": rate_between,
    "vat_rate_between": vat_rate_between,
    "vat_number": vat_number,
    "vies_checked": vies_checked,
    "vat_territory": vat_territory,
    "vat_rates": vat_rates,
    "eu": eu,
    "eu_members": lambda on=None: eu_members(parse_date(on) if on else None),
    "country": country,
    "country_name": name_of_country,
    "choose_address": choose_address,
    "local_date": local_date,
    "abs": abs,
    "min": min,
    "max": max,
    "len": len,
}


def shop_line_amount(
    unit: object, quantity: object, round_type: object, round_mode: object
) -> Decimal:
    """A line total as the shop computed it: PrestaShop's `round_type` 1 rounds each item
    (Tools::ps_round of the unit price, times the quantity), 2 each line; 3 rounds only the
    order total, so the line is rounded here to the nearest cent (half-up) and the shop's own
    rounding of the total shows up as a rounding line of at most half a cent per line.

    >>> shop_line_amount("1.666666", 3, 1, 2), shop_line_amount("1.666666", 3, 2, 2)
    (Decimal('5.01'), Decimal('5.00'))
    >>> shop_line_amount("1.001000", 3, 1, 0), shop_line_amount("1.001000", 3, 2, 0)
    (Decimal('3.03'), Decimal('3.01'))
    >>> shop_line_amount("1.009000", 3, 2, 1), shop_line_amount("1.001000", 3, 3, 0)
    (Decimal('3.02'), Decimal('3.00'))
    """
    if type(unit) is Decimal and type(quantity) is Decimal and type(round_mode) is int:
        # What the rules pass for every order line: shop_round's own rounding, in place.
        rounding = _SHOP_ROUNDING.get(round_mode)
        if rounding is not None and type(round_type) is int:
            if round_type == 2:
                return (unit * quantity).quantize(CENT, rounding)
            if round_type == 1:
                return unit.quantize(CENT, rounding) * quantity
    qty = quantity if type(quantity) is Decimal else to_decimal(quantity)
    mode = round_mode if type(round_mode) is int else int(to_decimal(round_mode))
    kind = round_type if type(round_type) is int else int(to_decimal(round_type or 0))
    price = unit if type(unit) is Decimal else to_decimal(unit)
    if kind == 3:
        return money(price * qty)
    rounding = _SHOP_ROUNDING.get(mode)
    if rounding is None:  # half odd (5), or no mode at all: shop_round says which
        return shop_round(price, mode) * qty if kind == 1 else shop_round(price * qty, mode)
    if kind == 1:
        return price.quantize(CENT, rounding) * qty
    return (price * qty).quantize(CENT, rounding)


def rounding_allowance(round_type: object, lines: int) -> Decimal:
    """The largest gap the shop's own rounding can leave between its order total and the sum
    of the lines rounded to cents: none when it rounds per item (1) or per line (2) — its
    total is then exactly the sum of its rounded amounts — and, when it rounds only the total
    (3), half a cent per line plus half a cent for the total itself, in whole cents.

    >>> rounding_allowance(1, 50), rounding_allowance("2", 50), rounding_allowance(3, 50)
    (Decimal('0.00'), Decimal('0.00'), Decimal('0.25'))
    >>> rounding_allowance(3, 1), rounding_allowance(3, 2), rounding_allowance(3, 3)
    (Decimal('0.01'), Decimal('0.01'), Decimal('0.02'))
    """
    kind = round_type if type(round_type) is int else int(to_decimal(round_type or 0))
    if kind != 3:
        return Decimal("0.00")
    return (Decimal("0.005") * (int(lines) + 1)).quantize(CENT, ROUND_DOWN)


def priced_total(lines: Iterable[Mapping[str, Any]], places: int = 4) -> Decimal:
    """What an accounting system computes from unit prices of `places` decimals:
    Σ round(quantity × unit price, 2). Compared with the order total to find the gap a rounding
    line must close.

    >>> priced_total([{"amount_incl": Decimal("10.00"), "quantity": "3"}])
    Decimal('10.00')
    >>> priced_total([{"amount_incl": Decimal("100.00"), "quantity": "7000"}], 4)
    Decimal('100.10')
    """
    total = Decimal("0.00")
    for line in lines:
        qty = line["quantity"]
        qty = qty if type(qty) is Decimal else to_decimal(qty)
        amount = line["amount_incl"]
        amount = amount if type(amount) is Decimal else to_decimal(amount)
        if qty == _ONE and amount == amount.quantize(CENT):
            total += amount  # one item at a price in cents: nothing to lose
        else:
            total += round_to(qty * unit_price(amount, qty, places))
    return total


def converted_lines(lines: Iterable[Mapping[str, Any]], rate: object) -> list[dict[str, Any]]:
    """The lines in the shop's own currency: amounts in the order's currency divided by the
    order's `rate` (units of the order's currency per unit of the shop's). The converted total
    incl. VAT is rounded once; each line is converted and rounded, and the cents that rounding
    lost or gained go to the lines it moved most, so the lines add up to the total to the cent
    and each stays within a cent of its exact value. Amounts excl. VAT are converted line by
    line.

    >>> lines = [{"amount_incl": Decimal("108.00"), "amount_excl": Decimal("89.26")},
    ...          {"amount_incl": Decimal("22.68"), "amount_excl": Decimal("18.74")}]
    >>> [(ln["amount_incl"], ln["amount_excl"]) for ln in converted_lines(lines, "1.08")]
    [(Decimal('100.00'), Decimal('82.65')), (Decimal('21.00'), Decimal('17.35'))]
    >>> [ln["amount_incl"] for ln in converted_lines(
    ...     [{"amount_incl": "1.00", "amount_excl": "1.00"}] * 3, "1.5")]
    [Decimal('0.66'), Decimal('0.67'), Decimal('0.67')]
    """
    factor = to_decimal(rate)
    if factor <= 0:
        raise ValueError(f"conversion rate {factor} is not a positive number")
    items = [dict(line) for line in lines]
    if not items:
        return items
    exact = [to_decimal(item["amount_incl"]) / factor for item in items]
    parts = [money(value) for value in exact]
    # The cents the line-by-line rounding lost or gained go to the lines it moved most.
    left = money(sum(exact, Decimal(0))) - sum(parts, Decimal(0))
    step = CENT if left > 0 else -CENT
    order = sorted(range(len(parts)), key=lambda i: (-(exact[i] - parts[i]) * step, i))
    for index in order[: int(abs(left) / CENT)]:
        parts[index] += step
    for item, part in zip(items, parts):
        item["amount_incl"] = part
        item["amount_excl"] = money(to_decimal(item["amount_excl"]) / factor)
        for key in ("unit_incl", "unit_excl"):
            if key in item:
                item[key] = round_to(to_decimal(item[key]) / factor, 6)
    return items


def has_own_code(
    rows: Iterable[Mapping[str, Any]], scheme: str, country: str, rate: object
) -> bool:
    """Whether the VAT settings give `country` itself (not the '*' default) a code for
    `scheme` at `rate`.

    >>> rows = [{"scheme": "domestic", "country": "*", "rate": 0},
    ...         {"scheme": "domestic", "country": "BE", "rate": "0"}]
    >>> has_own_code(rows, "domestic", "BE", Decimal("0")), has_own_code(rows, "domestic", "DE", 0)
    (True, False)
    """
    wanted = vat_rate(rate)
    return any(
        row.get("scheme") == scheme
        and row.get("country") == country
        and vat_rate(row.get("rate")) == wanted
        for row in rows
    )


def join_parts(parts: Iterable[object], separator: str = " ") -> str:
    """The non-empty parts joined: street, number and extension without double spaces.

    >>> join_parts(["Lindengracht", "112", ""]), join_parts(["Meir", False, None, "10"])
    ('Lindengracht 112', 'Meir 10')
    """
    texts = []
    for part in parts:
        if type(part) is str:
            text = part.strip()
        elif part is None or part == False:  # noqa: E712 — 0 and False are no part either
            continue
        else:
            text = str(part).strip()
        if text:
            texts.append(text)
    return separator.join(texts)


def sum_of(items: Iterable[Mapping[str, Any]], field: str) -> Decimal:
    """The sum of one amount field over a list of lines.

    >>> sum_of([{"amount": Decimal("1.50")}, {"amount": "2.25"}], "amount")
    Decimal('3.75')
    """
    total = Decimal(0)
    for item in items:
        value = item[field]
        total += value if type(value) is Decimal else to_decimal(value)
    return total


def numbered(items: Iterable[Any], prefix: str) -> dict[str, Any]:
    """A list as an object keyed prefix1, prefix2, … (Factuursturen's `lines`).

    >>> numbered(["a", "b"], "line")
    {'line1': 'a', 'line2': 'b'}
    """
    return {f"{prefix}{number}": item for number, item in enumerate(items, 1)}


FUNCTIONS.update(
    {
        "shop_line_amount": shop_line_amount,
        "rounding_allowance": rounding_allowance,
        "converted_lines": converted_lines,
        "has_own_code": has_own_code,
        "priced_total": priced_total,
        "numbered": numbered,
        "sum_of": sum_of,
        "join_parts": join_parts,
    }
)
