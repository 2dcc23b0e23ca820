"""The Peppol outbox as the sync pipeline's Target: each payload (a UBL Invoice or CreditNote)
written as one file; `find` looks the file up, so an order a crashed pass wrote is recorded,
never written again."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..adapters import CheckLine, Delivery, HasBody, RenderPayloads
from ..errors import ConfigurationError
from ..retry import RetryPolicy
from .outbox import Outbox

TITLE = "Peppol outbox"
ROOTS = ("Invoice", "CreditNote")


class PeppolTarget:
    """One file per document; a write either happened or did not, so nothing settles later."""

    batch_size = 1
    settle_seconds = 0.0

    def __init__(
        self, section: Mapping[str, Any], shop: str, retry: RetryPolicy, render: RenderPayloads
    ) -> None:
        if not str(section.get("outbox", "")).strip():
            raise ConfigurationError(f"shop {shop}: peppol needs `outbox` (a folder)")
        scheme, _, number = str(section.get("seller_endpoint", "")).partition(":")
        if not number:
            raise ConfigurationError(f"shop {shop}: peppol needs `seller_endpoint` (scheme:id)")
        self.seller = (scheme, number)
        self.root = Path(str(section["outbox"])).expanduser()
        self.outbox = Outbox(self.root, shop)
        self.render = render

    def check(self, settings: Mapping[str, Any]) -> list[CheckLine]:
        """The outbox folder can be written (a file made and removed), and the rules' seller
        is the one this outbox sends for."""
        probe = self.outbox.folder / ".mapper-check.tmp"
        try:
            self.outbox.folder.mkdir(parents=True, exist_ok=True)
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as error:
            return [
                CheckLine(TITLE, False, f"cannot write to {self.outbox.folder}: {error.strerror}")
            ]
        seller = settings.get("seller", {}).get("endpoint", {}) if settings else {}
        configured = (str(seller.get("scheme", "")), str(seller.get("id", "")))
        if configured != self.seller:
            return [CheckLine(TITLE, False, _seller_mismatch(configured, self.seller))]
        return [
            CheckLine(
                TITLE, True, f"{self.outbox.folder} writable; seller {_endpoint(self.seller)}"
            )
        ]

    def post(self, payloads: Sequence[HasBody]) -> list[Delivery]:
        return [self._write(payload) for payload in payloads]

    def _write(self, payload: HasBody) -> Delivery:
        document = ubl_document(payload.body)
        if document is None:
            return Delivery("refused", message="the payload is no UBL Invoice or CreditNote")
        number, party = document
        if party != self.seller:
            return Delivery("refused", message=_seller_mismatch(party, self.seller))
        if not number:
            return Delivery("refused", message="the document has no number (cbc:ID)")
        try:
            self.outbox.write(number, self.render([payload]).encode("utf-8"))
        except OSError as error:
            # Nothing was published (or it was, and `find` will say so): looked up, then
            # written again with back-off.
            message = f"cannot write to the outbox: {error.strerror or error}"
            return Delivery("uncertain", message=message, answered=True)
        # Written now, or by a pass that crashed before recording it: the same document.
        return Delivery("sent", reference=number)

    def find(self, payload: HasBody) -> str | None:
        """The document's number if its file is in the outbox."""
        document = ubl_document(payload.body)
        if document is None or not document[0]:
            return None
        return document[0] if self.outbox.holds(document[0]) else None

    def booking_key(self, payload: HasBody) -> str:
        """What `list_booked` is keyed by: the document's number."""
        document = ubl_document(payload.body)
        return document[0] if document else ""

    def list_booked(self, since: Any, until: Any) -> dict[str, str]:
        """Every document the shop's outbox holds (numbers are unique, dates not needed)."""
        return {number: number for number in self.outbox.documents()}

    def close(self) -> None:
        """Nothing is held open."""


def ubl_document(body: Mapping[str, Any]) -> tuple[str, tuple[str, str]] | None:
    """(document number, (seller endpoint scheme, id)) of a UBL payload, or None."""
    for root in ROOTS:
        value = body.get(root)
        if isinstance(value, list):
            value = value[0] if len(value) == 1 else None
        if isinstance(value, Mapping):
            party = value.get("cac:AccountingSupplierParty", {}).get("cac:Party", {})
            endpoint = party.get("cbc:EndpointID", {})
            seller = (str(endpoint.get("@schemeID", "")), str(endpoint.get("#text", "")))
            return str(value.get("cbc:ID", "") or ""), seller
    return None


def _endpoint(endpoint: tuple[str, str]) -> str:
    return f"{endpoint[0]}:{endpoint[1]}"


def _seller_mismatch(document: tuple[str, str], outbox: tuple[str, str]) -> str:
    return (
        f"the document's seller endpoint {_endpoint(document)} is not this outbox's "
        f"seller_endpoint {_endpoint(outbox)}; set peppol: seller: endpoint in the shop's "
        "settings (or the target's seller_endpoint)"
    )


class OutboxFolder:
    """`mapper simulate peppol`: Peppol has no remote system here, only a folder; this makes
    an empty outbox folder to point a target's `outbox:` at, and says where it is."""

    def __init__(self) -> None:
        self.url = ""

    def start(self) -> None:
        self.url = tempfile.mkdtemp(prefix="mapper-peppol-outbox-")

    def stop(self) -> None:
        """The folder and what was written to it stay, to be read."""

    def cli_banner(self) -> list[str]:
        return [f"no remote system: set a peppol target's outbox: {self.url}"]


def cli_simulator(**_: Any) -> OutboxFolder:
    return OutboxFolder()
