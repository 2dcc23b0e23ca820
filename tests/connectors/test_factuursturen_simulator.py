"""The Factuursturen simulator answers in the real wire format and refuses what the API would."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
from mapper.connectors.factuursturen.simulator import (
    DEMO_API_KEY,
    DEMO_USERNAME,
    FactuursturenSimulator,
    cli_simulator,
)
from mapper.connectors.simulation import Faults

try:
    from tests.connectors.ls_fs_fixtures import (
        FakeClock,
        client_fields,
        clock,
        fs_sim,
        invoice_fields,
        raw_http,
    )
except ImportError:
    from ls_fs_fixtures import (  # type: ignore[no-redef]
        FakeClock,
        client_fields,
        clock,
        fs_sim,
        invoice_fields,
        raw_http,
    )

__all__ = ["clock", "fs_sim"]

AUTH = (DEMO_USERNAME, DEMO_API_KEY)


def call(sim: FactuursturenSimulator, method: str, path: str, body: Any = None,
         **params: Any) -> httpx.Response:
    content = None if body is None else json.dumps(body, default=str).encode()
    return raw_http().request(method, f"{sim.url}/api/v1/{path}", content=content, params=params,
                         auth=AUTH, headers={"Accept": "application/json"})


def test_refuses_wrong_credentials(fs_sim: FactuursturenSimulator) -> None:
    response = raw_http().get(f"{fs_sim.url}/api/v1/clients", auth=(DEMO_USERNAME, "nope"))
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("text/plain")


def test_countrylist_is_a_bare_array_of_ids_and_names(fs_sim: FactuursturenSimulator) -> None:
    dutch = call(fs_sim, "GET", "countrylist/nl").json()
    assert isinstance(dutch, list)
    assert {"id": "146", "name": "Nederland"} in dutch
    assert {"id": "18", "name": "België"} in dutch
    assert [row["name"] for row in dutch] == sorted(row["name"] for row in dutch)
    english = call(fs_sim, "GET", "countrylist/en").json()
    assert {"id": "50", "name": "Germany"} in english


def test_client_post_answers_the_number_as_plain_text(fs_sim: FactuursturenSimulator) -> None:
    created = call(fs_sim, "POST", "clients", client_fields(country="Nederland"))
    assert created.status_code == 201 and created.text == "3104501"
    assert created.headers["content-type"].startswith("text/plain")
    single = call(fs_sim, "GET", "clients/3104501").json()
    assert set(single) == {"client"}
    client = single["client"]
    assert client["clientnr"] == "3104501" and client["country"] == "146"
    assert client["top"] == "14" and client["tax_type"] == "extax"
    listed = call(fs_sim, "GET", "clients").json()
    assert isinstance(listed, list) and listed[0]["clientnr"] == "3104501"
    numbered = call(fs_sim, "POST", "clients", {"company": "Zonder nummer BV",
                                                "sendmethod": "mail"})
    assert numbered.text == "3104502"


@pytest.mark.parametrize(("fields", "message"), [
    ({"clientnr": "A12"}, "clientnr must be a number"),
    ({"country": "Atlantis"}, "Unknown country 'Atlantis'"),
    ({"email": ""}, "e-mail address is required"),
    ({"contact": "", "company": ""}, "needs a company or a contact"),
    ({"tax_type": "both"}, "Unknown tax_type"),
])
def test_client_validation(fs_sim: FactuursturenSimulator, fields: dict[str, Any],
                           message: str) -> None:
    response = call(fs_sim, "POST", "clients", client_fields(**fields))
    assert response.status_code == 400 and message in response.text


def test_duplicate_client_number_is_refused(fs_sim: FactuursturenSimulator) -> None:
    call(fs_sim, "POST", "clients", client_fields())
    again = call(fs_sim, "POST", "clients", client_fields())
    assert again.status_code == 400 and "already exists" in again.text
    assert len(fs_sim.clients) == 1


def test_unknown_client_is_404_plain_text(fs_sim: FactuursturenSimulator) -> None:
    response = call(fs_sim, "GET", "clients/999")
    assert response.status_code == 404 and response.text == "Client 999 not found"


def test_sent_invoice_in_the_real_response_shape(fs_sim: FactuursturenSimulator) -> None:
    call(fs_sim, "POST", "clients", client_fields())
    created = call(fs_sim, "POST", "invoices", invoice_fields())
    assert created.status_code == 201
    number = created.text
    assert number.isdigit() and len(number) == 8
    invoice = call(fs_sim, "GET", f"invoices/{number}").json()["invoice"]
    assert invoice["invoicenr"] == invoice["invoicenr_full"] == number
    assert invoice["reference"] == {"line1": "Bestelling ORD00101", "line2": "", "line3": ""}
    line = invoice["lines"]["line1"]
    assert line == {"amount": 2, "amount_desc": "", "description": "Sencha Kyoto 100 gram",
                    "tax_rate": 9, "price": 8.211, "discount_pct": 0, "linetotal": 16.42}
    # 9 %: 16.42 → 1.48; 21 %: 41.28 + 4.92 = 46.20 → 9.70.
    assert invoice["taxes"] == {
        "tax1": {"rate": 21, "sum": "9.70", "sum_of": "46.20"},
        "tax2": {"rate": 9, "sum": "1.48", "sum_of": "16.42"},
    }
    assert (invoice["tax"], invoice["totalintax"], invoice["open"]) == ("11.18", "73.80", "73.80")
    assert invoice["clientnr"] == "3104501" and invoice["country"] == "146"
    assert invoice["history"]["item1"]["description"] == "Factuur verstuurd via e-mail"
    assert invoice["sent"] and invoice["duedate"] > invoice["sent"]
    assert call(fs_sim, "GET", "invoices").json()[0]["invoicenr"] == number


def test_prices_include_vat_for_an_intax_client(fs_sim: FactuursturenSimulator) -> None:
    call(fs_sim, "POST", "clients", client_fields(tax_type="intax"))
    lines = {"line1": {"amount": 1, "description": "Theepot", "tax_rate": 21,
                       "price": "49.95"}}
    number = call(fs_sim, "POST", "invoices", invoice_fields(lines=lines)).text
    invoice = fs_sim.invoices[number]
    assert invoice["totalintax"] == "49.95"
    assert invoice["taxes"]["tax1"] == {"rate": Decimal(21), "sum": "8.67", "sum_of": "41.28"}


@pytest.mark.parametrize(("overrides", "message"), [
    ({"clientnr": "777"}, "Client 777 does not exist"),
    ({"clientnr": ""}, "clientnr is required"),
    ({"lines": {}}, "The invoice has no lines"),
    ({"lines": None}, "The invoice has no lines"),
    ({"action": "print"}, "action must be one of send, save, repeat"),
    ({"action": "save"}, "savename is required when action is save"),
    ({"lines": {"line1": {"amount": 1, "description": "x", "tax_rate": 19, "price": 1}}},
     "line1: tax_rate 19 is not one of the account's VAT rates (21, 9, 0)"),
    ({"lines": {"line1": {"amount": "twee", "description": "x", "tax_rate": 21, "price": 1}}},
     "line1: amount must be a number"),
    ({"sendmethod": "fax"}, "sendmethod must be mail, email or printcenter"),
    ({"invoicenr": "F-1"}, "invoicenr must be a whole number"),
])
def test_invoice_validation_errors_are_plain_text_400(
    fs_sim: FactuursturenSimulator, overrides: dict[str, Any], message: str
) -> None:
    call(fs_sim, "POST", "clients", client_fields())
    response = call(fs_sim, "POST", "invoices", invoice_fields(**overrides))
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert message in response.text
    assert fs_sim.invoices == {}


def test_concepts_are_saved_not_sent(fs_sim: FactuursturenSimulator) -> None:
    call(fs_sim, "POST", "clients", client_fields())
    concept = invoice_fields(action="save", savename="ORD00101")
    saved_id = call(fs_sim, "POST", "invoices", concept).text
    assert fs_sim.invoices == {} and fs_sim.saved[saved_id]["savename"] == "ORD00101"
    again = call(fs_sim, "POST", "invoices", concept)
    assert again.status_code == 400 and "already exists" in again.text
    overwrite = call(fs_sim, "POST", "invoices", {**concept, "overwrite_if_exist": True})
    assert overwrite.text == saved_id and len(fs_sim.saved) == 1
    assert call(fs_sim, "GET", "invoices_saved").json()[0]["id"] == saved_id


def test_forced_number_and_already_paid(fs_sim: FactuursturenSimulator) -> None:
    call(fs_sim, "POST", "clients", client_fields())
    number = call(fs_sim, "POST", "invoices",
                  invoice_fields(invoicenr="20269999", alreadypaid="full")).text
    assert number == "20269999"
    assert fs_sim.invoices[number]["open"] == "0.00" and fs_sim.invoices[number]["paiddate"]
    twice = call(fs_sim, "POST", "invoices", invoice_fields(invoicenr="20269999"))
    assert twice.status_code == 400 and "already exists" in twice.text
    paid = call(fs_sim, "GET", "invoices", filter="paid").json()
    assert [i["invoicenr"] for i in paid] == ["20269999"]
    assert call(fs_sim, "GET", "invoices", filter="open").json() == []


def test_hourly_budget_is_reported_and_enforced(clock: FakeClock) -> None:
    with FactuursturenSimulator(rate_limit_hour=2, clock=clock) as sim:
        assert call(sim, "GET", "clients").headers["x-ratelimit-remaining"] == "1"
        assert call(sim, "GET", "clients").headers["x-ratelimit-remaining"] == "0"
        spent = call(sim, "GET", "clients")
        assert spent.status_code == 429 and spent.headers["x-ratelimit-remaining"] == "0"
        clock.sleep(3600)
        assert call(sim, "GET", "clients").status_code == 200


def test_injected_faults_look_like_the_real_system(clock: FakeClock) -> None:
    faults = Faults(rate=1.0, kinds=("429",), retry_after=3)
    with FactuursturenSimulator(clock=clock, faults=faults) as sim:
        response = call(sim, "GET", "clients")
    assert response.status_code == 429 and response.headers["retry-after"] == "3"
    assert response.headers["x-ratelimit-remaining"] == "0"


def test_cli_simulator_has_a_demo_client_and_banner() -> None:
    with cli_simulator(port=0, latency=0.0, faults=Faults()) as sim:
        assert isinstance(sim, FactuursturenSimulator)
        assert "3104502" in sim.clients
        banner = "\n".join(sim.cli_banner())
        assert DEMO_USERNAME in banner and sim.url in banner
