"""EU VAT numbers: normalised and checked offline (checksum), three-valued by design.

`valid` and `invalid` come from the checksum; `unverified` is kept for a live VIES check that
could not be made — VIES being down never makes a number invalid.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError

from .countries import is_eu, iso_code


@dataclass(frozen=True)
class VatNumber:
    number: str  # normalised: country prefix + digits, no spaces or dots; Greece as EL
    status: str  # valid | invalid | unverified
    country: str  # ISO code of the issuing country ('' when unknown)
    reason: str = ""

    @property
    def valid(self) -> bool:
        return self.status == "valid"


@lru_cache(maxsize=4096)
def check_vat_number(raw: str | None) -> VatNumber:
    """Normalise and check an EU VAT number, as an ICP invoice needs it.

    >>> check_vat_number("de 136.695.976")
    VatNumber(number='DE136695976', status='valid', country='DE', reason='')
    >>> check_vat_number("GR094259216").number
    'EL094259216'
    >>> check_vat_number("EU372000041").reason
    'an OSS number (EU…) is not a VAT number for intra-community supplies'
    """
    text = (raw or "").strip()
    if not text:
        return VatNumber("", "invalid", "", "no VAT number")
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
    if not is_eu(country):
        return VatNumber(compact, "invalid", country, f"{prefix} is not an EU member state")
    try:
        eu_vat.validate(compact)
    except ValidationError as error:
        return VatNumber(compact, "invalid", country, f"the number fails its checksum ({error})")
    return VatNumber(compact, "valid", country)
