"""The shape the sync pipeline sees of every external system: a Source of order documents and
a Target that takes payloads, with what became of each payload (a Delivery).

Each system's folder has an `adapter.py` that builds its Source or Target from the shop's
configuration section (plain values and `Secret`s); the pipeline is written once against these
protocols, so a new system needs no change outside its own folder.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from .errors import (
    AuthenticationError,
    ConfigurationError,
    ConnectorError,
    NotFoundError,
    RejectedError,
    TransientError,
)
from .secret import Secret

log = logging.getLogger(__name__)


class HasBody(Protocol):
    """A finished payload: the request body the target is sent."""

    @property
    def body(self) -> dict[str, Any]: ...


# Writes a batch of payloads as the one request body the target takes (Yuki: a SalesInvoices
# XML document); the engine provides it, so connectors never read rule files.
RenderPayloads = Callable[[Sequence[HasBody]], str]


@dataclass(frozen=True)
class Delivery:
    """What became of one payload: `sent` (with the target's reference), `refused` (the
    target's message), or `uncertain` (the call failed in a way that may have booked it).

    `answered` is False when an uncertain call got no answer at all (timeout, connection lost):
    the target may still be working on it, so not finding it yet does not mean it never arrives.
    """

    outcome: str
    reference: str = ""
    message: str = ""
    answered: bool = True


# A gateway's "bad gateway" / "gateway timeout" speaks for a proxy, not for the system behind
# it, which may still be working on the request.
_GATEWAY_STATUSES = frozenset({502, 504})


def no_delivery(error: TransientError) -> Delivery:
    """The uncertain outcome of a call that failed with `error`: answered if the target itself
    sent an HTTP status (500, 503, 429), unanswered if not (timeout, connection dropped, a
    gateway's 502 or 504)."""
    answered = error.status is not None and error.status not in _GATEWAY_STATUSES
    return Delivery("uncertain", message=error.message, answered=answered)


@dataclass(frozen=True)
class CheckLine:
    """One finding of a connection check (the manual's green or red dot): about which system,
    whether it holds, and the one line a person reads — never a credential."""

    system: str  # as a person calls it: "PrestaShop", "Yuki"
    ok: bool
    message: str
    warning: bool = False  # it works, but not as the manual asks (e.g. a key with write rights)


def login_failed(
    system: str, host: str, error: ConnectorError, refusal: Callable[[AuthenticationError], str]
) -> CheckLine:
    """The red dot of a log-in that failed: refused credentials in the system's own words
    (`refusal`), a host that did not answer, or what the system said."""
    if isinstance(error, AuthenticationError):
        return CheckLine(system, False, f"{host}: {refusal(error)}")
    if isinstance(error, TransientError) and error.status is None:
        return CheckLine(system, False, f"cannot reach {host}: {error.message}")
    return CheckLine(system, False, f"{host}: {error.message}")


class Source(Protocol):
    def changed(self, since: dt.datetime, until: dt.datetime) -> Iterator[dict[str, Any]]: ...
    def by_ids(self, ids: Sequence[str]) -> Iterator[dict[str, Any]]: ...
    def close(self) -> None: ...


@runtime_checkable
class CreditSource(Protocol):
    """A Source that also gives credit documents (refunds); a Source without these methods
    simply has no credits (the pipeline asks `isinstance(source, CreditSource)`).

    The contract every shop's refunds follow (PrestaShop's credit slips first; Lightspeed
    credit invoices, WooCommerce and Shopify refunds in the same way):
    - a credit document is the shop's order document plus the credit resource verbatim, under
      the API's own name (PrestaShop: `"order_slip"`, GET /api/order_slip/{id} with its
      associations.order_slip_details); the shop's rule set tells the two kinds apart and maps
      a credit to a canonical order of `kind: credit`, with `credits` (the original order's
      id), `credits_invoice`, negative lines at the original lines' rates, and `tax_date` the
      original order's day (schemas/canonical-order.schema.json);
    - its id (the rule set's `order_id`, and the canonical `id`) is namespaced
      `<what>-<the shop's id of it>` (`slip-12`, `cancel-1042`, `refund-726`): the ledger keys
      it on (shop, that id), next to the orders (whose ids are numbers) and never on the order;
    - `credits_changed(since, until)`: credit documents whose credit changed in the window,
      with the same cursor as the orders; `credits_by_ids(ids)`: credit documents by those
      namespaced ids (re-check, reprocess, recovery after a crash), ids it does not have
      skipped;
    - the sync adds `"booked"` to a credit document before mapping it: what its ledger knows
      of the original order, `{"state": "sent", "reference": <the target's reference>}`, so the
      rules can refuse a credit of an order never invoiced and refer to the invoice.
    """

    def credits_changed(self, since: dt.datetime, until: dt.datetime) -> Iterator[dict[str, Any]]: ...
    def credits_by_ids(self, ids: Sequence[str]) -> Iterator[dict[str, Any]]: ...


def is_credit_id(ledger_id: str) -> bool:
    """Whether a ledger id is a credit's (`slip-12`) rather than an order's (`1042`)."""
    return "-" in ledger_id


class Target(Protocol):
    batch_size: int

    def post(self, payloads: Sequence[Any]) -> list[Delivery]: ...
    def find(self, payload: Any) -> str | None: ...
    def close(self) -> None: ...


def post_each(
    payloads: Sequence[HasBody],
    post: Callable[[HasBody], str],
    refusals: tuple[type[Exception], ...] = (),
) -> list[Delivery]:
    """What became of each payload of a target that takes one request per invoice: `post`
    returns the target's reference; a TransientError is uncertain (it may have booked), a
    RejectedError, NotFoundError or one of `refusals` is the target's (or its resolver's) no."""
    deliveries = []
    for payload in payloads:
        try:
            reference = post(payload)
        except TransientError as error:
            deliveries.append(no_delivery(error))
        except (RejectedError, NotFoundError) as error:
            deliveries.append(Delivery("refused", message=error.message))
        except refusals as problem:
            deliveries.append(Delivery("refused", message=str(problem)))
        else:
            deliveries.append(Delivery("sent", reference=reference))
    return deliveries


class ResolvingPrecheck:
    """Holds back, before posting, the payloads the target's own lists cannot resolve (a VAT
    code, tax rate or account the administration lacks), each with the resolver's reason.
    `view` reads the lists (once a pass); when they cannot be read nothing is held back —
    posting refuses such payloads itself. `lists` names them in the warning."""

    def __init__(
        self,
        view: Callable[[], Any],
        unresolvable: type[Exception],
        system: str,
        lists: str,
    ) -> None:
        self.view = view
        self.unresolvable = unresolvable
        self.system = system
        self.lists = lists
        self._unavailable = False

    def __call__(self, payloads: Sequence[HasBody]) -> dict[int, str]:
        if self._unavailable:
            return {}
        try:
            view = self.view()
        except ConnectorError as error:
            log.warning("%s: %s not available, not pre-checked: %s",
                        self.system, self.lists, error.message)
            self._unavailable = True
            return {}
        problems = {}
        for index, payload in enumerate(payloads):
            try:
                view.resolve(payload.body)
            except self.unresolvable as problem:
                problems[index] = str(problem)
        return problems


def timeout(section: Mapping[str, Any], default: float) -> float:
    """Seconds to wait for one answer: the section's `timeout`, else the client's default."""
    return float(section.get("timeout", default))


def secret_value(section: Mapping[str, Any], key: str, shop: str) -> str:
    """The credential `key` of a source or target section, revealed for the client only."""
    value = section.get(key)
    if value is None:
        raise ConfigurationError(f"shop {shop}: {section['type']} needs `{key}`")
    return value.reveal() if isinstance(value, Secret) else str(value)


def batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """`items` in lists of at most `size`."""
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
