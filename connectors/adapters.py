"""The shape the sync pipeline sees of every external system: a Source of order documents and
a Target that takes payloads, with what became of each payload (a Delivery).

Each system's folder has an `adapter.py` that builds its Source or Target from the shop's
configuration section (plain values and `Secret`s); the pipeline is written once against these
protocols, so a new system needs no change outside its own folder.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import AuthenticationError, ConfigurationError, ConnectorError, TransientError
from .secret import Secret


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


class Target(Protocol):
    batch_size: int

    def post(self, payloads: Sequence[Any]) -> list[Delivery]: ...
    def find(self, payload: Any) -> str | None: ...
    def close(self) -> None: ...


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
