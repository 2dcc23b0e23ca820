"""A local PrestaShop webservice (1.7 / 8.x) that answers as the real one does.

`version` chooses the shape of its JSON (see `versions`): "8.2.1" by default (every scalar but
`id` a string, as 1.7 and 8.2+); "8.1.7" answers integer columns as JSON numbers and fails
`GET /api/?output_format=JSON` with HTTP 500, as 8.0–8.1 on PHP 8.1 do. `key_methods` are the
HTTP methods the key was given (the permissions `GET /api/` lists in XML); whatever they say, the
simulator itself only ever answers GET and HEAD.

Serves `/api/`, `/api/{resource}` and `/api/{resource}/{id}` for orders, customers, addresses,
countries, products, order_states, taxes, tax_rule_groups, currencies and languages; XML by
default, JSON with `output_format=JSON` / `io_format=JSON` or the `Output-Format` / `Io-Format`
header (headers win, as in `WebserviceRequest::getOutputObject`). The query language is in
`prestashop_query`, the output formats in `prestashop_render`, the data in `prestashop_data`.

Authentication as PrestaShop's dispatcher: the key is the HTTP Basic user name (or `ws_key=`); no
key at all gives a plain-text `401 Unauthorized` with `WWW-Authenticate`; a key of the wrong length
or an unknown key gives 401 with an error document (codes 18, 20, 21). A disabled webservice gives
503 code 22. The demo key may GET and HEAD every served resource; any other method gets 405.
A GET of an id that does not exist gives 404 with an empty body (PrestaShop disables the output).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ...simulation import Faults, Reply, Request, Simulator
from .build import apply_state
from .catalog import (
    COUNTRIES,
    CURRENCIES,
    LANGUAGE_IDS,
    LANGUAGES,
    ORDER_STATES,
    PRODUCTS,
    SHOP_NAME,
    STATE_BY_ID,
    TAX_RULE_GROUPS,
    TAXES,
    JsonObject,
)
from .data import (
    OrderBatch,
    OrderRecord,
    demo_records,
    generate_orders,
)
from .query import (
    Query,
    WebserviceError,
    levenshtein,
    parse_languages,
    parse_query,
    select,
)
from .render import (
    json_api_root,
    json_blank,
    json_errors,
    json_list,
    json_single,
    xml_api_root,
    xml_blank,
    xml_errors,
    xml_list,
    xml_single,
)
from .resources import (
    ADDRESS_LINKS,
    COUNTRY_LINKS,
    CUSTOMER_ASSOCIATIONS,
    CUSTOMER_LINKS,
    KNOWN_RESOURCES,
    ORDER_ASSOCIATIONS,
    ORDER_LINKS,
    ORDER_SLIP_ASSOCIATIONS,
    ORDER_SLIP_FIELDS,
    ORDER_SLIP_LINKS,
    PRODUCT_ASSOCIATIONS,
    PRODUCT_GETTERS,
    PRODUCT_LINKS,
    ResourceSpec,
    spec_from_sample,
)
from .store import (
    BatchAddresses,
    BatchCustomers,
    BatchOrders,
    Table,
)
from .versions import api_root_json_fails, json_numbers, with_numbers

_REALM = (
    'Basic realm="Welcome to PrestaShop Webservice, please enter the authentication key as the '
    'login. No password required."'
)
_DESCRIPTIONS = {
    "addresses": "The Customer, Brand and Customer addresses",
    "countries": "The countries",
    "currencies": "The currencies",
    "customers": "The e-shop's customers",
    "languages": "Shop languages",
    "order_states": "The Order statuses",
    "orders": "The Customers orders",
    "products": "The products",
    "tax_rule_groups": "Tax rule groups",
    "taxes": "The tax rate",
}
_APACHE_500 = (
    b'<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n'
    b"<title>500 Internal Server Error</title>\n</head><body>\n<h1>Internal Server Error</h1>\n"
    b"<p>The server encountered an internal error or misconfiguration and was unable to complete "
    b"your request.</p>\n</body></html>\n"
)
_LOGIN_PAGE = (
    b"<!doctype html>\n<html lang=\"nl\"><head><meta charset=\"utf-8\"><title>Inloggen</title>"
    b"</head><body><form id=\"login-form\" action=\"/login\" method=\"post\">"
    b"<input name=\"email\"><input name=\"password\" type=\"password\"></form></body></html>\n"
)


@dataclass(frozen=True)
class LoggedRequest:
    """What the simulator saw of one request (never the key)."""

    method: str
    path: str
    query: Mapping[str, str]


def _specs() -> dict[str, ResourceSpec]:
    sample = demo_records()[0]
    return {
        "orders": spec_from_sample("orders", "order", sample.order, links=ORDER_LINKS,
                                   getters=frozenset({"shipping_number"}),
                                   associations=ORDER_ASSOCIATIONS),
        "customers": spec_from_sample("customers", "customer", sample.customer,
                                      links=CUSTOMER_LINKS, associations=CUSTOMER_ASSOCIATIONS),
        "addresses": spec_from_sample("addresses", "address", sample.addresses[0],
                                      links=ADDRESS_LINKS),
        "countries": spec_from_sample("countries", "country", COUNTRIES[0], links=COUNTRY_LINKS),
        "products": spec_from_sample("products", "product", PRODUCTS[0], links=PRODUCT_LINKS,
                                     getters=PRODUCT_GETTERS,
                                     associations=PRODUCT_ASSOCIATIONS),
        "order_states": spec_from_sample("order_states", "order_state", ORDER_STATES[0]),
        "taxes": spec_from_sample("taxes", "tax", TAXES[0]),
        "tax_rule_groups": spec_from_sample("tax_rule_groups", "tax_rule_group",
                                            TAX_RULE_GROUPS[0]),
        "currencies": spec_from_sample("currencies", "currency", CURRENCIES[0]),
        "languages": spec_from_sample("languages", "language", LANGUAGES[0]),
        "order_slip": ResourceSpec(
            "order_slip", "order_slip", ORDER_SLIP_FIELDS, ORDER_SLIP_LINKS,
            associations=ORDER_SLIP_ASSOCIATIONS, description="The Order slips",
            plural="order_slips",
        ),
    }


def _now() -> str:
    return datetime.now().strftime("%Y-%m-%d %H:%M:%S")


class PrestaShopSimulator(Simulator):
    """A PrestaShop shop's webservice, with the shop's reference data and the orders you add."""

    name = "prestashop"
    DEMO_KEY = "MAPPERDEMOPSWEBSERVICEKEY0123456"  # 32 characters, like every PrestaShop key
    VERSION = "8.2.1"  # the default; strings in JSON, as 1.7 and 8.2+

    def __init__(
        self,
        *,
        key: str = DEMO_KEY,
        port: int = 0,
        latency: float = 0.0,
        faults: Faults | None = None,
        shop_name: str = SHOP_NAME,
        version: str = VERSION,
        key_methods: Iterable[str] = ("GET", "HEAD"),
    ) -> None:
        super().__init__(port=port, latency=latency, faults=faults)
        self._key = key
        self.version = version
        self.json_numbers = json_numbers(version)  # integer columns as JSON numbers (8.0–8.1)
        self.api_root_json_fails = api_root_json_fails(version)  # GET /api/ JSON → 500
        self.api_root_fails = False  # GET /api/ fails in every format (a proxy, a PHP warning)
        self.key_methods = frozenset(m.upper() for m in key_methods)
        self.shop_name = shop_name
        self.webservice_enabled = True
        self.serve_login_page = False  # answer every /api request with the shop's HTML login page
        self.request_log: deque[LoggedRequest] = deque(maxlen=10_000)
        self._lock = threading.RLock()
        specs = _specs()
        self.tables = {
            name: Table(spec, indexed=("date_upd",) if name in ("orders", "order_slip") else ())
            for name, spec in specs.items()
        }
        for name, rows in (
            ("countries", COUNTRIES), ("products", PRODUCTS), ("order_states", ORDER_STATES),
            ("taxes", TAXES), ("tax_rule_groups", TAX_RULE_GROUPS), ("currencies", CURRENCIES),
            ("languages", LANGUAGES),
        ):
            for row in rows:
                self.tables[name].put(copy.deepcopy(row))

    def __repr__(self) -> str:
        return f"PrestaShopSimulator(url={self._server and self.url!r})"

    # -- data -----------------------------------------------------------------------------
    def add_orders(self, orders: OrderBatch | Iterable[OrderRecord]) -> list[int]:
        """Add a generated batch (kept lazily) or order records; returns the order ids added."""
        with self._lock:
            if isinstance(orders, OrderBatch):
                self.tables["orders"].add_source(BatchOrders(orders), orders.order_ids)
                self.tables["customers"].add_source(BatchCustomers(orders), orders.customer_ids)
                self.tables["addresses"].add_source(BatchAddresses(orders), orders.address_ids)
                return list(orders.order_ids)
            added = []
            for record in orders:
                if self.tables["orders"].exists(int(record.order["id"])):
                    raise ValueError(f"order {record.order['id']} already exists")
                self.tables["customers"].put(copy.deepcopy(record.customer))
                for address in record.addresses:
                    self.tables["addresses"].put(copy.deepcopy(address))
                self.tables["orders"].put(copy.deepcopy(record.order))
                added.append(int(record.order["id"]))
            return added

    def add_generated(self, n: int, seed: int, **options: Any) -> OrderBatch:
        """Generate `n` orders (see `generate_orders`) with ids after the ones in use, and add them."""
        with self._lock:
            batch = generate_orders(
                n,
                seed,
                first_order_id=self.tables["orders"].max_id() + 1,
                first_customer_id=self.tables["customers"].max_id() + 1,
                first_address_id=self.tables["addresses"].max_id() + 1,
                **options,
            )
            self.add_orders(batch)
            return batch

    def order_ids(self) -> list[int]:
        return list(self.tables["orders"].ids())

    def order(self, order_id: int) -> JsonObject | None:
        """A copy of order `order_id` as the shop holds it."""
        with self._lock:
            found = self.tables["orders"].get(order_id)
            return None if found is None else copy.deepcopy(found)

    def set_order_state(
        self, order_id: int, state_id: int, *, at: datetime | None = None
    ) -> JsonObject:
        """Move an order to another state, as the back office does: `current_state`, `date_upd`
        (now, or `at`), and the invoice / delivery numbers and payment the new state brings."""
        if state_id not in STATE_BY_ID:
            raise ValueError(f"no order state {state_id}")
        with self._lock:
            order = self.order(order_id)
            if order is None:
                raise KeyError(order_id)
            when = at.strftime("%Y-%m-%d %H:%M:%S") if at else _now()
            apply_state(order, state_id, when)
            self.tables["orders"].put(order)
            return copy.deepcopy(order)

    def update_order(self, order_id: int, **fields: str) -> JsonObject:
        """Change fields of an order (e.g. a corrected total); `date_upd` becomes now unless given."""
        with self._lock:
            order = self.order(order_id)
            if order is None:
                raise KeyError(order_id)
            order.update(fields)
            if "date_upd" not in fields:
                order["date_upd"] = _now()
            self.tables["orders"].put(order)
            return copy.deepcopy(order)

    def add_slip(
        self,
        order_id: int,
        quantities: Mapping[str, int],
        *,
        shipping: bool = False,
        voucher: str = "0",
        at: datetime | None = None,
    ) -> JsonObject:
        """A credit slip, as the back office's partial refund makes one: `quantities` of the
        order's rows (order detail id → quantity) at their unit prices, the order's shipping
        when `shipping`, less `voucher` (order_slip_type 1). Returns the slip as served."""
        with self._lock:
            order = self.order(order_id)
            if order is None:
                raise KeyError(order_id)
            rows = {str(r["id"]): r for r in order["associations"]["order_rows"]}
            details = []
            slip_id = self.tables["order_slip"].max_id() + 1
            for detail_id, quantity in quantities.items():
                row = rows[str(detail_id)]
                details.append({
                    # PrestaShop's OrderSlip::getWsOrderSlipDetails selects `id_order_slip AS
                    # id`: every detail carries its slip's id, not one of its own.
                    "id": str(slip_id),
                    "id_order_detail": str(detail_id),
                    "product_quantity": str(quantity),
                    "amount_tax_excl": _six(Decimal(row["unit_price_tax_excl"]) * quantity),
                    "amount_tax_incl": _six(Decimal(row["unit_price_tax_incl"]) * quantity),
                })
            products_excl = sum((Decimal(d["amount_tax_excl"]) for d in details), Decimal(0))
            products_incl = sum((Decimal(d["amount_tax_incl"]) for d in details), Decimal(0))
            ship_incl = Decimal(order["total_shipping_tax_incl"]) if shipping else Decimal(0)
            ship_excl = Decimal(order["total_shipping_tax_excl"]) if shipping else Decimal(0)
            when = at.strftime("%Y-%m-%d %H:%M:%S") if at else _now()
            products = products_incl.quantize(_CENT, ROUND_HALF_UP)
            slip = {
                "id": str(slip_id),
                "id_customer": str(order["id_customer"]),
                "id_order": str(order_id),
                "conversion_rate": str(order.get("conversion_rate", "1.000000")),
                "total_products_tax_excl": _six(products_excl.quantize(_CENT, ROUND_HALF_UP)),
                "total_products_tax_incl": _six(products),
                "total_shipping_tax_excl": _six(ship_excl),
                "total_shipping_tax_incl": _six(ship_incl),
                "amount": _six(products - Decimal(voucher)),
                "shipping_cost": "1" if shipping else "0",
                "shipping_cost_amount": _six(ship_incl),
                "partial": "1",
                "date_add": when,
                "date_upd": when,
                "order_slip_type": "1" if Decimal(voucher) else "0",
                "associations": {"order_slip_details": details},
            }
            self.tables["order_slip"].put(copy.deepcopy(slip))
            return slip

    # -- serving --------------------------------------------------------------------------
    def cli_banner(self) -> list[str]:
        ids = self.order_ids()
        span = f"ids {ids[0]}–{ids[-1]}" if ids else "none yet"
        return [
            f"webservice key: {self._key} (HTTP Basic user name, empty password)",
            f"orders: {len(ids)} ({span}); shop country NL, currency EUR",
            f"try: curl -u {self._key}: '{self.url}/api/orders?display=full&output_format=JSON'",
        ]

    def fault_reply(self, kind: str) -> Reply:
        if kind == "500":  # a PHP fatal error surfaces as Apache's own page
            return Reply(500, _APACHE_500, {"Content-Type": "text/html; charset=iso-8859-1"})
        return super().fault_reply(kind)

    def handle(self, request: Request) -> Reply:
        logged = {k: v for k, v in request.query.items() if k != "ws_key"}
        self.request_log.append(LoggedRequest(request.method, request.path, logged))
        if not (request.path == "/api" or request.path.startswith("/api/")):
            return Reply(404, b"<html><body><h1>404 Not Found</h1></body></html>",
                         {"Content-Type": "text/html; charset=utf-8"})
        if self.serve_login_page:
            return Reply(200, _LOGIN_PAGE, {"Content-Type": "text/html; charset=utf-8"})
        key = self._key_of(request)
        if key is None:
            return Reply(401, b"401 Unauthorized",
                         {"WWW-Authenticate": _REALM, "Content-Type": "text/html; charset=utf-8"})
        as_json = _wants_json(request)
        started = time.perf_counter()
        authenticated = False
        try:
            if not self.webservice_enabled:
                raise WebserviceError(503, (22, (
                    "The PrestaShop webservice is disabled. Please activate it in the PrestaShop "
                    "Back Office"
                )))
            self._authenticate(key)
            authenticated = True
            with self._lock:
                status, body = self._answer(request, as_json)
        except _RootFailed:
            # PHP dies in WebserviceOutputJSON (array_filter on a string): a bare 500, no body.
            return Reply(500, b"", {"Content-Type": "text/html; charset=UTF-8",
                                    "PSWS-Version": self.version})
        except WebserviceError as error:
            status = error.status
            body = json_errors(error.errors) if as_json else xml_errors(error.errors)
        headers = {
            "Access-Time": str(int(time.time())),
            "X-Powered-By": "PrestaShop Webservice",
            "Execution-Time": f"{time.perf_counter() - started:.3f}",
        }
        if authenticated:
            headers["PSWS-Version"] = self.version
        if status == 401:
            headers["WWW-Authenticate"] = _REALM
        if body:
            headers["Content-Type"] = (
                "application/json;charset=utf-8" if as_json else "text/xml;charset=utf-8"
            )
            if status < 300:
                headers["Content-Sha1"] = hashlib.sha1(body).hexdigest()
        return Reply(status, body, headers)

    def _key_of(self, request: Request) -> str | None:
        if "ws_key" in request.query:
            return request.query["ws_key"]
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("basic "):
            return None
        try:
            decoded = base64.b64decode(header[6:].strip()).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None
        return decoded.partition(":")[0]

    def _authenticate(self, key: str) -> None:
        key = key.strip()
        if not key:
            raise WebserviceError(401, (17, "Authentication key is empty"))
        if len(key) != 32:
            raise WebserviceError(401, (18, "Invalid authentication key format"))
        if key != self._key:
            raise WebserviceError(
                401,
                (20, "Authentification key is not active"),
                (21, "No permission for this authentication key"),
            )

    def _answer(self, request: Request, as_json: bool) -> tuple[int, bytes]:
        segments = request.path[len("/api"):].strip("/").split("/")
        resource = segments[0]
        if resource and resource not in self.tables:
            if resource in KNOWN_RESOURCES:
                raise WebserviceError(401, (26, (
                    f'Resource of type "{resource}" is not allowed with this authentication key'
                )))
            closest = min(KNOWN_RESOURCES, key=lambda name: levenshtein(resource, name))
            raise WebserviceError(400, (27, (
                f'Resource of type "{resource}" does not exists. Did you mean: "{closest}"? The '
                'full list is: "' + '", "'.join(KNOWN_RESOURCES) + '"'
            )))
        if request.method not in ("GET", "HEAD"):
            if request.method not in ("PUT", "POST", "PATCH", "DELETE"):
                raise WebserviceError(405, (23, f"Method {request.method} is not valid"))
            raise WebserviceError(405, (25, (
                f"Method {request.method} is not allowed for the resource {resource} with this "
                "authentication key"
            )))
        base = f"{self.url}/api/"
        if not resource:
            if self.api_root_fails or (as_json and self.api_root_json_fails):
                raise _RootFailed
            served = sorted(self.tables)
            if as_json:
                return 200, json_api_root(served)
            pairs = [(name, _DESCRIPTIONS.get(name, name)) for name in served]
            return 200, xml_api_root(pairs, base, self.shop_name, self.key_methods)
        table = self.tables[resource]
        params = request.query
        if len(segments) > 1 and segments[1]:
            return self._one(table, segments[1], params, as_json, base)
        query = parse_query(params, table.spec, LANGUAGE_IDS)
        if query.schema is not None:
            return 200, (json_blank if as_json else xml_blank)(table.spec, query.languages)
        return 200, self._many(table, query, as_json, base)

    def _typed(self, table: Table, row: JsonObject, as_json: bool) -> JsonObject:
        """`row` in this version's JSON shape."""
        return with_numbers(table.spec.name, row) if as_json and self.json_numbers else row

    def _one(
        self, table: Table, raw_id: str, params: Mapping[str, str], as_json: bool, base: str
    ) -> tuple[int, bytes]:
        languages = parse_languages(params.get("language"), LANGUAGE_IDS)
        given = "display" in params
        query = parse_query({"display": params["display"]} if given else {}, table.spec,
                            LANGUAGE_IDS)
        digits = _leading_digits(raw_id)
        row = table.get(int(digits)) if digits else None
        if row is None:
            return 404, b""
        display = query.display if given else "full"
        row = self._typed(table, row, as_json)
        if as_json:
            return 200, json_single(table.spec, row, display, given, languages)
        return 200, xml_single(table.spec, row, display, given, languages, base)

    def _many(self, table: Table, query: Query, as_json: bool, base: str) -> bytes:
        ids = select(table, query)
        rows: Sequence[JsonObject | int]
        if query.display == "minimum":
            rows = ids
        else:
            rows = [self._typed(table, row, as_json)
                    for row in (table.get(i) for i in ids) if row is not None]
        if as_json:
            return json_list(table.spec, rows, query.display, query.languages)
        return xml_list(table.spec, rows, query.display, query.languages, base)


