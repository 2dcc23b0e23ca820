"""Yuki's active VAT codes against the settings (`mapper check`) and against one invoice payload
(the pre-check before posting): which codes count, and the exact message a person reads."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from mapper.connectors.yuki.client import VatCode
from mapper.connectors.yuki.vat import configured_codes, payload_problem

ADMINISTRATION = "5d2c7f0e-1a64-4c3e-9f0b-6a1d2e3f4a5b"
ACTIVE = [
    VatCode(1, "BTW 21%", "VAT high", Decimal("21.00"), None, None, None),
    VatCode(2, "BTW 9%", "VAT low", Decimal("9.00"), None, None, date(2025, 12, 31)),
    VatCode(40, "OSS DE", "OSS", Decimal("19.00"), "DE", date(2021, 7, 1), None),
]


def invoice(day: str, *lines: tuple[Any, Any]) -> dict[str, Any]:
    return {
        "Subject": "Bestelling XKBKNABJK",
        "Date": day,
        "InvoiceLines": {
            "InvoiceLine": [
                {"ProductQuantity": 1, "Product": {"VATType": vat_type, "VATPercentage": rate}}
                for vat_type, rate in lines
            ]
        },
    }


def test_the_codes_checked_are_the_settings_rows_in_force_and_the_rounding_line() -> None:
    settings = {
        "vat_codes": [
            {"scheme": "domestic", "country": "*", "rate": 21, "type": 1, "gl_account": "8000"},
            {"scheme": "domestic", "country": "*", "rate": 6, "type": 5, "gl_account": "8010",
             "until": "2018-12-31"},
            {"scheme": "oss", "country": "DE", "rate": 19, "type": 40, "gl_account": "8300",
             "from": "2021-07-01"},
            {"scheme": "domestic", "country": "*", "rate": 9, "type": 2, "gl_account": "8010"},
        ],
        "rounding": {"description": "Afronding", "type": 3, "gl_account": "8990"},
    }
    assert configured_codes(settings, date(2026, 3, 2)) == [1, 2, 3, 40]
    assert configured_codes(settings, date(2018, 6, 1)) == [1, 2, 3, 5]


def test_a_payload_whose_codes_are_all_active_passes() -> None:
    body = invoice("2026-03-02", (1, "21.00"), ("40", "19.00"))
    assert payload_problem(body, ACTIVE, ADMINISTRATION) is None


def test_an_unknown_code_is_named_with_its_rate_and_what_to_configure() -> None:
    body = invoice("2026-03-02", ("1", "21.00"), ("4", "0.00"), ("4", "0"))
    assert payload_problem(body, ACTIVE, ADMINISTRATION) == (
        f"VAT code 4 (0.00 %) is not active in Yuki administration {ADMINISTRATION}: activate it "
        "in Yuki or map this rate to another code in the yuki settings (vat_codes)"
    )


def test_codes_outside_their_dates_name_the_invoice_date() -> None:
    body = invoice("2025-12-31", (2, Decimal("9.00")), (40, Decimal("19.00")))
    assert payload_problem(body, ACTIVE, ADMINISTRATION) is None
    old = invoice("2021-06-30", (2, Decimal("9.00")), (40, Decimal("19.00")))
    assert payload_problem(old, ACTIVE, ADMINISTRATION) == (
        f"VAT code 40 (19.00 %) is not active in Yuki administration {ADMINISTRATION} on "
        "2021-06-30: activate it in Yuki or map this rate to another code in the yuki settings "
        "(vat_codes)"
    )
    late = invoice("2026-01-05", (2, "9.00"), (7, "5.5"))
    assert payload_problem(late, ACTIVE, ADMINISTRATION) == (
        f"VAT codes 2, 7 (5.50 %, 9.00 %) are not active in Yuki administration "
        f"{ADMINISTRATION}: activate them in Yuki or map these rates to another code in the yuki "
        "settings (vat_codes)"
    )
