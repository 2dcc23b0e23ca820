"""VAT percentages as accounting systems list them (`21`, `"21.0"`, `0.21` is not one): read
for comparison, and written back as plain digits in messages."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any


def as_percentage(value: Any) -> Decimal | None:
    """The percentage normalised (`"21.00"` and `21` are equal), None when it is none.

    >>> as_percentage("21.00") == as_percentage(21), as_percentage(""), as_percentage("n/a")
    (True, None, None)
    """
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value)).normalize()
    except InvalidOperation:
        return None


def percent_text(value: Decimal) -> str:
    """`21`, `5.5`: a percentage for a message, never in exponent form.

    >>> percent_text(Decimal("2.1E+1"))
    '21'
    """
    return format(value, "f")
