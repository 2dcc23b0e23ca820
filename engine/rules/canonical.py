"""The canonical order between the two stages: typed in memory, strings in JSON.

Target rules compute with the amounts, so a canonical order read from JSON (a fixture, a
stored example) gets its amounts back as Decimal here.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..paths import schema_validator
from .render import plain

_TOTALS = ("incl", "excl", "vat", "paid")
_LINE_NUMBERS = ("quantity", "vat_rate", "amount_incl", "amount_excl", "unit_incl", "unit_excl")


def from_json(data: dict[str, Any]) -> dict[str, Any]:
    order = dict(data)
    order["totals"] = {
        key: Decimal(value) if key in _TOTALS else value for key, value in data["totals"].items()
    }
    order["lines"] = [
        {key: Decimal(value) if key in _LINE_NUMBERS else value for key, value in line.items()}
        for line in data["lines"]
    ]
    return order


def problems(order: dict[str, Any]) -> list[str]:
    """Where a canonical order breaks schemas/canonical-order.schema.json (empty when valid)."""
    return [
        f"{'.'.join(str(p) for p in error.absolute_path) or '(order)'}: {error.message}"
        for error in schema_validator("canonical-order").iter_errors(plain(order))
    ]
