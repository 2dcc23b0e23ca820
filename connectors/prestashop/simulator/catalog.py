"""The simulated shop's reference data: languages, countries, taxes, currencies, order states, products.

A Dutch tea shop (shop country NL, currency EUR) whose ids follow the PrestaShop demo install
(countries 1 = DE, 3 = BE, 8 = FR, 13 = NL, 17 = GB, 21 = US; order states 1–14; tax 23 = "BTW NL
21%"). Every object is held exactly as PrestaShop's JSON output gives it: `id` an integer, every
other scalar a string, i18n fields as `[{"id": "1", "value": ...}, {"id": "2", ...}]` (the shop has
two languages, so PrestaShop lists both), associations as lists of objects with string values.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

JsonObject = dict[str, Any]

LANGUAGE_IDS = ("1", "2")  # 1 = English, 2 = Dutch
SHOP_NAME = "De Theepot"
SHOP_CREATED = "2023-03-01 09:00:00"


def i18n(english: str, dutch: str | None = None) -> list[dict[str, str]]:
    """An i18n field's value in both shop languages."""
    return [{"id": "1", "value": english}, {"id": "2", "value": english if dutch is None else dutch}]


def six(amount: Decimal) -> str:
    """An amount as PrestaShop stores it: a decimal string with 6 decimals ("71.510000")."""
    return f"{amount.quantize(Decimal('0.000001'), rounding=ROUND_HALF_UP):f}"


LANGUAGES: list[JsonObject] = [
    {
        "id": 1, "name": "English (English)", "iso_code": "en", "locale": "en-US",
        "language_code": "en-us", "active": "1", "is_rtl": "0",
        "date_format_lite": "m/d/Y", "date_format_full": "m/d/Y H:i:s",
    },
    {
        "id": 2, "name": "Nederlands (Dutch)", "iso_code": "nl", "locale": "nl-NL",
        "language_code": "nl-nl", "active": "1", "is_rtl": "0",
        "date_format_lite": "d-m-Y", "date_format_full": "d-m-Y H:i:s",
    },
]


def _country(
    cid: int, zone: str, prefix: str, iso: str, states: str, zip_format: str, en: str, nl: str
) -> JsonObject:
    return {
        "id": cid, "id_zone": zone, "id_currency": "0", "call_prefix": prefix, "iso_code": iso,
        "active": "1", "contains_states": states, "need_identification_number": "0",
        "need_zip_code": "1", "zip_code_format": zip_format,
        "display_tax_label": "0" if iso == "US" else "1", "name": i18n(en, nl),
    }


COUNTRIES: list[JsonObject] = [
    _country(1, "1", "49", "DE", "0", "NNNNN", "Germany", "Duitsland"),
    _country(3, "1", "32", "BE", "0", "NNNN", "Belgium", "België"),
    _country(8, "1", "33", "FR", "0", "NNNNN", "France", "Frankrijk"),
    _country(13, "1", "31", "NL", "0", "NNNN LL", "Netherlands", "Nederland"),
    _country(17, "7", "44", "GB", "0", "", "United Kingdom", "Verenigd Koninkrijk"),
    _country(21, "2", "1", "US", "1", "NNNNN", "United States", "Verenigde Staten"),
]
COUNTRY_ID = {str(c["iso_code"]): int(c["id"]) for c in COUNTRIES}
EU_COUNTRIES = frozenset({"NL", "BE", "DE", "FR"})

TAXES: list[JsonObject] = [
    {"id": 1, "rate": "20.000", "active": "1", "deleted": "0", "name": i18n("VAT UK 20%")},
    {"id": 4, "rate": "21.000", "active": "1", "deleted": "0", "name": i18n("TVA BE 21%")},
    {"id": 8, "rate": "19.000", "active": "1", "deleted": "0", "name": i18n("MwSt. DE 19%")},
    {"id": 13, "rate": "20.000", "active": "1", "deleted": "0", "name": i18n("TVA FR 20%")},
    {"id": 23, "rate": "21.000", "active": "1", "deleted": "0", "name": i18n("BTW NL 21%")},
    {"id": 30, "rate": "9.000", "active": "1", "deleted": "0", "name": i18n("BTW NL 9%")},
]

