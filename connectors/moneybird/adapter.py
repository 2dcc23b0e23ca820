"""Moneybird as the sync pipeline's Target: one sales invoice per call, its contact ensured (never
duplicated) first, the rules' tax-rate and ledger-account names turned into the administration's
ids from lists read once per pass."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from ..adapters import (
    CheckLine,
    Delivery,
    HasBody,
    RenderPayloads,
    ResolvingPrecheck,
    post_each,
    secret_value,
)
from ..adapters import timeout as section_timeout
from ..errors import (
    AuthenticationError,
    ConnectorError,
    NotFoundError,
    TransientError,
)
from ..retry import RetryPolicy
from .client import MoneybirdClient
from .resolve import REVENUE, Administration, Unresolvable

TITLE = "Moneybird"


class MoneybirdTarget:
    """One sales invoice per call: Moneybird takes no batches."""

    batch_size = 1

    def __init__(
        self, section: Mapping[str, Any], shop: str, retry: RetryPolicy, render: RenderPayloads
    ) -> None:
        self.client = MoneybirdClient(
            section["url"],
            str(section["administration_id"]),
            secret_value(section, "token", shop),
            retry=retry,
            timeout=section_timeout(section, 30.0),
        )
        self._administration: Administration | None = None
        # A post without an answer may still be booked: looked up, not re-posted, until then.
        self.settle_seconds = float(section.get("settle_seconds", 900.0))

    def administration(self) -> Administration:
        """This pass's view of the administration, read at its first use."""
        if self._administration is None:
            wanted = self.client.administration_id
            found = [a for a in self.client.administrations() if str(a.get("id")) == wanted]
            if not found:
                raise NotFoundError(TITLE, f"administration {wanted} is not among those the "
                                    "token may use; check the target's administration_id")
            self._administration = Administration(
                f"'{found[0].get('name', wanted)}'",
                tuple(self.client.tax_rates()),
                tuple(self.client.ledger_accounts()),
            )
        return self._administration

    def setting_choices(self) -> dict[str, list[tuple[str, str]]]:
        """What the dashboard's Configuration offers in its drop-downs (GET tax_rates.json and
        ledger_accounts.json, read fresh): the active sales tax rates by name, and the active
        revenue ledger accounts by code (`account_id`, else the name, as the settings name
        them), each as (value, label)."""
        self._administration = None
        view = self.administration()
        rates = [
            (str(rate["name"]), f"{rate['name']} ({rate.get('percentage') or 'no'} %)")
            for rate in view.sales_rates
            if rate.get("name")
        ]
        accounts = [
            (
                str(account.get("account_id") or account.get("name")),
                f"{account.get('account_id') or '—'}: {account.get('name', '')}",
            )
            for account in view.ledger_accounts
            if account.get("account_type") == REVENUE and account.get("active") is not False
        ]
        return {"tax_rate": rates, "gl_account": sorted(accounts)}

    def check(self, settings: Mapping[str, Any]) -> list[CheckLine]:
        """The connection step: the token is accepted, the administration is among those it
        sees, it has active sales tax rates, and the rates and ledger accounts the moneybird
        `settings` name are there. One line, never the token."""
        try:
            self._administration = None
            view = self.administration()
        except AuthenticationError as error:
            return [fail(f"{error.message}; check the target's token")]
        except TransientError as error:
            return [fail(f"cannot reach {urlsplit(self.client.base_url).netloc}: {error.message}")]
        except ConnectorError as error:
            return [fail(error.message)]
        name = view.label
        if not view.sales_rates:
            return [fail(f"administration {name} has no active sales tax rates; add them in "
                         "Moneybird: Instellingen → Btw-tarieven")]
        try:
            for spec in _named_rates(settings):
                view.tax_rate_id(spec, "the settings")
            for account in _named_accounts(settings):
                view.ledger_account_id(account, "the settings")
        except Unresolvable as problem:
            return [fail(str(problem))]
        rates = ", ".join(sorted(str(r.get("name")) for r in view.sales_rates))
        return [CheckLine(TITLE, True, f"token accepted, administration {name} found; sales "
                                       f"tax rates {rates}")]

    def prechecker(self) -> ResolvingPrecheck:
        """A pre-check for one pass: the tax rates and ledger accounts are read again (once)."""
        self._administration = None
        return ResolvingPrecheck(
            self.administration, Unresolvable, "moneybird", "tax rates"
        )

    def post(self, payloads: Sequence[HasBody]) -> list[Delivery]:
        return post_each(payloads, self._post_one, (Unresolvable,))

    def _post_one(self, payload: HasBody) -> str:
        resolved = self.administration().resolve(payload.body)
        return self.client.post(resolved.contact, resolved.sales_invoice).invoice_id

    def find(self, payload: HasBody) -> str | None:
        """The sales invoice with this payload's reference (order number and id), if any."""
        found = self.client.find_by_reference(str(payload.body["sales_invoice"]["reference"]))
        return None if found is None else str(found["id"])

    def close(self) -> None:
        self.client.close()


def fail(message: str) -> CheckLine:
    return CheckLine(TITLE, False, message)


def _named_rates(settings: Mapping[str, Any]) -> list[dict[str, Any]]:
    named: dict[str, Any] = dict(settings.get("tax_rate_names") or {})
    specs = [{"name": name, "percentage": rate} for rate, name in named.items()]
    for key in ("icp_tax_rate", "export_tax_rate", "rounding_tax_rate"):
        if settings.get(key):
            specs.append({"name": settings[key]})
    return specs


def _named_accounts(settings: Mapping[str, Any]) -> list[str]:
    accounts: dict[str, Any] = dict(settings.get("ledger_accounts") or {})
    return sorted({str(value) for value in accounts.values()})
