"""The canonical order's `vat_country`: the country whose VAT a sale falls under, from the
invoice address's VAT territory — Monaco's is France, for every shop's rules alike."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from mapper.engine.mapping import load_rule_set
from mapper.engine.paths import mappings_dir

MAPPINGS = mappings_dir()


def _prestashop(document: dict[str, Any]) -> None:
    for country in document["countries"].values():
        country["iso_code"] = "MC"
    for address in document["addresses"]:
        address["postcode"] = "98000"


def _woocommerce(document: dict[str, Any]) -> None:
    document["order"]["billing"].update(country="MC", postcode="98000")


def _shopify(document: dict[str, Any]) -> None:
    document["order"]["billing_address"].update(country="Monaco", country_code="MC", zip="98000")


def _lightspeed(document: dict[str, Any]) -> None:
    document["order"]["addressBillingCountry"].update(code="mc", code3="mco", title="Monaco")
    document["order"]["addressBillingZipcode"] = "98000"


MONACO: dict[str, tuple[str, Callable[[dict[str, Any]], None]]] = {
    "prestashop": ("01_domestic_two_rates_discount", _prestashop),
    "woocommerce": ("02_percent_coupon_two_rates", _woocommerce),
    "shopify": ("02_discount_code_over_two_rates", _shopify),
    "lightspeed": ("01_paid_awaiting_shipment_two_rates", _lightspeed),
}


def _canonical(shop: str, fixture: str, change: Callable[[dict[str, Any]], None] | None) -> Any:
    path = MAPPINGS / shop / "fixtures" / f"{fixture}.input.json"
    document = json.loads(path.read_text("utf-8"), parse_float=Decimal)
    if change is not None:
        change(document)
    return load_rule_set(shop).bind().apply(document)


@pytest.mark.parametrize("shop", sorted(MONACO))
def test_an_address_in_monaco_is_under_french_vat(shop: str) -> None:
    fixture, to_monaco = MONACO[shop]
    assert _canonical(shop, fixture, None)["vat_country"] == "NL"
    canonical = _canonical(shop, fixture, to_monaco)
    assert canonical["billing_address"]["country_code"] == "MC"
    assert canonical["vat_country"] == "FR"