TAX_RULE_GROUPS: list[JsonObject] = [
    {
        "id": 1, "name": "NL Standard Rate (21%)", "active": "1", "deleted": "0",
        "date_add": SHOP_CREATED, "date_upd": SHOP_CREATED,
    },
    {
        "id": 2, "name": "NL Reduced Rate (9%)", "active": "1", "deleted": "0",
        "date_add": SHOP_CREATED, "date_upd": SHOP_CREATED,
    },
]
TAX_RULES_GROUP_OF_RATE = {Decimal("21"): "1", Decimal("9"): "2"}

CURRENCIES: list[JsonObject] = [
    {
        "id": 1, "names": i18n("Euro", "euro"), "name": "Euro", "symbol": i18n("€"),
        "iso_code": "EUR", "numeric_iso_code": "978", "precision": "2",
        "conversion_rate": "1.000000", "deleted": "0", "active": "1", "unofficial": "0",
        "modified": "0", "pattern": i18n("¤#,##0.00", "¤ #,##0.00;¤ -#,##0.00"),
    },
]


def _state(
    sid: int, en: str, nl: str, template: str, color: str, *, module: str = "",
    paid: bool = False, invoice: bool = False, logable: bool = False, shipped: bool = False,
    delivery: bool = False, send_email: bool = True, pdf_invoice: bool = False,
) -> JsonObject:
    flag = {True: "1", False: "0"}
    return {
        "id": sid, "unremovable": "1", "delivery": flag[delivery], "hidden": "0",
        "send_email": flag[send_email], "module_name": module, "invoice": flag[invoice],
        "color": color, "logable": flag[logable], "shipped": flag[shipped], "paid": flag[paid],
        "pdf_delivery": "0", "pdf_invoice": flag[pdf_invoice], "deleted": "0",
        "name": i18n(en, nl), "template": i18n(template),
    }


# Ids, names and flags as the PrestaShop 1.6 demo install has them.
ORDER_STATES: list[JsonObject] = [
    _state(1, "Awaiting check payment", "In afwachting van betaling per cheque", "cheque",
           "#4169E1", module="ps_checkpayment"),
    _state(2, "Payment accepted", "Betaling aanvaard", "payment", "#32CD32",
           paid=True, invoice=True, logable=True, pdf_invoice=True),
    _state(3, "Processing in progress", "Wordt verwerkt", "preparation", "#FF8C00",
           paid=True, invoice=True, logable=True, delivery=True),
    _state(4, "Shipped", "Verzonden", "shipped", "#8A2BE2",
           paid=True, invoice=True, logable=True, shipped=True, delivery=True),
    _state(5, "Delivered", "Afgeleverd", "", "#108510", paid=True, invoice=True, logable=True,
           shipped=True, delivery=True, send_email=False),
    _state(6, "Canceled", "Geannuleerd", "order_canceled", "#DC143C"),
    _state(7, "Refunded", "Terugbetaald", "refund", "#ec2e15", invoice=True),
    _state(8, "Payment error", "Betalingsfout", "payment_error", "#8f0621"),
    _state(9, "On backorder (paid)", "In nabestelling (betaald)", "outofstock", "#FF69B4",
           paid=True, invoice=True),
    _state(10, "Awaiting bank wire payment", "In afwachting van bankoverschrijving", "bankwire",
           "#4169E1", module="ps_wirepayment"),
    _state(11, "Awaiting PayPal payment", "In afwachting van PayPal-betaling", "", "#4169E1",
           send_email=False),
    _state(12, "Remote payment accepted", "Betaling op afstand aanvaard", "payment", "#32CD32",
           paid=True, invoice=True, logable=True),
    _state(13, "On backorder (not paid)", "In nabestelling (niet betaald)", "outofstock",
           "#FF69B4"),
    _state(14, "Awaiting Cash On Delivery validation", "In afwachting van rembours-bevestiging",
           "cashondelivery", "#4169E1", module="ps_cashondelivery", send_email=False),
]
STATE_BY_ID = {int(s["id"]): s for s in ORDER_STATES}


