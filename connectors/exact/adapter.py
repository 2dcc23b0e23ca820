"""Exact Online as the sync pipeline's Target: one sales entry per call, its account ensured
(never duplicated) first, the rules' GL account and VAT codes checked against — and turned
into — what the division answered (read once per pass).

The tokens rotate on every refresh, so they must be kept where every pass and worker finds
them: the engine hands the adapter a TokenStore (`tokens=`, the ledger's, encrypted) because
the class says `keeps_tokens = True`. Without one the adapter refuses to start: a refresh
whose new token was kept nowhere would leave the next pass with a dead one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from ..adapters import (
    CheckLine,
    Delivery,
    HasBody,
    RenderPayloads,
    ResolvingPrecheck,
    login_failed,
    post_each,
    secret_value,
)
from ..adapters import timeout as section_timeout
from ..errors import (
    AuthenticationError,
    ConfigurationError,
    ConnectorError,
)
from ..retry import RetryPolicy
from .client import DEFAULT_URL, ExactClient
from .resolve import Division, Unresolvable
from .tokens import TokenStore

TITLE = "Exact Online"


class ExactTarget:
    """One sales entry per call: Exact takes no batches of entries."""

    batch_size = 1
    keeps_tokens = True  # the engine passes `tokens=`: where the rotating tokens are kept

    def __init__(
        self,
        section: Mapping[str, Any],
        shop: str,
        retry: RetryPolicy,
        render: RenderPayloads,
        *,
        tokens: TokenStore | None = None,
    ) -> None:
        if tokens is None:
            raise ConfigurationError(
                f"shop {shop}: exact needs the ledger to keep its rotating OAuth tokens")
        division = section.get("division")
        self.client = ExactClient(
            str(section.get("url") or DEFAULT_URL),
            tokens,
            client_id=str(section["client_id"]),
            client_secret=secret_value(section, "client_secret", shop),
            refresh_token=secret_value(section, "refresh_token", shop),
            division=None if division in (None, "") else int(division),
            retry=retry,
            timeout=section_timeout(section, 30.0),
        )
        self._division: Division | None = None
        # A post without an answer may still be booked: looked up, not re-posted, until then.
        self.settle_seconds = float(section.get("settle_seconds", 900.0))

    def division(self) -> Division:
        """This pass's view of the division, read at its first use."""
        if self._division is None:
            client = self.client
            self._division = Division(client.division, tuple(client.vat_codes()),
                                      tuple(client.gl_accounts()), tuple(client.journals()))
        return self._division

    def check(self, settings: Mapping[str, Any]) -> list[CheckLine]:
        """The connection step: the tokens work, the division answers, and the journal, VAT
        codes and GL accounts the exact `settings` name are there. One line, never a token."""
        host = urlsplit(self.client.base_url).netloc
        try:
            self._division = None
            me = self.client.me()
            view = self.division()
        except ConnectorError as error:
            return [login_failed(TITLE, host, error, _refusal)]
        try:
            view.journal(settings.get("journal"))
            for code, rate in _named_vat_codes(settings):
                view.vat_code(code, rate, "the settings")
            for account in sorted({str(v) for v in (settings.get("gl_accounts") or {}).values()}):
                view.gl_account_id(account, "the settings")
        except Unresolvable as problem:
            return [CheckLine(TITLE, False, str(problem))]
        who = me.get("DivisionCustomerName") or me.get("FullName") or "the user"
        codes = ", ".join(sorted(str(c.get("Code")).strip() for c in view.sales_vat_codes))
        return [CheckLine(TITLE, True, f"{host}: tokens accepted, division {view.number} "
                                       f"({who}); sales VAT codes {codes}")]

    def prechecker(self) -> ResolvingPrecheck:
        """A pre-check for one pass: the division's lists are read again (once)."""
        self._division = None
        return ResolvingPrecheck(self.division, Unresolvable, "exact", "VAT codes")

    def post(self, payloads: Sequence[HasBody]) -> list[Delivery]:
        return post_each(payloads, self._post_one, (Unresolvable,))

    def _post_one(self, payload: HasBody) -> str:
        resolved = self.division().resolve(payload.body)
        return self.client.post(resolved.account, resolved.sales_entry).entry_id

    def find(self, payload: HasBody) -> str | None:
        """The sales entry with this payload's YourRef (order number and id), if any."""
        found = self.client.find_entry(str(payload.body["sales_entry"]["YourRef"]))
        return None if found is None else str(found["EntryID"])

    def booking_key(self, payload: HasBody) -> str:
        """What `list_booked` is keyed by: the entry's YourRef."""
        return str(payload.body["sales_entry"]["YourRef"])

    def list_booked(self, since: dt.datetime, until: dt.datetime) -> dict[str, str]:
        """YourRef → EntryID of the sales entries dated in the window (for `mapper adopt`)."""
        return self.client.booked(since.date(), until.date())

    def close(self) -> None:
        self.client.close()


def _refusal(error: AuthenticationError) -> str:
    return f"{error.message}; check the target's client_id, client_secret and refresh_token"


def _named_vat_codes(settings: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    named: dict[str, Any] = dict(settings.get("vat_codes") or {})
    pairs: list[tuple[str, str | None]] = [(str(code), str(rate)) for rate, code in named.items()]
    for key in ("icp_vat_code", "export_vat_code", "rounding_vat_code"):
        if settings.get(key):
            pairs.append((str(settings[key]), "0"))
    return pairs
