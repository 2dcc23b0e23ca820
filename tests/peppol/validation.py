"""Validate a UBL 2.1 document the way a Peppol access point does: the OASIS XSD, then the
EN 16931 rules (CEN's XSLT) and, where the user gives its path, OpenPeppol's own rules, each
an XSLT 2.0 run with saxonche whose SVRL output lists the failed asserts.

The stylesheets are compiled once per process (compiling takes seconds; running, milliseconds).
The UBL schemas (OASIS notice) and the CEN XSLT (EUPL 1.2) ship under artefacts/ with their
licences; OpenPeppol's XSLT states no redistribution licence, so it is read from the path in
the environment variable MAPPER_PEPPOL_XSLT and never copied here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

ARTEFACTS = Path(__file__).parent / "artefacts"
UBL_SCHEMAS = {
    "Invoice": ARTEFACTS / "ubl-2.1" / "maindoc" / "UBL-Invoice-2.1.xsd",
    "CreditNote": ARTEFACTS / "ubl-2.1" / "maindoc" / "UBL-CreditNote-2.1.xsd",
}
CEN_XSLT = ARTEFACTS / "cen" / "CEN-EN16931-UBL.xslt"
PEPPOL_XSLT_VARIABLE = "MAPPER_PEPPOL_XSLT"
PEPPOL_NOT_SET = (
    f"{PEPPOL_XSLT_VARIABLE} not set: Peppol's own rules (no redistribution licence) were not run"
)
SVRL = "{http://purl.oclc.org/dsdl/svrl}"


@dataclass(frozen=True)
class Finding:
    """One failed assert of a rule set: its id (BR-CO-15, PEPPOL-EN16931-R120), flag, text."""

    rule: str
    flag: str
    location: str
    text: str

    def __str__(self) -> str:
        return f"{self.rule} [{self.flag}] at {self.location}: {self.text}"


def peppol_xslt() -> Path | None:
    """The OpenPeppol XSLT the user pointed MAPPER_PEPPOL_XSLT at, or None."""
    value = os.environ.get(PEPPOL_XSLT_VARIABLE, "").strip()
    return Path(value) if value else None


def xsd_errors(document: bytes) -> list[str]:
    """What the UBL 2.1 XSD of the document's root (Invoice or CreditNote) says against it."""
    root = etree.fromstring(document)
    schema = _schema(etree.QName(root).localname)
    if schema.validate(root):
        return []
    errors: list[Any] = list(schema.error_log)  # type: ignore[call-overload]
    return [f"line {e.line}: {e.message}" for e in errors]


@cache
def _schema(root: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(UBL_SCHEMAS[root])))


def findings(document: bytes, stylesheet: Path) -> list[Finding]:
    """Every failed assert the schematron XSLT `stylesheet` reports for `document`."""
    executable = _compiled(str(stylesheet))
    processor = _processor()
    node = processor.parse_xml(xml_text=document.decode("utf-8"))
    report = executable.transform_to_string(xdm_node=node)
    svrl = etree.fromstring(report.encode("utf-8"))
    return [
        Finding(
            element.get("id", "?"),
            element.get("flag", ""),
            element.get("location", ""),
            " ".join("".join(element.itertext()).split()),
        )
        for element in svrl.iter(f"{SVRL}failed-assert")
    ]


def fatal(found: list[Finding]) -> list[Finding]:
    return [finding for finding in found if finding.flag == "fatal"]


@cache
def _processor() -> Any:
    from saxonche import PySaxonProcessor

    return PySaxonProcessor(license=False)


@cache
def _compiled(stylesheet: str) -> Any:
    compiler = _processor().new_xslt30_processor()
    return compiler.compile_stylesheet(stylesheet_file=stylesheet)
