"""PrestaShop as the sync pipeline's Source: order documents changed in a window, or by id, and
the manual's connection check (`check`: can the key log in, which version, only read rights?)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from ..adapters import CheckLine, secret_value, timeout
from ..errors import AuthenticationError, ConnectorError, TransientError
from ..retry import RetryPolicy
from .client import SYSTEM, ConnectionInfo, PrestaShopClient, WebserviceDisabledError

WEBSERVICE_PAGE = "Advanced parameters > Webservice"
# Ledger ids of PrestaShop credits (the prestashop rule set writes them): a credit slip, and the
# full credit of an order cancelled after it was invoiced.
SLIP = "slip-"
CANCEL = "cancel-"


class PrestaShopSource:
    def __init__(self, section: Mapping[str, Any], shop: str, retry: RetryPolicy) -> None:
        self.page_size = int(section.get("page_size", 100))
        self.client = PrestaShopClient(
            section["url"],
            secret_value(section, "key", shop),
            retry=retry,
            shop_timezone=ZoneInfo(section.get("timezone", "Europe/Amsterdam")),
            timeout=timeout(section, 10.0),
        )

    def changed(self, since: dt.datetime, until: dt.datetime) -> Iterator[dict[str, Any]]:
        return self.client.iter_orders_changed(since, until, page_size=self.page_size)

    def by_ids(self, ids: Sequence[str]) -> Iterator[dict[str, Any]]:
        return iter(self.client.fetch_orders([int(i) for i in ids], batch_size=self.page_size))

    # -- CreditSource (connectors/adapters.py) ----------------------------------------------
    def credits_changed(self, since: dt.datetime, until: dt.datetime) -> Iterator[dict[str, Any]]:
        """Credit documents of the slips changed in [since, until] (order document plus
        `order_slip`)."""
        return self.client.iter_slips_changed(since, until, page_size=self.page_size)

    def credits_by_ids(self, ids: Sequence[str]) -> Iterator[dict[str, Any]]:
        """Credit documents by ledger id: `slip-12` is order_slip 12; `cancel-1042` is the
        order document of cancelled order 1042 (the rule set makes its full credit)."""
        slips = [int(i.removeprefix(SLIP)) for i in ids if i.startswith(SLIP)]
        cancelled = [int(i.removeprefix(CANCEL)) for i in ids if i.startswith(CANCEL)]
        yield from self.client.fetch_slips(slips, batch_size=self.page_size)
        if cancelled:
            yield from self.client.fetch_orders(cancelled, batch_size=self.page_size)

    def credit_ids_of(self, order_id: str) -> list[str]:
        """The ledger ids of the credits the shop holds or may make for order `order_id`: each
        of its credit slips (`slip-12`, asked of the shop now) and its cancellation's full
        credit (`cancel-1042`), so the sync can tell the rules what else credits the order."""
        slips = self.client.slip_ids_of(int(order_id))
        return [f"{SLIP}{slip}" for slip in slips] + [f"{CANCEL}{int(order_id)}"]

    def check(self) -> list[CheckLine]:
        """The shop's green or red dot: one line for logging in (with the version), one for
        the key's rights — a warning when it may write (the manual asks for View / GET only) or
        when the rights could not be read. Never raises for a failing shop."""
        host = urlsplit(self.client.base_url).netloc
        try:
            info = self.client.check_access()
        except WebserviceDisabledError:
            return [CheckLine(SYSTEM, False, f"{host}: the webservice is disabled "
                                             f"(enable it in {WEBSERVICE_PAGE})")]
        except AuthenticationError as error:
            if error.status == 401:
                return [CheckLine(SYSTEM, False, f"{host}: key refused (check the webservice "
                                                 f"key in {WEBSERVICE_PAGE})")]
            return [CheckLine(SYSTEM, False, f"{host}: the key may not read orders (tick View "
                                             f"(GET) for orders in {WEBSERVICE_PAGE})")]
        except TransientError as error:
            if error.status is None:
                return [CheckLine(SYSTEM, False, f"cannot reach {host}: {error.message}")]
            return [CheckLine(SYSTEM, False, f"{host}: {error.message}")]
        except ConnectorError as error:
            return [CheckLine(SYSTEM, False, f"{host}: {error.message}")]
        version = f"PrestaShop {info.version}" if info.version else "version not given"
        return [CheckLine(SYSTEM, True, f"{host}: logged in ({version})"), _rights_line(info)]

    def close(self) -> None:
        self.client.close()


def _rights_line(info: ConnectionInfo) -> CheckLine:
    """What the key may do, as the manual's step asks: View (GET) and nothing more."""
    if info.rights is None:
        return CheckLine(
            SYSTEM,
            True,
            f"the key's rights could not be read ({info.rights_problem}); check in "
            f"{WEBSERVICE_PAGE} that it has View (GET) only",
            warning=True,
        )
    lacking = info.unreadable()
    if lacking:
        return CheckLine(
            SYSTEM,
            False,
            "the key may not read " + ", ".join(lacking) + f" (tick View (GET) for them in "
            f"{WEBSERVICE_PAGE})",
        )
    writable = info.writable()
    if writable:
        methods = sorted({m for ms in writable.values() for m in ms})
        shown = ", ".join(list(writable)[:5]) + (", …" if len(writable) > 5 else "")
        return CheckLine(
            SYSTEM,
            True,
            f"the key may also write ({'/'.join(methods)} on {len(writable)} resources: "
            f"{shown}); the manual asks for View (GET) only: untick the rest in "
            f"{WEBSERVICE_PAGE}",
            warning=True,
        )
    return CheckLine(SYSTEM, True, "the key may only read (View / GET), as the manual asks")


__all__ = ["PrestaShopSource"]
