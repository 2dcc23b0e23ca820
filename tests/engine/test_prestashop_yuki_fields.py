"""Manual §7 details and the orders a careful accountant brings (issue 13, items 3, 7, 8)."""

from __future__ import annotations

from decimal import Decimal

from mapper.engine.mapping import Pair, Payload, Rejection
from ps_order_builder import address, customer, document, order, row

D = Decimal


def _usd_document() -> dict:
    rows = [row(501, 61, "Sneakers wit maat 42", "SNK-W42", 1, "108.00", "21"),
            row(502, 62, "Sokken katoen", "SOCK-C", 2, "11.34", "21")]
    the_order = order(4100, "DOLLARORD", rows, shipping=("4.95", "4.090909", "21.000"))
    the_order["id_currency"], the_order["conversion_rate"] = "2", "1.080000"
    return document(the_order, customer(7, "Sophie", "Fischer", "sophie@example.nl"),
                    [address(11, 7, 13, "Sophie", "Fischer")])


def _lines(payload: Payload) -> list[tuple[str, str]]:
    return [(line["Product"]["Description"], str(line["Product"]["SalesPrice"]))
            for line in payload.body["InvoiceLines"]["InvoiceLine"]]


def test_a_dollar_order_is_converted_at_its_own_rate_never_booked_as_euros() -> None:
    """135.63 USD at 1 EUR = 1.08 USD is 125.58 EUR, split over the lines to the cent."""
    pair = Pair.load("prestashop-yuki", {"prestashop": {"currencies": {"1": "EUR", "2": "USD"}}})
    outcome = pair.map(_usd_document())
    assert isinstance(outcome, Payload)
    assert _lines(outcome) == [("Sneakers wit maat 42", "100.00"), ("Sokken katoen", "10.50"),
                               ("Verzendkosten", "4.58")]
    assert outcome.body.get("Currency") is None
    assert outcome.body["Remarks"] == (
        "Bedragen omgerekend van USD naar EUR tegen de koers van de bestelling: "
        "1 EUR = 1.08 USD (totaal USD 135.63)."
    )


def test_with_send_currency_the_dollar_amounts_go_with_their_currency() -> None:
    pair = Pair.load("prestashop-yuki", {"prestashop": {"currencies": {"1": "EUR", "2": "USD"}},
                                         "yuki": {"send_currency": True}})
    outcome = pair.map(_usd_document())
    assert isinstance(outcome, Payload)
    assert outcome.body["Currency"] == "USD"
    assert _lines(outcome) == [("Sneakers wit maat 42", "108.00"), ("Sokken katoen", "11.34"),
                               ("Verzendkosten", "4.95")]


def test_an_unknown_currency_id_says_which_id_and_where_to_map_it() -> None:
    outcome = Pair.load("prestashop-yuki").map(_usd_document())
    assert isinstance(outcome, Rejection)
    assert outcome.reasons() == [
        "currency: The order's currency id 2 is not in the currency table of the settings "
        "(prestashop: currencies), so its amounts cannot be booked"
    ]


def test_a_row_without_reference_whose_product_is_gone_is_sent_without_sku() -> None:
    rows = [row(521, 65, "Kaars lavendel", "", 2, "6.95", "21")]
    doc = document(order(4300, "GONEPROD1", rows),
                   customer(7, "Sophie", "Fischer", "sophie@example.nl"),
                   [address(11, 7, 13, "Sophie", "Fischer")])
    for products in (None, {}, {"66": {"id": 66, "reference": "MATCH-1"}}):
        if products is not None:
            doc["products"] = products
        outcome = Pair.load("prestashop-yuki").map(doc)
        assert isinstance(outcome, Payload), products
        product = outcome.body["InvoiceLines"]["InvoiceLine"][0]["Product"]
        assert product.get("Reference") is None
        assert outcome.canonical["lines"][0]["sku"] == ""


def test_zero_rate_to_another_country_needs_its_own_code() -> None:
    rows = [row(511, 63, "Tijdschrift Wonen", "MAG-WON", 1, "5.00", "0"),
            row(512, 64, "Mok steengoed", "MUG-SG", 1, "12.10", "21")]
    doc = document(order(4200, "BELGIUM0", rows, shipping=("4.95", "4.090909", "21.000")),
                   customer(8, "Lotte", "Peeters", "lotte@example.be"),
                   [address(12, 8, 3, "Lotte", "Peeters", postcode="2000", city="Antwerpen")])
    outcome = Pair.load("prestashop-yuki").map(doc)
    assert isinstance(outcome, Rejection)
    assert [f.as_dict() for f in outcome.failures] == [{
        "check": "zero_rate_abroad",
        "message": "0 % VAT on 'Tijdschrift Wonen' for a customer in BE, but the order is "
                   "neither ICP nor export (VAT was charged on it): it would be booked on the "
                   "domestic 0 % code",
        "resolution": "Charge VAT on it in the shop, or, if 0 % is right for BE, give BE its "
                      "own 0 % VAT code in the VAT settings (scheme domestic, country BE, rate "
                      "0); then process the order again.",
    }]