class _RootFailed(Exception):
    """GET /api/ dies on the server (PrestaShop 8.0.3–8.1.7 in JSON; `api_root_fails`)."""


_CENT = Decimal("0.01")


def _six(value: Decimal) -> str:
    """An amount as PrestaShop's decimal(20,6) columns give it."""
    return f"{value.quantize(Decimal('0.000001'), ROUND_HALF_UP)}"


def _wants_json(request: Request) -> bool:
    headers = request.headers
    for name in ("io-format", "output-format"):
        if name in headers:
            return headers[name].upper() == "JSON"
    for name in ("output_format", "io_format"):
        if name in request.query:
            return request.query[name].upper() == "JSON"
    return False


def _leading_digits(text: str) -> str:
    out = ""
    for char in text.strip():
        if not char.isdigit():
            break
        out += char
    return out


def cli_simulator(*, port: int, latency: float, faults: Faults) -> PrestaShopSimulator:
    """`mapper simulate prestashop`: the demo orders plus three dozen generated ones."""
    simulator = PrestaShopSimulator(port=port, latency=latency, faults=faults)
    simulator.add_orders(demo_records())
    simulator.add_generated(
        36, seed=2024, start=datetime(2024, 1, 6, 8, 0, 0), interval_seconds=3600,
        unpaid_share=0.2, bad_share=0.1, unreferenced_share=0.2,
    )
    return simulator
