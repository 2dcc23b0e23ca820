"""The division's VAT codes, GL accounts and journals, and a payload's codes checked and turned
into what Exact takes.

The rules name each line's GL account by its code ("8000") and VAT code ("2"), and the sales
journal by its code ("70"): here the GL code becomes the GLAccount's ID (a GUID of this
division), the VAT code gets Exact's padding ("2  "), and each is checked against what the
division answered (read once per pass): it exists, is not blocked, a VAT code is one for sales
with the line's percentage, a GL account is a profit-and-loss account. Anything missing
refuses the order with what to configure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ..percentages import as_percentage, percent_text
from . import odata

WHERE_VAT = "Exact Online: Stamgegevens → Btw-codes"
WHERE_GL = "Exact Online: Stamgegevens → Grootboekrekeningen"
SALES_TYPES = ("S", "B")  # VATTransactionType: sales, or both


class Unresolvable(Exception):
    """A payload names a VAT code, GL account or journal the division does not have."""


@dataclass(frozen=True)
class Resolved:
    account: dict[str, Any]
    sales_entry: dict[str, Any]


@dataclass(frozen=True)
class Division:
    """What one pass knows of the division."""

    number: int
    vat_codes: tuple[dict[str, Any], ...]
    gl_accounts: tuple[dict[str, Any], ...]
    journals: tuple[dict[str, Any], ...]

    @property
    def sales_vat_codes(self) -> list[dict[str, Any]]:
        return [c for c in self.vat_codes if str(c.get("VATTransactionType")) in SALES_TYPES
                and not c.get("IsBlocked")]

    def vat_code(self, code: Any, percentage: Any, description: str) -> str:
        """The padded VAT code, checked to be a sales code of `percentage` %."""
        wanted = odata.vat_code(str(code or ""))
        found = next((c for c in self.sales_vat_codes if str(c.get("Code")) == wanted), None)
        if found is None:
            have = ", ".join(sorted(_code(c) for c in self.sales_vat_codes)) or "none"
            raise Unresolvable(
                f"Exact Online division {self.number} has no sales VAT code '{wanted.strip()}' "
                f"(for '{description}'; it has: {have}). Add it in {WHERE_VAT}, or set the exact "
                "settings' vat_codes, icp_vat_code, export_vat_code or rounding_vat_code to one "
                "it has")
        rate, want = as_percentage(found.get("Percentage")), as_percentage(percentage)
        # Percentage is a fraction in some answers (0.21) and a number of percent in others.
        if rate is not None and rate < 1 and rate != 0:
            rate = (rate * 100).normalize()
        if want is not None and rate is not None and rate != want:
            raise Unresolvable(
                f"Exact Online VAT code '{wanted.strip()}' ({found.get('Description')}) is "
                f"{percent_text(rate)} %, but '{description}' was charged {percent_text(want)} %; set the "
                "exact settings' vat_codes to the division's code for that rate")
        return wanted

    def gl_account_id(self, code: Any, description: str) -> str:
        key = str(code or "").strip()
        usable = [a for a in self.gl_accounts if not a.get("IsBlocked")
                  and str(a.get("BalanceType") or "W") == "W"]
        found = [a for a in usable if str(a.get("Code") or "").strip() == key]
        if len(found) == 1:
            return str(found[0]["ID"])
        have = ", ".join(sorted(_code(a) for a in usable)) or "none"
        raise Unresolvable(
            f"Exact Online division {self.number} has no profit-and-loss GL account '{key}' "
            f"(for '{description}'; it has: {have}). Set the exact settings' gl_accounts to "
            f"one of them, or add it in {WHERE_GL}")

    def journal(self, code: Any) -> str:
        key = str(code or "").strip()
        if any(str(j.get("Code") or "").strip() == key for j in self.journals):
            return key
        have = ", ".join(sorted(_code(j) for j in self.journals)) or "none"
        raise Unresolvable(
            f"Exact Online division {self.number} has no journal '{key}' (it has: {have}); set "
            "the exact settings' journal to its sales journal")

    def resolve(self, body: Mapping[str, Any]) -> Resolved:
        account, entry = body.get("account"), body.get("sales_entry")
        if not isinstance(account, Mapping) or not isinstance(entry, Mapping):
            raise Unresolvable("payload needs an 'account' and a 'sales_entry' object")
        lines = []
        for line in entry.get("SalesEntryLines") or []:
            description = str(line.get("Description", ""))
            # VATPercentage is checked here, not sent: whether Exact wants a fraction or a
            # number of percent is not confirmed, and the VAT code carries it anyway.
            resolved = {k: v for k, v in line.items() if k != "VATPercentage"}
            resolved["GLAccount"] = self.gl_account_id(line.get("GLAccount"), description)
            resolved["VATCode"] = self.vat_code(line.get("VATCode"), line.get("VATPercentage"),
                                                description)
            for money in ("AmountFC", "VATAmountFC", "Quantity"):
                if money in resolved:
                    resolved[money] = _number(resolved[money], money)
            lines.append(resolved)
        return Resolved(dict(account), {**entry, "Journal": self.journal(entry.get("Journal")),
                                        "SalesEntryLines": lines})


def _number(value: Any, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise Unresolvable(f"line {field} {value!r} is not a number") from None
    return number


def _code(record: Mapping[str, Any]) -> str:
    code = str(record.get("Code") or "").strip()
    return f"{code} {record.get('Description')}" if record.get("Description") else code
