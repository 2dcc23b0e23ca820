"""EU VAT numbers: normalised and checked offline (checksum), three-valued by design.

The checksum is the first step and works offline: it gives `valid` or `invalid`. A live VIES
check (connectors/vies, run by engine/sync/vies.py before mapping) then confirms a valid
number, refutes it, or could not be made: `unverified` — VIES being down never makes a number
invalid. Its answers reach the rules as data (`with_vies`), never as a call from a rule.

Northern Ireland's numbers (prefix XI) are EU VAT numbers for goods since 2021-01-01
(Protocol on Ireland/Northern Ireland art. 8, the Windsor Framework).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from .countries import is_eu, iso_code


@dataclass(frozen=True)
class VatNumber:
    number: str  # normalised: country prefix + digits, no spaces or dots; Greece as EL
    status: str  # valid | invalid | unverified
    country: str  # ISO code of the issuing country ('' when unknown; XI: Northern Ireland)
    reason: str = ""
    checked: str = "checksum"  # how the status was reached: checksum | vies

    @property
    def valid(self) -> bool:
        return self.status == "valid"


@lru_cache(maxsize=4096)
def check_vat_number(raw: str | None) -> VatNumber:
    """Normalise and check an EU VAT number, as an ICP invoice needs it.

    >>> check_vat_number("de 136.695.976")
    VatNumber(number='DE136695976', status='valid', country='DE', reason='', checked='checksum')
    >>> check_vat_number("GR094259216").number
    'EL094259216'
    >>> check_vat_number("XI 980780684").country
    'XI'
    >>> check_vat_number("EU372000041").reason
    'an OSS number (EU…) is not a VAT number for intra-community supplies'
    """
    text = (raw or "").strip()
    if not text:
        return VatNumber("", "invalid", "", "no VAT number")
    # Imported here: python-stdnum brings ssl and more, which an order without a number
    # (and `mapper --help`) never needs.
    from stdnum.eu import vat as eu_vat
    from stdnum.exceptions import ValidationError

    try:
        compact = eu_vat.compact(text)
    except ValidationError:
        return VatNumber(text, "invalid", "", "not a VAT number")
    prefix = compact[:2].upper()
    if prefix == "GR":
        compact = "EL" + compact[2:]
        prefix = "EL"
    if prefix == "EU":
        return VatNumber(
            compact,
            "invalid",
            "",
            "an OSS number (EU…) is not a VAT number for intra-community supplies",
        )
    country = iso_code(prefix)
    if not is_eu(country) and country != NORTHERN_IRELAND:
        return VatNumber(compact, "invalid", country, f"{prefix} is not an EU member state")
    try:
        eu_vat.validate(compact)
    except ValidationError as error:
        return VatNumber(compact, "invalid", country, f"the number fails its checksum ({error})")
    return VatNumber(compact, "valid", country)


def with_vies(vat: VatNumber, answer: Mapping[str, Any] | None) -> VatNumber:
    """The number as VIES answered for it: a number the checksum refused stays invalid (VIES
    is not asked about it); without an answer the checksum's verdict stands.

    `answer` is one entry of the VIES answers a pass gathered (engine/sync/vies.py):
    `{"status": "valid" | "invalid" | "unverified", "checked_on": "2024-06-15",
    "fault": "MS_UNAVAILABLE"}`.

    >>> vat = check_vat_number("DE136695976")
    >>> with_vies(vat, {"status": "unverified", "checked_on": "2024-06-15",
    ...                 "fault": "TIMEOUT"}).reason
    'VIES could not confirm it on 2024-06-15: the member state did not answer in time'
    >>> with_vies(vat, {"status": "invalid", "checked_on": "2024-06-15"}).status
    'invalid'
    >>> with_vies(vat, None) == vat
    True
    """
    if answer is None or not vat.valid:
        return vat
    status = str(answer.get("status", ""))
    if status not in VIES_STATUSES:
        raise ValueError(f"a VIES answer's status is valid, invalid or unverified, not {status!r}")
    day = str(answer.get("checked_on", ""))
    if status == "valid":
        return replace(vat, checked="vies", reason="")
    if status == "invalid":
        reason = f"VIES does not know it as a valid VAT number (checked on {day})"
    else:
        fault = str(answer.get("fault", ""))
        reason = f"VIES could not confirm it on {day}: {VIES_FAULTS.get(fault, 'no answer')}"
    return replace(vat, status=status, checked="vies", reason=reason)


NORTHERN_IRELAND = "XI"
VIES_STATUSES = ("valid", "invalid", "unverified")
# VIES's fault strings (its WSDL's documentation), said plainly.
VIES_FAULTS = {
    "MS_UNAVAILABLE": "the member state's database is not available",
    "MS_MAX_CONCURRENT_REQ": "the member state's database is too busy",
    "GLOBAL_MAX_CONCURRENT_REQ": "VIES is too busy",
    "SERVICE_UNAVAILABLE": "VIES is not available",
    "TIMEOUT": "the member state did not answer in time",
    "INVALID_INPUT": "VIES refused the request as malformed",
    "UNREACHABLE": "VIES could not be reached",
}
