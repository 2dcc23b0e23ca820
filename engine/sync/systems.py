"""The sync pipeline's view of the external systems: a Source of order documents and a Target
that takes payloads, built from a shop's configuration over the connectors.

The pipeline is written once for every pair; what differs per system lives here, in small
adapters: how to fetch a window or a list of ids, how to post a batch of payloads, and how to
ask the target whether an invoice already arrived.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from connectors.errors import NotFoundError, ProtocolError, RejectedError, TransientError
from connectors.retry import NO_RETRY, RetryPolicy
from connectors.secret import Secret
from engine.errors import ConfigError
from engine.mapping import Pair, Payload
from engine.money import money, to_decimal
from engine.sync.config import ShopConfig


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


class Source(Protocol):
    def changed(self, since: dt.datetime, until: dt.datetime) -> Iterator[dict[str, Any]]: ...
    def by_ids(self, ids: Sequence[str]) -> Iterator[dict[str, Any]]: ...
    def close(self) -> None: ...


class Target(Protocol):
    batch_size: int

    def post(self, payloads: Sequence[Payload]) -> list[Delivery]: ...
    def find(self, payload: Payload) -> str | None: ...
    def close(self) -> None: ...


def _timeout(section: dict[str, Any], default: float) -> float:
    """Seconds to wait for one answer: the section's `timeout`, else the client's default."""
    return float(section.get("timeout", default))


def _secret(section: dict[str, Any], key: str, shop: str) -> str:
    value = section.get(key)
    if value is None:
        raise ConfigError(f"shop {shop}: {section['type']} needs `{key}`")
    return value.reveal() if isinstance(value, Secret) else str(value)


# -- sources -------------------------------------------------------------------------------------
class PrestaShopSource:
    def __init__(self, config: ShopConfig, retry: RetryPolicy) -> None:
        from connectors.prestashop import PrestaShopClient

        section = config.source
        self.page_size = int(section.get("page_size", 100))
        self.client = PrestaShopClient(
            section["url"],
            _secret(section, "key", config.name),
            retry=retry,
            shop_timezone=ZoneInfo(section.get("timezone", "Europe/Amsterdam")),
            timeout=_timeout(section, 10.0),
        )

    def changed(self, since: dt.datetime, until: dt.datetime) -> Iterator[dict[str, Any]]:
        return self.client.iter_orders_changed(since, until, page_size=self.page_size)

    def by_ids(self, ids: Sequence[str]) -> Iterator[dict[str, Any]]:
        return iter(self.client.fetch_orders([int(i) for i in ids], batch_size=self.page_size))

    def close(self) -> None:
        self.client.close()


class LightspeedSource:
    def __init__(self, config: ShopConfig, retry: RetryPolicy) -> None:
        from connectors.lightspeed import LightspeedClient

        section = config.source
        self.page_size = int(section.get("page_size", 250))
        self.client = LightspeedClient(
            section["url"],
            _secret(section, "key", config.name),
            _secret(section, "secret", config.name),
            section.get("language", "nl"),
            retry=retry,
            timeout=_timeout(section, 30.0),
        )

    def changed(self, since: dt.datetime, until: dt.datetime) -> Iterator[dict[str, Any]]:
        return iter(self.client.iter_orders_changed(since, until, limit=self.page_size))

    def by_ids(self, ids: Sequence[str]) -> Iterator[dict[str, Any]]:
        return iter(self.client.fetch_orders(ids))

    def close(self) -> None:
        self.client.close()


# -- targets -------------------------------------------------------------------------------------
class YukiTarget:
    """Many invoices per ProcessSalesInvoices call: Yuki allows about 1000 calls a day."""

    def __init__(self, config: ShopConfig, pair: Pair, retry: RetryPolicy) -> None:
        from connectors.yuki import YukiClient

        section = config.target
        self.batch_size = int(section.get("batch_size", 100))
        self.pair = pair
        self.client = YukiClient(
            section["url"],
            _secret(section, "access_key", config.name),
            str(section.get("administration_id", "")),
            retry=retry,
            timeout=_timeout(section, 30.0),
        )

    def post(self, payloads: Sequence[Payload]) -> list[Delivery]:
        document = self.pair.render(payloads, "xml")
        try:
            # Never retried blindly: after a timeout Yuki may have booked them; the pipeline
            # looks them up instead.
            result = self.client.process_sales_invoices(document, retry=NO_RETRY)
        except TransientError as error:
            return [no_delivery(error)] * len(payloads)
        except RejectedError as error:
            return [Delivery("refused", message=error.message)] * len(payloads)
        subjects = [str(payload.body.get("Subject", "")) for payload in payloads]
        answers = list(result.invoices)
        in_order = len(answers) == len(payloads) and all(
            answer.subject in ("", subject) for answer, subject in zip(answers, subjects)
        )
        deliveries = []
        for index, subject in enumerate(subjects):
            # Yuki answers one result per invoice, in order; if it did not, match on the
            # subject — but split carts share one order number, so only a unique one.
            matches = [answer for answer in answers if answer.subject == subject]
            unique = len(matches) == 1 and subjects.count(subject) == 1
            invoice = answers[index] if in_order else matches[0] if unique else None
            if invoice is None:
                deliveries.append(Delivery("uncertain", message="Yuki's answer lists no result"))
            elif invoice.succeeded:
                reference = invoice.reference or invoice.document_id or subject
                deliveries.append(Delivery("sent", reference=reference))
            else:
                deliveries.append(Delivery("refused", message=invoice.message or "refused"))
        return deliveries

    def find(self, payload: Payload) -> str | None:
        """The invoice in Yuki's archive with this subject and, where the archive says, this
        total. Two that fit (split carts share an order number) cannot be told apart."""
        subject = str(payload.body.get("Subject", ""))
        total = invoice_total(payload.body)
        matches = [
            document
            for document in self.client.find_sales_invoice(subject)
            if document.subject == subject and document.amount in (None, total)
        ]
        if len(matches) > 1:
            raise ProtocolError("Yuki", f"{len(matches)} invoices in the archive fit {subject!r}")
        return (matches[0].reference or matches[0].id) if matches else None

    def close(self) -> None:
        close = getattr(self.client, "close", None)
        if close is not None:
            close()


class FactuursturenTarget:
    """One invoice per call; the client is ensured (never duplicated) before each."""

    batch_size = 1

    def __init__(self, config: ShopConfig, retry: RetryPolicy) -> None:
        from connectors.factuursturen import FactuursturenClient

        section = config.target
        self.client = FactuursturenClient(
            section["url"],
            str(section.get("username", "")),
            _secret(section, "api_key", config.name),
            retry=retry,
            timeout=_timeout(section, 30.0),
        )

    def post(self, payloads: Sequence[Payload]) -> list[Delivery]:
        deliveries = []
        for payload in payloads:
            try:
                result = self.client.post(payload.body)
            except TransientError as error:
                deliveries.append(no_delivery(error))
            except (RejectedError, NotFoundError) as error:
                deliveries.append(Delivery("refused", message=error.message))
            else:
                deliveries.append(Delivery("sent", reference=result.invoicenr))
        return deliveries

    def find(self, payload: Payload) -> str | None:
        return self.client.find_invoice(payload.body["invoice"])

    def close(self) -> None:
        self.client.close()


def invoice_total(body: dict[str, Any]) -> Decimal:
    """What Yuki books for a SalesInvoice: Σ round(quantity × unit price, 2)."""
    lines = body.get("InvoiceLines", {}).get("InvoiceLine", [])
    return sum(
        (
            money(to_decimal(line["ProductQuantity"]) * to_decimal(line["Product"]["SalesPrice"]))
            for line in lines
        ),
        Decimal("0.00"),
    )


def open_source(config: ShopConfig, retry: RetryPolicy) -> Source:
    kind = config.source["type"]
    if kind == "prestashop":
        return PrestaShopSource(config, retry)
    if kind == "lightspeed":
        return LightspeedSource(config, retry)
    raise ConfigError(f"shop {config.name}: unknown source type {kind!r}")


def open_target(config: ShopConfig, pair: Pair, retry: RetryPolicy) -> Target:
    kind = config.target["type"]
    if kind == "yuki":
        return YukiTarget(config, pair, retry)
    if kind == "factuursturen":
        return FactuursturenTarget(config, retry)
    raise ConfigError(f"shop {config.name}: unknown target type {kind!r}")


def batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
