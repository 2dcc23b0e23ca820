"""How the webservice's JSON differs by PrestaShop version, for the simulator to answer in each shape.

- 1.6.1.x: JSON only since 1.6.0.9 and rarely used; the simulator answers it as 1.7 does.
- 1.7.x and 8.0–8.1 on PHP < 8.1: `id` an integer, every other scalar a string (`"id_customer": "1"`).
- 8.0.x–8.1.x on PHP ≥ 8.1: PDO returns integer and tinyint columns as PHP ints, so they come out
  as JSON numbers (`"id_customer": 1`, `"deleted": 0`, `"current_state": 2`; PrestaShop issue
  #31244). DECIMAL columns (every amount, `carrier_tax_rate`) stay strings: PDO gives those as
  strings. And `GET /api/?output_format=JSON` dies with a PHP fatal error, HTTP 500
  (issues #32179, #34794; seen on 8.0.3 up to 8.1.7).
- 8.2 and later: strings again.

The integer columns below are those of PrestaShop's install SQL (INT / TINYINT) among the fields the
simulator serves.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .catalog import JsonObject

_INTEGER = re.compile(r"-?\d+")

_SHOP = ("id_shop", "id_shop_group")
INTEGER_COLUMNS: Mapping[str, frozenset[str]] = {
    "orders": frozenset({
        "id_address_delivery", "id_address_invoice", "id_cart", "id_currency", "id_lang",
        "id_customer", "id_carrier", "current_state", "invoice_number", "delivery_number", "valid",
        "recyclable", "gift", "mobile_theme", "round_mode", "round_type", *_SHOP,
    }),
    "customers": frozenset({
        "id_default_group", "id_lang", "deleted", "id_gender", "newsletter", "optin",
        "show_public_prices", "id_risk", "max_payment_days", "active", "is_guest", *_SHOP,
    }),
    "addresses": frozenset({
        "id_customer", "id_manufacturer", "id_supplier", "id_warehouse", "id_country", "id_state",
        "deleted",
    }),
    "countries": frozenset({
        "id_zone", "id_currency", "call_prefix", "active", "contains_states",
        "need_identification_number", "need_zip_code", "display_tax_label",
    }),
    "products": frozenset({
        "id_manufacturer", "id_supplier", "id_category_default", "cache_default_attribute",
        "id_tax_rules_group", "id_shop_default", "quantity_discount", "cache_is_pack",
        "cache_has_attachments", "is_virtual", "state", "additional_delivery_times", "on_sale",
        "online_only", "minimal_quantity", "low_stock_threshold", "low_stock_alert",
        "customizable", "text_fields", "uploadable_files", "active", "id_type_redirected",
        "available_for_order", "show_condition", "show_price", "indexed",
        "advanced_stock_management", "pack_stock_type",
    }),
    "order_states": frozenset({
        "unremovable", "delivery", "hidden", "send_email", "invoice", "logable", "shipped",
        "paid", "pdf_delivery", "pdf_invoice", "deleted",
    }),
    "taxes": frozenset({"active", "deleted"}),
    "tax_rule_groups": frozenset({"active", "deleted"}),
    "currencies": frozenset({"precision", "deleted", "active", "unofficial", "modified"}),
    "languages": frozenset({"active", "is_rtl"}),
}
# Association entries come from SQL of their own (Order::getWsOrderRows and the like).
INTEGER_ASSOCIATION_FIELDS: Mapping[str, frozenset[str]] = {
    "order_rows": frozenset({
        "id", "product_id", "product_attribute_id", "product_quantity", "id_customization",
    }),
    "groups": frozenset({"id"}),
    "categories": frozenset({"id"}),
    "combinations": frozenset({"id"}),
}


def _parts(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version)[:4])


def json_numbers(version: str) -> bool:
    """Whether PrestaShop `version` (on PHP ≥ 8.1) gives integer columns as JSON numbers."""
    return (8, 0) <= _parts(version)[:2] <= (8, 1)


def api_root_json_fails(version: str) -> bool:
    """Whether `GET /api/?output_format=JSON` answers HTTP 500 on `version` (8.0.3–8.1.7)."""
    return (8, 0, 3) <= _parts(version)[:3] <= (8, 1, 7)


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, str) and _INTEGER.fullmatch(value) else value


def with_numbers(resource: str, row: JsonObject) -> JsonObject:
    """`row` as an 8.0–8.1 shop on PHP ≥ 8.1 gives it: integer columns as JSON numbers."""
    columns = INTEGER_COLUMNS.get(resource, frozenset())
    out = {name: _number(value) if name in columns else value for name, value in row.items()}
    associations = row.get("associations")
    if isinstance(associations, dict):
        out["associations"] = {
            name: [
                {k: _number(v) if k in INTEGER_ASSOCIATION_FIELDS.get(name, ()) else v
                 for k, v in item.items()}
                for item in items
            ]
            for name, items in associations.items()
        }
    return out
