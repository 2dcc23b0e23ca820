"""Reference data of the Moneybird simulator: one Dutch administration, its sales tax rates and
revenue ledger accounts, in the shapes of `tax_rates.json` and `ledger_accounts.json`.

The rate names follow Moneybird's Dutch defaults ("21% btw", "9% btw", "0% btw", "Geen btw");
the ICP and export rates are the ones a webshop adds itself (their names are this project's).
Ids are 18-digit strings, as Moneybird writes them.
"""

from __future__ import annotations

from typing import Any

ADMINISTRATION_ID = "470000000000000001"
ADMINISTRATION: dict[str, Any] = {
    "id": ADMINISTRATION_ID,
    "name": "Theehuis De Vries B.V.",
    "language": "nl",
    "currency": "EUR",
    "country": "NL",
    "time_zone": "Europe/Amsterdam",
    "access": "user",
    "suspended": False,
    "period_locked_until": None,
    "period_start_date": "2026-01-01",
}

_STAMP = "2026-01-02T09:00:00.000Z"


def _rate(rid: str, name: str, percentage: str | None, *, active: bool | None = True,
          kind: str = "sales_invoice", country: str | None = None) -> dict[str, Any]:
    return {
        "id": rid, "administration_id": ADMINISTRATION_ID, "name": name,
        "percentage": percentage, "tax_rate_type": kind, "show_tax": active, "active": active,
        "country": country, "created_at": _STAMP, "updated_at": _STAMP,
    }


TAX_RATES: tuple[dict[str, Any], ...] = (
    _rate("470000000000000101", "21% btw", "21.0"),
    _rate("470000000000000102", "9% btw", "9.0"),
    _rate("470000000000000103", "0% btw", "0.0"),
    _rate("470000000000000104", "0% btw EU", "0.0"),
    _rate("470000000000000105", "0% btw buiten EU", "0.0"),
    _rate("470000000000000106", "Geen btw", None),
    _rate("470000000000000107", "6% btw (oud)", "6.0", active=False),
    _rate("470000000000000108", "21% btw inkoop", "21.0", kind="purchase_invoice"),
)


def _account(aid: str, name: str, code: str | None, kind: str = "revenue") -> dict[str, Any]:
    return {
        "id": aid, "administration_id": ADMINISTRATION_ID, "name": name, "account_type": kind,
        "account_id": code, "parent_id": None, "created_at": _STAMP, "updated_at": _STAMP,
        "allowed_document_types": ["sales_invoice", "general_journal_document"]
        if kind == "revenue" else ["purchase_invoice", "general_journal_document"],
        "taxonomy_item": None, "financial_account_id": None,
    }


LEDGER_ACCOUNTS: tuple[dict[str, Any], ...] = (
    _account("470000000000000201", "Omzet", "8000"),
    _account("470000000000000202", "Omzet verzendkosten", "8010"),
    _account("470000000000000203", "Inkopen", "7000", kind="expenses"),
)
