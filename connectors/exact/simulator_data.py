"""Reference data of the Exact Online simulator: one Dutch division with its sales journal, VAT
codes and GL accounts, in the shapes of financial/Journals, vat/VATCodes and
financial/GLAccounts (fields from Exact's SDK models; reference FORMATS.md §10).

The codes are this project's demo set, not Exact's defaults: VAT codes are padded to 3
characters ("2  "), `Percentage` is written as a fraction (0.21) — which of fraction or percent
Exact answers is not confirmed, the client reads both. GUIDs are made up.
"""

from __future__ import annotations

from typing import Any

DIVISION = 2031987
DIVISION_NAME = "Theehuis De Vries B.V."


def _vat(code: str, description: str, percentage: str, kind: str = "E",
         transaction: str = "S", blocked: bool = False) -> dict[str, Any]:
    return {"ID": f"4c1d0000-0000-4000-8000-0000000000{len(code)}{code.strip():0>1}",
            "Code": code.ljust(3), "Description": description, "Percentage": percentage,
            "Type": kind, "VATTransactionType": transaction, "IsBlocked": blocked,
            "Charged": False, "Division": DIVISION}


VAT_CODES: tuple[dict[str, Any], ...] = (
    _vat("0", "Geen btw", "0", kind="N"),
    _vat("1", "Btw laag 9%", "0.09"),
    _vat("2", "Btw hoog 21%", "0.21"),
    _vat("3", "Leveringen naar landen binnen de EU (ICP)", "0", kind="B"),
    _vat("4", "Leveringen naar landen buiten de EU", "0", kind="B"),
    _vat("5", "Btw laag 6% (oud)", "0.06", blocked=True),
    _vat("6", "Voorbelasting hoog 21%", "0.21", transaction="P"),
)


def _gl(number: int, code: str, description: str, balance: str = "W") -> dict[str, Any]:
    return {"ID": f"9e1a0000-0000-4000-8000-{number:012d}", "Code": code,
            "Description": description, "BalanceType": balance, "BalanceSide": "C",
            "IsBlocked": False, "Type": 110 if balance == "W" else 20, "Division": DIVISION}


GL_ACCOUNTS: tuple[dict[str, Any], ...] = (
    _gl(1, "1300", "Debiteuren", balance="B"),
    _gl(2, "8000", "Omzet"),
    _gl(3, "8010", "Omzet verzendkosten"),
    _gl(4, "8020", "Omzet toeslagen"),
    _gl(5, "8900", "Betalingsverschillen en afrondingen"),
)

JOURNALS: tuple[dict[str, Any], ...] = (
    {"ID": "7a0b0000-0000-4000-8000-000000000070", "Code": "70", "Description": "Verkoopboek",
     "Type": 20, "Division": DIVISION},
    {"ID": "7a0b0000-0000-4000-8000-000000000020", "Code": "20", "Description": "Bank",
     "Type": 12, "Division": DIVISION},
)
