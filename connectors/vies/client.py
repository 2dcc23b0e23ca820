"""Client of VIES, the EU's VAT number validation service (SOAP `checkVatService`), on zeep.

`ViesClient.check("DE136695976")` asks VIES's checkVat and answers three-valued: `valid`,
`invalid` (VIES does not know the number as an active one), or `unverified` — VIES could not
say (a fault such as MS_UNAVAILABLE or TIMEOUT, a timeout, no connection). VIES being down
never makes a number invalid: every failure is an `unverified` answer carrying its fault,
never an exception, so the caller decides what an unverified number means.

Busy and timed-out answers (TIMEOUT, SERVICE_UNAVAILABLE, MS_MAX_CONCURRENT_REQ,
GLOBAL_MAX_CONCURRENT_REQ, no answer in time) are retried with back-off; MS_UNAVAILABLE (a
member state's database is down, often for hours) and INVALID_INPUT are not.

The WSDL is read from `schemas/vies/` (never from the network); the endpoint is `url`. The
trader's name and address VIES returns are never read, kept or logged.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import zeep
import zeep.exceptions
from lxml import etree
from zeep.transports import Transport

from ..errors import ConnectorError, TransientError, connection_problem
from ..retry import RetryPolicy, call_with_retry

SYSTEM = "vies"
WSDL = Path(__file__).resolve().parents[2] / "schemas" / "vies" / "checkVatService.wsdl"
SERVICE_URL = "https://ec.europa.eu/taxation_customs/vies/services/checkVatService"
BINDING = "{urn:ec.europa.eu:taxud:vies:services:checkVat}checkVatBinding"

# VIES's fault strings (its WSDL's documentation).
RETRIED_FAULTS = frozenset(
    {"TIMEOUT", "SERVICE_UNAVAILABLE", "MS_MAX_CONCURRENT_REQ", "GLOBAL_MAX_CONCURRENT_REQ"}
)
KNOWN_FAULTS = RETRIED_FAULTS | {"MS_UNAVAILABLE", "INVALID_INPUT"}
# Not a VIES fault: what the client says when it got no answer at all.
UNREACHABLE = "UNREACHABLE"
_NUMBER = re.compile(r"^([A-Z]{2})([0-9A-Za-z+*.]{2,12})$")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ViesAnswer:
    """What VIES said of one number. `fault` is set when `status` is unverified."""

    number: str  # with its prefix, as asked: DE136695976, EL094259216, XI980780684
    status: str  # valid | invalid | unverified
    checked_on: dt.date
    fault: str = ""

    def as_data(self) -> dict[str, str]:
        """The answer as the rules read it (the fetched document's `vies: {number: …}`)."""
        return {
            "status": self.status,
            "checked_on": self.checked_on.isoformat(),
            "fault": self.fault,
        }


class _Unanswered(ConnectorError):
    """VIES gave no verdict; `fault` says why. Not asked again (MS_UNAVAILABLE, …)."""

    def __init__(self, fault: str, message: str) -> None:
        super().__init__(SYSTEM, message)
        self.fault = fault


class _Busy(_Unanswered, TransientError):
    """No verdict, but one may come when asked again shortly (TIMEOUT, busy, no answer)."""


class ViesClient:
    """Asks VIES about VAT numbers; one HTTP session for all of a pass's questions."""

    def __init__(
        self,
        url: str = SERVICE_URL,
        *,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self.url = url
        self.calls = 0
        self._retry = retry or RetryPolicy(attempts=3, base_delay=0.5, max_delay=5.0)
        self._today = today
        self._session = session or requests.Session()
        transport = _OfflineTransport(  # type: ignore[no-untyped-call]
            session=self._session, timeout=timeout, operation_timeout=timeout
        )
        client = zeep.Client(str(WSDL), transport=transport)  # type: ignore[no-untyped-call]
        self._service: Any = client.create_service(BINDING, url)  # type: ignore[no-untyped-call]

    def __repr__(self) -> str:
        return f"ViesClient(url={self.url!r})"

    def close(self) -> None:
        self._session.close()

    def check(self, number: str) -> ViesAnswer:
        """VIES's answer for `number` (prefix and digits, as vatnumber.check_vat_number gives
        it). Never raises for VIES's own failures: they are `unverified` answers."""
        match = _NUMBER.match(number)
        if match is None:
            return ViesAnswer(number, "unverified", self._today(), "INVALID_INPUT")
        country, digits = match.groups()
        try:
            valid, day = call_with_retry(lambda: self._ask(country, digits), self._retry)
        except _Unanswered as error:
            log.info("vies: %s for a %s number: %s", error.fault, country, error.message)
            return ViesAnswer(number, "unverified", self._today(), error.fault)
        return ViesAnswer(number, "valid" if valid else "invalid", day)

    def _ask(self, country: str, digits: str) -> tuple[bool, dt.date]:
        self.calls += 1
        try:
            result = self._service.checkVat(countryCode=country, vatNumber=digits)
        except zeep.exceptions.Fault as fault:
            code = _fault_name(str(fault.message or ""))
            if code in RETRIED_FAULTS:
                raise _Busy(code, f"VIES answered {code}") from None
            # MS_UNAVAILABLE, INVALID_INPUT and anything new: asking again now will not help.
            raise _Unanswered(code, f"VIES answered {code}") from None
        except requests.Timeout:
            raise _Busy("TIMEOUT", "no answer in time") from None
        except requests.RequestException as error:
            problem = connection_problem(error) or type(error).__name__
            raise _Busy(UNREACHABLE, problem) from None
        except (zeep.exceptions.Error, etree.XMLSyntaxError, ValueError, TypeError) as error:
            raise _Unanswered(UNREACHABLE, f"unreadable answer ({type(error).__name__})") from None
        return bool(result.valid), _request_date(result.requestDate, self._today())


def _fault_name(text: str) -> str:
    """MS_UNAVAILABLE from 'MS_UNAVAILABLE' or the older "{ 'MS_UNAVAILABLE' }"."""
    name = text.strip().strip("{}").strip().strip("'").strip()
    return name if name in KNOWN_FAULTS else (name[:40] or "SERVICE_UNAVAILABLE")


def _request_date(value: object, fallback: dt.date) -> dt.date:
    if isinstance(value, dt.date):
        return value
    text = str(value or "")[:10]
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return fallback


class _OfflineTransport(Transport):
    """zeep's transport that never fetches a schema from the network, and posts without
    logging the envelope (it holds the VAT number: customer data)."""

    def post(self, address: str, message: bytes | str, headers: dict[str, str]) -> Any:
        return self.session.post(
            address, data=message, headers=headers, timeout=self.operation_timeout
        )

    def load(self, url: str) -> bytes:
        path = Path(url.removeprefix("file://"))
        if path.is_file():
            return path.read_bytes()
        raise TransientError(SYSTEM, f"refusing to fetch {url}: the VIES WSDL is read from disk")
