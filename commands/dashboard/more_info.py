"""More info of a failed order: the checks that turned it away (kept in the ledger at failure
time: their names and rule file:line, never a value of the order) and, fetched from the shop
now, the values those checks read: amounts, rates, codes, dates.

The order is fetched again and both rule sets of the pair are run again for it, with the shop's
settings as a pass uses them; each check kept for the order is evaluated again, element by
element for a check with `each`, and for every element it fails on, the names it reads are
shown with their values. Nothing of the customer is shown: a value whose name says name,
address, e-mail, phone, company or VAT number, or a text that is not a short code, is withheld.
Nothing fetched is stored. When the shop cannot be reached the page says so and shows what the
ledger keeps.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ...connectors.errors import ConnectorError
from ...engine.errors import MapperError, MappingError
from ...engine.ledger import Ledger, OrderRecord
from ...engine.mapping import Pair
from ...engine.rules.compile import BoundRuleSet
from ...engine.rules.explain import _SECRET, _Tracer, _value_of, _written, reads, shown
from ...engine.rules.expressions import Scope
from ...engine.rules.failed_checks import read_noted, rule_place
from ...engine.sync.check import CHECK_RETRY
from ...engine.sync.config import ShopConfig, with_stored
from ...engine.sync.credits import fetch_by_ids
from ...engine.sync.systems import open_source

FAILING_SHOWN = 5  # elements of an `each` check shown, at most
WITHHELD = "(not shown: customer data)"
TEXT_WITHHELD = "(text, not shown)"
# Words of a field's name that say it holds something of the customer.
_PERSONAL_WORDS = frozenset(
    [
        "name",
        "firstname",
        "lastname",
        "surname",
        "address",
        "address1",
        "address2",
        "street",
        "house",
        "city",
        "town",
        "postcode",
        "zip",
        "zipcode",
        "email",
        "mail",
        "phone",
        "mobile",
        "fax",
        "company",
        "iban",
        "bic",
        "birthday",
        "note",
        "notes",
        "comment",
        "message",
        "alias",
    ]
)
_PERSONAL_NAMES = frozenset(
    [
        "vat",
        "vatin",
        "vatnumber",
        "vatid",
        "vatno",
        "taxid",
        "taxnumber",
        "btw",
        "btwnummer",
        "kvk",
        "coc",
        "dni",
    ]
)
_WORDS = re.compile(r"[a-z]+|[0-9]+")
_CODE = re.compile(r"[A-Za-z0-9_.:%/+-]{1,16}")
_NUMBER = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?")

OrderFetcher = Callable[[ShopConfig, Ledger, str], tuple[dict[str, Any] | None, str]]


@dataclass(frozen=True)
class Read:
    """One name a check read, and its value as shown (or why it is not)."""

    name: str
    value: str


@dataclass
class Explained:
    """A check kept for the order, evaluated again: where it is written and, for every
    element it fails on now, the values it read; `passes` when it holds now."""

    check: str
    place: str
    rule_set: str
    failing: list[list[Read]] = field(default_factory=list)
    problem: str = ""

    @property
    def passes(self) -> bool:
        return not self.failing and not self.problem


@dataclass
class MoreInfo:
    """The page: what the ledger keeps, what was explained again, and what could not be."""

    kept: list[tuple[str, str]]
    explained: list[Explained]
    problem: str = ""


def fetch_order(
    config: ShopConfig, ledger: Ledger, order_id: str
) -> tuple[dict[str, Any] | None, str]:
    """(the order's document from the shop, "") or (None, why it could not be fetched)."""
    try:
        source = open_source(with_stored(config, ledger), CHECK_RETRY)
    except MapperError as error:
        return None, f"The shop could not be reached: {error}"
    try:
        documents = list(fetch_by_ids(source, [order_id]))
    except ConnectorError as error:
        return None, f"The shop could not be reached: {error.message}"
    except MapperError as error:
        return None, f"The shop could not be reached: {error}"
    finally:
        source.close()
    if not documents:
        return None, "The shop did not return this order now (deleted in the shop?)."
    return documents[0], ""


def more_info(
    config: ShopConfig, ledger: Ledger, record: OrderRecord, fetcher: OrderFetcher
) -> MoreInfo:
    """The More info of a failed order (see the module's docstring)."""
    kept = read_noted(record.failed_check)
    info = MoreInfo(kept, [])
    if not kept:
        info.problem = (
            "No check of the rules is kept for this order (it failed before this was kept, "
            "or the accounting system refused it): the reason above is all there is."
        )
        return info
    document, problem = fetcher(config, ledger, record.order_id)
    if document is None:
        info.problem = f"{problem} Shown is what the ledger keeps."
        return info
    try:
        shop = with_stored(config, ledger)
        pair = Pair.load(shop.mapping, shop.settings, f"shop {shop.name} settings")
    except MapperError as error:
        info.problem = f"The rules could not be loaded: {error}"
        return info
    info.explained = explain_checks(pair, document, [name for name, _ in kept])
    if not info.explained:
        info.problem = "The kept checks are no longer in the rules (the rules changed since)."
    return info


def explain_checks(
    pair: Pair, document: dict[str, Any], wanted: Collection[str]
) -> list[Explained]:
    """The checks named `wanted`, of both rule sets, evaluated again for `document`."""
    found = _explain(pair.source, _scope_of(pair.source, document), wanted)
    try:
        canonical = pair.source.apply(document)
    except MappingError:
        canonical = None
    if isinstance(canonical, dict):
        found += _explain(pair.target, _scope_of(pair.target, {"order": canonical}), wanted)
    return found


def _scope_of(bound: BoundRuleSet, document: dict[str, Any]) -> Scope:
    """The names in scope where the rule set's checks run: the document and every `let`."""
    tracer = _Tracer(bound)
    with contextlib.suppress(Exception):  # the output may fail; the checks' scope is made first
        tracer.run(document)
    return tracer.scope


def _explain(bound: BoundRuleSet, scope: Scope, wanted: Collection[str]) -> list[Explained]:
    data: dict[str, Any] = dict(bound.rules.data or {})
    specs = {spec.get("name"): spec for spec in data.get("checks") or []}
    found = []
    for check in bound.rules.checks:
        if check.name not in wanted:
            continue
        spec = specs.get(check.name) or {}
        texts = [t for t in (spec.get("when"), spec.get("assert")) if isinstance(t, str)]
        explained = Explained(check.name, rule_place(check.place), bound.rules.name)
        try:
            elements = check.each(scope) if check.each is not None else [None]
            for element in elements or []:
                inner = dict(scope)
                if check.each is not None:
                    inner[check.as_name] = element
                if check.when is not None and not check.when(inner):
                    continue
                if not check.assertion(inner):
                    explained.failing.append(_reads(texts, inner))
                    if len(explained.failing) >= FAILING_SHOWN:
                        break
        except Exception:  # noqa: BLE001 — its text may hold the order's values: not shown
            explained.problem = "It could not be evaluated again for the order as it is now."
        found.append(explained)
    return found


def _reads(texts: list[str], scope: Scope) -> list[Read]:
    found: list[Read] = []
    for text in texts:
        for chain in reads(text):
            if chain == ["settings"] or any(r.name == _written(chain) for r in found):
                continue
            known, value = _value_of(chain, scope)
            found.append(
                Read(_written(chain), safe_value(chain, value) if known else "(undefined)")
            )
    return found


def _personal(step: str) -> bool:
    plain = step.lower()
    words = _WORDS.findall(re.sub(r"([a-z])([A-Z])", r"\1_\2", step).lower())
    return (
        "".join(words) in _PERSONAL_NAMES
        or any(word in _PERSONAL_WORDS for word in words)
        or bool(_SECRET.search(plain))
    )


def safe_value(chain: list[str | int], value: Any) -> str:
    """A value as More info shows it: amounts, rates, codes, dates and sizes; never one whose
    name says it is the customer's, nor a text longer than a code.

    >>> safe_value(["line", "vat_rate"], Decimal("9.00")), safe_value(["destination"], "DE")
    ('9.00', 'DE')
    >>> safe_value(["order", "customer", "vat_number"], "NL000099998B57")
    '(not shown: customer data)'
    >>> safe_value(["order", "reference"], "Jan de Vries, Dorpsstraat 1")
    '(text, not shown)'
    """
    if any(isinstance(step, str) and _personal(step) for step in chain):
        return WITHHELD
    if value is None or isinstance(value, bool | int | float | Decimal | dict | list | tuple):
        return shown(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    if _NUMBER.fullmatch(text) or _CODE.fullmatch(text):
        return text
    return TEXT_WITHHELD
