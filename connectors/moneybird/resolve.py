"""The administration's tax rates and ledger accounts, and a payload's names turned into ids.

The rules name a detail's tax rate (`{"percentage": "21"}`, or `{"name": "0% btw EU"}`) and its
ledger account (a code such as "8000", or a name): the 18-digit ids belong to one
administration, so they are looked up here, in what `tax_rates.json` and `ledger_accounts.json`
answered (read once per pass). A name with no active match, or a percentage with none or with
several, refuses the order with what to configure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..percentages import as_percentage, percent_text

SALES = "sales_invoice"
REVENUE = "revenue"
WHERE_RATES = "Moneybird: Instellingen → Btw-tarieven"


class Unresolvable(Exception):
    """A payload names a tax rate or ledger account the administration does not have."""


@dataclass(frozen=True)
class Resolved:
    """The two request bodies: `contact` and `sales_invoice` with ids instead of names."""

    contact: dict[str, Any]
    sales_invoice: dict[str, Any]


@dataclass(frozen=True)
class Administration:
    """What one pass knows of the administration: its tax rates and ledger accounts."""

    label: str  # how messages name it, e.g. "'Theehuis B.V.'" or its id
    tax_rates: tuple[dict[str, Any], ...]
    ledger_accounts: tuple[dict[str, Any], ...]

    @property
    def sales_rates(self) -> list[dict[str, Any]]:
        """Active tax rates for sales invoices (`active` null counts as active)."""
        return [rate for rate in self.tax_rates
                if rate.get("tax_rate_type") == SALES and rate.get("active") is not False]

    def tax_rate_id(self, spec: Any, description: str) -> str:
        """The id of the one active sales rate `spec` names."""
        if not isinstance(spec, Mapping):
            raise Unresolvable(f"detail '{description}': tax_rate must be an object")
        name = str(spec.get("name") or "").strip()
        percentage = as_percentage(spec.get("percentage"))
        rates = self.sales_rates
        if name:
            matches = [r for r in rates if str(r.get("name", "")).strip().casefold()
                       == name.casefold() and (percentage is None
                                               or as_percentage(r.get("percentage")) == percentage)]
            what = f"named '{name}'"
        elif percentage is not None:
            matches = [r for r in rates
                       if as_percentage(r.get("percentage")) == percentage and not r.get("country")]
            what = f"of {percent_text(percentage)} %"
        else:
            raise Unresolvable(f"detail '{description}': tax_rate names no percentage or name")
        if len(matches) == 1:
            return str(matches[0]["id"])
        have = ", ".join(sorted(str(r.get("name")) for r in rates)) or "none"
        if not matches:
            raise Unresolvable(
                f"Moneybird administration {self.label} has no active sales tax rate {what} "
                f"(for '{description}'; it has: {have}). Add it in {WHERE_RATES}, or name one "
                "it has in the moneybird settings (tax_rate_names, icp_tax_rate, "
                "export_tax_rate, rounding_tax_rate)"
            )
        names = ", ".join(sorted(str(r.get("name")) for r in matches))
        raise Unresolvable(
            f"Moneybird administration {self.label} has {len(matches)} active sales tax rates "
            f"{what} ({names}); name the one to use in the moneybird settings' tax_rate_names"
        )

    def ledger_account_id(self, wanted: Any, description: str) -> str:
        """The id of the revenue ledger account whose code (`account_id`) or name is `wanted`."""
        key = str(wanted or "").strip()
        accounts = [a for a in self.ledger_accounts
                    if a.get("account_type") == REVENUE and a.get("active") is not False]
        matches = [a for a in accounts if str(a.get("account_id") or "") == key] or [
            a for a in accounts if str(a.get("name", "")).strip().casefold() == key.casefold()]
        if len(matches) == 1:
            return str(matches[0]["id"])
        have = ", ".join(sorted(_account(a) for a in accounts)) or "none"
        problem = "no" if not matches else f"{len(matches)}"
        raise Unresolvable(
            f"Moneybird administration {self.label} has {problem} revenue ledger accounts with "
            f"code or name '{key}' (for '{description}'; it has: {have}). Set the moneybird "
            "settings' ledger_accounts to one of them, or add it in Moneybird"
        )

    def resolve(self, body: Mapping[str, Any]) -> Resolved:
        """The payload of the rules as the two request bodies; Unresolvable when it cannot."""
        contact, invoice = body.get("contact"), body.get("sales_invoice")
        if not isinstance(contact, Mapping) or not isinstance(invoice, Mapping):
            raise Unresolvable("payload needs a 'contact' and a 'sales_invoice' object")
        details = []
        for detail in invoice.get("details_attributes") or []:
            description = str(detail.get("description", ""))
            resolved = {k: v for k, v in detail.items() if k not in ("tax_rate", "ledger_account")}
            resolved["tax_rate_id"] = self.tax_rate_id(detail.get("tax_rate"), description)
            resolved["ledger_account_id"] = self.ledger_account_id(
                detail.get("ledger_account"), description)
            details.append(resolved)
        return Resolved(dict(contact), {**invoice, "details_attributes": details})


def _account(account: Mapping[str, Any]) -> str:
    code = account.get("account_id")
    return f"{account.get('name')} ({code})" if code else str(account.get("name"))
