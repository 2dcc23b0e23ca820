"""The outbox folder and the peppol Target over it: one file per document, published whole,
never replaced; a document of another seller refused; and the UBL writing the engine does for
it (prefixed names, attributes, elements without a value left out)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from mapper.connectors.errors import ConfigurationError
from mapper.connectors.peppol.adapter import PeppolTarget
from mapper.connectors.peppol.outbox import Outbox, document_id, file_name
from mapper.connectors.retry import RetryPolicy
from mapper.engine.mapping import Pair, Payload
from mapper.engine.paths import mappings_dir
from mapper.engine.rules.render import xml_document

ORDER = mappings_dir() / "prestashop-peppol/fixtures/01_domestic_two_rates_discount.input.json"
SELLER = "0106:64985636"


def test_a_document_id_becomes_a_file_name_no_other_id_shares() -> None:
    assert file_name("FA2026-0042") == "FA2026-0042.xml"
    assert file_name("FA/2026/7") == "FA%2F2026%2F7.xml"
    assert file_name("FA_2026_7") == "FA_2026_7.xml"
    assert file_name("..") == "%2E..xml"
    for number in ("FA/2026/7", "..", "CN-slip 14", "ü"):
        assert document_id(file_name(number)) == number


def test_a_document_is_published_whole_and_never_replaced(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path, "winkel")
    assert outbox.write("1042", b"<Invoice>first</Invoice>") is True
    assert outbox.write("1042", b"<Invoice>second</Invoice>") is False
    assert outbox.path("1042").read_bytes() == b"<Invoice>first</Invoice>"
    assert [p.name for p in outbox.folder.iterdir()] == ["1042.xml"]  # no temporary left
    (outbox.folder / ".tmpabc.tmp").write_bytes(b"<Inv")  # what a crash mid-write leaves
    assert outbox.documents() == ["1042"]


def written_payload() -> tuple[Pair, Payload]:
    pair = Pair.load("prestashop-peppol")
    outcome = pair.map(json.loads(ORDER.read_text("utf-8"), parse_float=Decimal))
    assert isinstance(outcome, Payload)
    return pair, outcome


def target(tmp_path: Path, pair: Pair, seller: str = SELLER) -> PeppolTarget:
    def render(payloads: Sequence[Any]) -> str:
        return pair.render(payloads)

    section = {"type": "peppol", "outbox": str(tmp_path), "seller_endpoint": seller}
    return PeppolTarget(section, "winkel", RetryPolicy(), render)


def test_the_target_writes_once_and_finds_what_it_wrote(tmp_path: Path) -> None:
    pair, payload = written_payload()
    outbox = target(tmp_path, pair)
    assert outbox.find(payload) is None
    assert [d.outcome for d in outbox.post([payload])] == ["sent"]
    assert outbox.find(payload) == "1042"
    written = (tmp_path / "winkel" / "1042.xml").read_text("utf-8")
    assert written == pair.render([payload])
    assert written.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<!-- order 1042 by mapper')
    # Posted again (a pass that crashed before recording it): the file stays, it is "sent".
    again = outbox.post([payload])
    assert (again[0].outcome, again[0].reference) == ("sent", "1042")
    assert outbox.list_booked(None, None) == {"1042": "1042"}


def test_a_document_of_another_seller_is_refused_with_what_to_set(tmp_path: Path) -> None:
    pair, payload = written_payload()
    delivery = target(tmp_path, pair, seller="0106:11111111").post([payload])[0]
    assert delivery.outcome == "refused"
    assert delivery.message == (
        "the document's seller endpoint 0106:64985636 is not this outbox's seller_endpoint "
        "0106:11111111; set peppol: seller: endpoint in the shop's settings (or the target's "
        "seller_endpoint)"
    )
    assert not (tmp_path / "winkel").exists() or not list((tmp_path / "winkel").iterdir())


def test_an_outbox_that_cannot_be_written_leaves_the_order_uncertain(tmp_path: Path) -> None:
    pair, payload = written_payload()
    (tmp_path / "winkel").write_text("a file where the folder should be")
    delivery = target(tmp_path, pair).post([payload])[0]
    assert (delivery.outcome, delivery.answered) == ("uncertain", True)
    assert delivery.message.startswith("cannot write to the outbox: ")
    check = target(tmp_path, pair).check(pair.target.settings)
    assert not check[0].ok and check[0].message.startswith(f"cannot write to {tmp_path}")


def test_check_says_the_outbox_is_writable_and_for_which_seller(tmp_path: Path) -> None:
    pair, _ = written_payload()
    [line] = target(tmp_path, pair).check(pair.target.settings)
    assert (line.ok, line.message) == (True, f"{tmp_path / 'winkel'} writable; seller {SELLER}")
    [line] = target(tmp_path, pair, "9944:NL001").check(pair.target.settings)
    assert not line.ok and "is not this outbox's seller_endpoint 9944:NL001" in line.message


def test_a_section_without_outbox_or_seller_is_a_configuration_error(tmp_path: Path) -> None:
    pair, _ = written_payload()
    with pytest.raises(ConfigurationError, match="peppol needs `outbox`"):
        PeppolTarget({"type": "peppol", "seller_endpoint": SELLER}, "w", RetryPolicy(), str)
    with pytest.raises(ConfigurationError, match="peppol needs `seller_endpoint` \\(scheme:id\\)"):
        PeppolTarget({"type": "peppol", "outbox": str(tmp_path)}, "w", RetryPolicy(), str)


def test_prefixed_names_attributes_and_empty_elements_in_xml() -> None:
    body = {
        "Invoice": {
            "@xmlns": "urn:x",
            "@xmlns:cbc": "urn:y",
            "cbc:Amount": {"@currencyID": "EUR", "#text": Decimal("12.50")},
            "cbc:Empty": {"@currencyID": "EUR", "#text": None},
            "cbc:EndpointID": {"@schemeID": None, "#text": 'A&B "1"'},
            "cbc:Note": {"@lang": 'n"l', "#text": "<b>"},
        }
    }
    assert xml_document(body, "order 7") == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<!-- order 7 -->\n"
        '<Invoice xmlns="urn:x" xmlns:cbc="urn:y">\n'
        '  <cbc:Amount currencyID="EUR">12.50</cbc:Amount>\n'
        '  <cbc:EndpointID>A&amp;B "1"</cbc:EndpointID>\n'
        '  <cbc:Note lang="n&quot;l">&lt;b&gt;</cbc:Note>\n'
        "</Invoice>\n"
    )