def state_flag(state_id: int, flag: str) -> bool:
    """Whether the order state `state_id` has `flag` ("paid", "invoice", "logable", ...) set."""
    state = STATE_BY_ID.get(state_id)
    return state is not None and state[flag] == "1"


# (id, reference, English name, Dutch name, price incl. VAT, VAT rate, combination options)
_CATALOGUE: list[tuple[int, str, str, str, str, str, tuple[str, ...]]] = [
    (1, "TEA-EARL-100", "Earl Grey loose leaf tea 100 g", "Earl Grey losse thee 100 g",
     "6.95", "9", ()),
    (2, "TEA-SENCHA-100", "Japanese Sencha 100 g", "Japanse Sencha 100 g", "8.50", "9", ()),
    (3, "TEA-ROOIBOS-250", "Rooibos vanilla 250 g", "Rooibos vanille 250 g", "9.95", "9", ()),
    (4, "TEA-CHAI-100", "Spiced chai 100 g", "Kruidige chai 100 g", "7.25", "9", ()),
    (5, "BOOK-TEA-ATLAS", "The Tea Atlas (book)", "De Thee-atlas (boek)", "29.95", "9", ()),
    (6, "POT-CAST-800", "Cast iron teapot 0.8 l", "Gietijzeren theepot 0,8 l", "49.95", "21", ()),
    (7, "POT-GLASS-1200", "Glass teapot with infuser 1.2 l", "Glazen theepot met filter 1,2 l",
     "34.95", "21", ()),
    (8, "MUG-STONE", "Stoneware mug", "Stenen mok", "12.50", "21",
     ("Color : Blue", "Color : Green", "Color : Sand")),
    (9, "CUP-SET-4", "Set of 4 tea cups", "Set van 4 theekopjes", "24.95", "21", ()),
    (10, "KETTLE-TEMP", "Temperature kettle 1.7 l", "Temperatuurwaterkoker 1,7 l",
     "79.00", "21", ()),
    (11, "TIN-500", "Tea tin 500 ml", "Theeblik 500 ml", "9.95", "21", ()),
    (12, "TSHIRT-TEATIME", "T-shirt Tea Time", "T-shirt Theetijd", "19.95", "21",
     ("Size : S", "Size : M", "Size : L", "Size : XL")),
    (13, "HONEY-250", "Acacia honey 250 g", "Acaciahoning 250 g", "6.50", "9", ()),
    # Hand-made and seasonal items carry no reference: the rules need the product resource.
    (14, "", "Handmade ceramic bowl", "Handgemaakte keramische kom", "18.00", "21", ()),
    (15, "", "Seasonal tasting set", "Proefset van het seizoen", "15.95", "9", ()),
]


class CatalogueItem:
    """What an order line needs to know about a product."""

    __slots__ = ("id", "reference", "names", "price_incl", "rate", "options", "ean13")

    def __init__(
        self, pid: int, reference: str, names: dict[str, str], price_incl: Decimal,
        rate: Decimal, options: tuple[str, ...],
    ) -> None:
        self.id = pid
        self.reference = reference
        self.names = names  # by language id
        self.price_incl = price_incl
        self.rate = rate
        self.options = options
        self.ean13 = "" if not reference else f"87{pid:011d}"

    @property
    def price_excl(self) -> Decimal:
        return (self.price_incl / (1 + self.rate / 100)).quantize(
            Decimal("0.000001"), rounding=ROUND_HALF_UP
        )


CATALOGUE = {
    pid: CatalogueItem(pid, ref, {"1": en, "2": nl}, Decimal(price), Decimal(rate), options)
    for pid, ref, en, nl, price, rate, options in _CATALOGUE
}
UNREFERENCED_PRODUCT_IDS = tuple(pid for pid, item in CATALOGUE.items() if not item.reference)
REFERENCED_PRODUCT_IDS = tuple(pid for pid, item in CATALOGUE.items() if item.reference)


