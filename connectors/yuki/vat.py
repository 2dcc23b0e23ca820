"""Yuki's active VAT codes against what mapper sends: the manual's pre-check "for the VAT of
every line a matching VAT code exists in Yuki".

Two uses, both pure (the codes are fetched by the caller, once): the codes the tenant's yuki
settings configure (`configured_codes`, for `mapper check`) and the codes one invoice payload
uses (`payload_problem`, before the invoice is posted). A code counts as active when
ActiveVATCodesList lists it for the day in question (its start and end dates included).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from .client import VatCode

FIX = "activate {it} in Yuki or map {rate} to another code in the yuki settings (vat_codes)"


def active_types(codes: Iterable[VatCode], day: date) -> set[int]:
    """The VAT types ActiveVATCodesList lists as valid on `day`."""
    return {code.type for code in codes if code.active_on(day)}


def configured_codes(settings: Mapping[str, Any], day: date) -> list[int]:
    """The VAT types the yuki settings book with on `day`: every `vat_codes` row not ended
    before it (nor starting after it), and the rounding line's type; in ascending order."""
    types: set[int] = set()
    for row in settings.get("vat_codes") or []:
        first, last = _day(row.get("from")), _day(row.get("until"))
        if (first is None or first <= day) and (last is None or day <= last):
            types.add(int(row["type"]))
    rounding = settings.get("rounding") or {}
    if "type" in rounding:
        types.add(int(rounding["type"]))
    return sorted(types)


def inactive_message(
    types: Sequence[int], administration: str, *, rates: Sequence[str] = (), day: date | None = None
) -> str:
    """What a person reads when `types` are not active in the administration (`rates`: the
    VAT percentages they were meant for; `day`: when only that day is the problem)."""
    one = len(types) == 1
    codes = f"VAT code{'' if one else 's'} {', '.join(str(t) for t in types)}"
    if rates:
        codes += f" ({', '.join(rates)})"
    verb = "is" if one else "are"
    on = f" on {day.isoformat()}" if day is not None else ""
    fix = FIX.format(it="it" if one else "them", rate="this rate" if one else "these rates")
    return f"{codes} {verb} not active in Yuki administration {administration}{on}: {fix}"


def payload_problem(
    body: Mapping[str, Any], codes: Sequence[VatCode], administration: str
) -> str | None:
    """Why this SalesInvoice payload would be refused for its VAT codes, or None: each line's
    VATType must be active in the administration on the invoice date."""
    day = _day(body.get("Date")) or date.today()
    active = active_types(codes, day)
    missing: dict[int, set[str]] = {}
    for line in _lines(body):
        product = line.get("Product") or {}
        vat_type = str(product.get("VATType", "") or "").strip()
        if not vat_type.isdigit() or int(vat_type) in active:
            continue
        missing.setdefault(int(vat_type), set()).add(_rate(product.get("VATPercentage")))
    if not missing:
        return None
    rates = sorted({rate for found in missing.values() for rate in found if rate})
    listed_on_other_days = all(any(c.type == t for c in codes) for t in missing)
    return inactive_message(
        sorted(missing), administration, rates=rates, day=day if listed_on_other_days else None
    )


def _lines(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    lines = (body.get("InvoiceLines") or {}).get("InvoiceLine") or []
    if isinstance(lines, Mapping):
        lines = [lines]
    return [line for line in lines if isinstance(line, Mapping)]


def _rate(value: Any) -> str:
    """'9.00 %' for a VATPercentage, '' when there is none."""
    if value is None or value == "":
        return ""
    try:
        return f"{Decimal(str(value)).quantize(Decimal('0.01'))} %"
    except InvalidOperation:
        return ""


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
