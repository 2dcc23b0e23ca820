"""What the simulator knows about each PrestaShop resource: names, fields, links, associations.

The same facts PrestaShop's `webserviceParameters` give its output builder: the node names
(`orders` / `order`), which fields link to another resource (rendered with `xlink:href` in XML),
which are computed by a getter (`notFilterable="true"`, not usable in a filter), and how the
associations are rendered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .catalog import JsonObject


@dataclass(frozen=True)
class AssociationSpec:
    name: str  # "order_rows"
    item: str  # node name of one entry: "order_row"
    fields: tuple[str, ...]
    virtual: bool = False  # rendered with virtualEntity="true" instead of api="..."
    api: str | None = None
    item_link: str | None = None  # resource an entry's id links to (xlink:href on the entry)


@dataclass(frozen=True)
class ResourceSpec:
    name: str  # "orders"
    singular: str  # "order"
    fields: tuple[str, ...]
    links: Mapping[str, str] = field(default_factory=dict)
    getters: frozenset[str] = frozenset()
    i18n: frozenset[str] = frozenset()
    associations: tuple[AssociationSpec, ...] = ()
    description: str = ""
    # The list's node name where it is not the URL's: /api/order_slip lists `order_slips`.
    plural: str = ""

    @property
    def nodes(self) -> str:
        """The list's node name (XML element, JSON key)."""
        return self.plural or self.name

    def association(self, name: str) -> AssociationSpec | None:
        return next((a for a in self.associations if a.name == name), None)

    @property
    def filterable(self) -> tuple[str, ...]:
        """Fields PrestaShop lets a filter or sort use (date fields only with `date=1`)."""
        return tuple(f for f in self.fields if f not in self.getters and f not in self.i18n)


def spec_from_sample(
    name: str,
    singular: str,
    sample: JsonObject,
    *,
    links: Mapping[str, str] | None = None,
    getters: frozenset[str] = frozenset(),
    associations: tuple[AssociationSpec, ...] = (),
    description: str = "",
    plural: str = "",
) -> ResourceSpec:
    """A spec whose field list and i18n fields are read off one object of the resource."""
    fields = tuple(k for k in sample if k != "associations")
    i18n = frozenset(k for k in fields if isinstance(sample[k], list))
    return ResourceSpec(
        name, singular, fields, dict(links or {}), getters, i18n, associations, description,
        plural,
    )


ORDER_ROW_FIELDS = (
    "id", "product_id", "product_attribute_id", "product_quantity", "product_name",
    "product_reference", "product_ean13", "product_isbn", "product_upc", "product_price",
    "id_customization", "unit_price_tax_incl", "unit_price_tax_excl",
)

ORDER_LINKS = {
    "id_address_delivery": "addresses", "id_address_invoice": "addresses", "id_cart": "carts",
    "id_currency": "currencies", "id_lang": "languages", "id_customer": "customers",
    "id_carrier": "carriers", "current_state": "order_states",
}
ORDER_ASSOCIATIONS = (
    AssociationSpec("order_rows", "order_row", ORDER_ROW_FIELDS, virtual=True),
)
# Credit slips (GET /api/order_slip/{id}), the fields of PrestaShop 8's OrderSlip in its order
# (reference: the blank schema order_slip?schema=blank), with order_slip_details.
ORDER_SLIP_FIELDS = (
    "id", "id_customer", "id_order", "conversion_rate", "total_products_tax_excl",
    "total_products_tax_incl", "total_shipping_tax_excl", "total_shipping_tax_incl", "amount",
    "shipping_cost", "shipping_cost_amount", "partial", "date_add", "date_upd",
    "order_slip_type",
)
ORDER_SLIP_LINKS = {"id_customer": "customers", "id_order": "orders"}
ORDER_SLIP_ASSOCIATIONS = (
    AssociationSpec(
        "order_slip_details", "order_slip_detail",
        ("id", "id_order_detail", "product_quantity", "amount_tax_excl", "amount_tax_incl"),
        virtual=True,
    ),
)
CUSTOMER_LINKS = {"id_default_group": "groups", "id_lang": "languages"}
CUSTOMER_ASSOCIATIONS = (
    AssociationSpec("groups", "group", ("id",), api="groups", item_link="groups"),
)
ADDRESS_LINKS = {"id_customer": "customers", "id_country": "countries", "id_state": "states"}
COUNTRY_LINKS = {"id_zone": "zones", "id_currency": "currencies"}
PRODUCT_LINKS = {
    "id_manufacturer": "manufacturers", "id_supplier": "suppliers",
    "id_category_default": "categories", "id_default_combination": "combinations",
    "id_tax_rules_group": "tax_rule_groups",
}
PRODUCT_GETTERS = frozenset({
    "id_default_image", "id_default_combination", "position_in_category", "manufacturer_name",
    "quantity", "type",
})
PRODUCT_ASSOCIATIONS = (
    AssociationSpec("categories", "category", ("id",), api="categories", item_link="categories"),
    AssociationSpec("combinations", "combination", ("id",), api="combinations",
                    item_link="combinations"),
)

# Every resource a PrestaShop 8 webservice knows (`WebserviceRequest::getResources`), so that an
# unknown name gets "does not exist, did you mean" and a known one without permission gets 401.
KNOWN_RESOURCES = (
    "addresses", "attachments", "carriers", "cart_rules", "carts", "categories", "combinations",
    "configurations", "contacts", "content_management_system", "countries", "currencies",
    "customer_messages", "customer_threads", "customers", "customizations", "deliveries",
    "employees", "groups", "guests", "image_types", "images", "languages", "manufacturers",
    "messages", "order_carriers", "order_cart_rules", "order_details", "order_histories",
    "order_invoices", "order_payments", "order_slip", "order_states", "orders", "price_ranges",
    "product_customization_fields", "product_feature_values", "product_features",
    "product_option_values", "product_options", "product_suppliers", "products", "search",
    "shop_groups", "shop_urls", "shops", "specific_price_rules", "specific_prices", "states",
    "stock_availables", "stock_movement_reasons", "stock_movements", "stocks", "stores",
    "suppliers", "supply_order_details", "supply_order_histories",
    "supply_order_receipt_histories", "supply_order_states", "supply_orders", "tags",
    "tax_rule_groups", "tax_rules", "taxes", "translated_configurations", "warehouse_product_locations",
    "warehouses", "weight_ranges", "zones",
)