def _product(pid: int, ref: str, en: str, nl: str, rate: str, options: tuple[str, ...]) -> JsonObject:
    item = CATALOGUE[pid]
    slug = en.lower().replace(" ", "-").replace(".", "")
    category = "3" if rate == "9" else "4"
    has_combinations = bool(options)
    return {
        "id": pid, "id_manufacturer": "0", "id_supplier": "0", "id_category_default": category,
        "new": "", "cache_default_attribute": f"{pid * 10 + 1}" if has_combinations else "0",
        "id_default_image": "", "id_default_combination": f"{pid * 10 + 1}" if has_combinations
        else "0", "id_tax_rules_group": TAX_RULES_GROUP_OF_RATE[Decimal(rate)],
        "position_in_category": "0", "manufacturer_name": "", "quantity": "25",
        "type": "simple", "id_shop_default": "1", "reference": ref, "supplier_reference": "",
        "location": "", "width": "0.000000", "height": "0.000000", "depth": "0.000000",
        "weight": "0.350000", "quantity_discount": "0", "ean13": item.ean13, "isbn": "",
        "upc": "", "mpn": "", "cache_is_pack": "0", "cache_has_attachments": "0",
        "is_virtual": "0", "state": "1", "additional_delivery_times": "1",
        "delivery_in_stock": i18n(""), "delivery_out_stock": i18n(""),
        "on_sale": "0", "online_only": "0",
        "ecotax": "0.000000", "minimal_quantity": "1", "low_stock_threshold": "",
        "low_stock_alert": "0", "price": six(item.price_excl), "wholesale_price": "0.000000",
        "unity": "", "unit_price_ratio": "0.000000", "additional_shipping_cost": "0.000000",
        "customizable": "0", "text_fields": "0", "uploadable_files": "0", "active": "1",
        "redirect_type": "404", "id_type_redirected": "0", "available_for_order": "1",
        "available_date": "0000-00-00", "show_condition": "0", "condition": "new",
        "show_price": "1", "indexed": "1", "visibility": "both",
        "advanced_stock_management": "0", "date_add": SHOP_CREATED, "date_upd": SHOP_CREATED,
        "pack_stock_type": "3", "meta_description": i18n(""), "meta_keywords": i18n(""),
        "meta_title": i18n(""), "link_rewrite": i18n(slug), "name": i18n(en, nl),
        "description": i18n(f"<p>{en}.</p>", f"<p>{nl}.</p>"),
        "description_short": i18n(f"<p>{en}</p>", f"<p>{nl}</p>"),
        "available_now": i18n("In stock", "Op voorraad"), "available_later": i18n(""),
        "associations": {
            "categories": [{"id": "2"}, {"id": category}],
            **(
                {"combinations": [{"id": str(pid * 10 + n + 1)} for n in range(len(options))]}
                if has_combinations else {}
            ),
        },
    }


PRODUCTS: list[JsonObject] = [
    _product(pid, ref, en, nl, rate, options)
    for pid, ref, en, nl, _price, rate, options in _CATALOGUE
]

# Payment modules as PrestaShop records them: (module, display name).
PAYMENT_IDEAL = ("mollie", "iDEAL")
PAYMENT_BANKWIRE = ("ps_wirepayment", "Bank transfer")
PAYMENT_PAYPAL = ("paypal", "PayPal")
PAYMENT_CHECK = ("ps_checkpayment", "Payments by check")
PAYMENT_COD = ("ps_cashondelivery", "Cash on delivery (COD)")
PAYMENT_CARD = ("mollie", "Creditcard")

# The payment module that leaves an order waiting in each not-yet-paid state.
AWAITING_PAYMENT = {
    10: PAYMENT_BANKWIRE, 1: PAYMENT_CHECK, 11: PAYMENT_PAYPAL, 14: PAYMENT_COD,
    13: PAYMENT_BANKWIRE, 8: PAYMENT_CARD, 6: PAYMENT_BANKWIRE,
}

# Shipping price incl. 21 % VAT per destination; free in NL from 50 euro.
SHIPPING_INCL = {
    "NL": Decimal("4.95"), "BE": Decimal("6.95"), "DE": Decimal("7.95"),
    "FR": Decimal("9.95"), "GB": Decimal("14.95"), "US": Decimal("24.95"),
}
FREE_SHIPPING_FROM = Decimal("50.00")
WRAPPING_INCL = Decimal("2.50")
CARRIER_ID = {"NL": "2", "BE": "3", "DE": "3", "FR": "3", "GB": "4", "US": "4"}
