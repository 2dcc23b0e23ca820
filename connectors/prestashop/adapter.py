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
