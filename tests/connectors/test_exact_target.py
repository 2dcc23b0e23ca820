"""ExactTarget and its client against the Exact Online simulator: the connection check's one
line, codes the division lacks held back with what to configure, OData paging, the padded
account Code, and the rotating refresh token used once even by two workers."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from mapper.connectors.adapters import CheckLine, Delivery
from mapper.connectors.exact.adapter import ExactTarget
from mapper.connectors.exact.client import ExactClient
from mapper.connectors.exact.simulator import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_REFRESH_TOKEN,
    ExactSimulator,
)
from mapper.connectors.exact.tokens import MemoryTokenStore, TokenStore
from mapper.connectors.retry import RetryPolicy
from mapper.connectors.secret import Secret
from mapper.engine.ledger import Ledger
from mapper.engine.ledger.connector_tokens import ConnectorTokens
from mapper.engine.paths import mappings_dir

FIXTURES = mappings_dir() / "exact" / "fixtures"
SETTINGS: dict[str, Any] = {
    "journal": "70", "vat_codes": {"21": "2", "9": "1", "0": "0"}, "icp_vat_code": "3",
    "export_vat_code": "4", "rounding_vat_code": "0", "gl_accounts": {"default": "8000"},
}
CODES = "0 Geen btw, 1 Btw laag 9%, 2 Btw hoog 21%, 3 Leveringen naar landen binnen de EU " \
        "(ICP), 4 Leveringen naar landen buiten de EU"
NO_RETRY = RetryPolicy(attempts=2, sleep=lambda _: None)


@dataclass(frozen=True)
class Payload:
    body: dict[str, Any]


def payload(name: str) -> Payload:
    return Payload(json.loads((FIXTURES / f"{name}.expected.json").read_text("utf-8")))


def target(sim: ExactSimulator, tokens: TokenStore | None = None, **section: Any) -> ExactTarget:
    config = {"type": "exact", "url": sim.url, "client_id": DEMO_CLIENT_ID,
              "client_secret": Secret(DEMO_CLIENT_SECRET, "env EXACT_SECRET"),
              "refresh_token": Secret(DEMO_REFRESH_TOKEN, "env EXACT_REFRESH"), **section}
    return ExactTarget(config, "tea", NO_RETRY, lambda _: "",
                       tokens=tokens or MemoryTokenStore())


@pytest.fixture
def sim() -> Iterator[ExactSimulator]:
    with ExactSimulator(page_size=4) as simulator:
        yield simulator


def test_check_names_the_division_and_its_sales_vat_codes(sim: ExactSimulator) -> None:
    host = sim.url.removeprefix("http://")
    assert target(sim).check(SETTINGS) == [CheckLine(
        "Exact Online", True, f"{host}: tokens accepted, division 2031987 (Theehuis De Vries "
        "B.V.); sales VAT codes 0, 1, 2, 3, 4")]


def test_check_with_a_refused_refresh_token_and_a_missing_journal(sim: ExactSimulator) -> None:
    host = sim.url.removeprefix("http://")
    wrong = target(sim, refresh_token="not-the-token")
    assert wrong.check(SETTINGS) == [CheckLine("Exact Online", False, (
        f"{host}: the refresh token was refused (POST oauth2/token: HTTP 400: invalid_grant); "
        "authorize mapper again in Exact Online and set the target's refresh_token; check the "
        "target's client_id, client_secret and refresh_token"))]
    [line] = target(sim).check({**SETTINGS, "journal": "71"})
    assert line == CheckLine("Exact Online", False, (
        "Exact Online division 2031987 has no journal '71' (it has: 20 Bank, 70 Verkoopboek); "
        "set the exact settings' journal to its sales journal"))


def test_another_division_is_refused_as_access(sim: ExactSimulator) -> None:
    [line] = target(sim, division=499156).check(SETTINGS)
    assert not line.ok and line.message.endswith(
        "access refused (GET vat/VATCodes: HTTP 403: Forbidden - WrongDivision); check the "
        "target's division and the user's rights; check the target's client_id, client_secret "
        "and refresh_token")


def test_post_books_one_entry_with_the_divisions_ids_and_padded_codes(
    sim: ExactSimulator,
) -> None:
    store = MemoryTokenStore()
    [delivery] = target(sim, store).post([payload("01_domestic_two_rates")])
    assert delivery.outcome == "sent"
    entry = sim.entries[delivery.reference]
    lines = entry["SalesEntryLines"]["results"]
    assert [(x["GLAccountCode"], x["VATCode"], x["AmountFC"], x["VATAmountFC"]) for x in lines] == [
        ("8000", "1  ", Decimal("16.42"), Decimal("1.48")),
        ("8000", "2  ", Decimal("33.02"), Decimal("6.93")),
        ("8000", "2  ", Decimal("4.92"), Decimal("1.03")),
    ]
    assert entry["AmountFC"] == Decimal("63.80") and entry["VATAmountFC"] == Decimal("9.44")
    assert entry["YourRef"] == "ORD00101 (8810001)"
    [account] = sim.accounts.values()
    assert account["Code"] == "           3104501" and entry["Customer"] == account["ID"]
    # Found again by YourRef (exactly-once after a crash) by another pass on the same store.
    assert target(sim, store).find(payload("01_domestic_two_rates")) == delivery.reference


def test_a_credit_is_a_negative_entry_of_type_21(sim: ExactSimulator) -> None:
    [delivery] = target(sim).post([payload("06_credit_full_refund")])
    entry = sim.entries[delivery.reference]
    assert (entry["Type"], entry["AmountFC"], entry["VATAmountFC"]) == (
        21, Decimal("-43.32"), Decimal("-6.43"))


def test_a_vat_code_the_division_lacks_is_held_back_before_posting(
    sim: ExactSimulator,
) -> None:
    wrong = payload("01_domestic_two_rates")
    wrong.body["sales_entry"]["SalesEntryLines"][0]["VATCode"] = "5"  # blocked (old 6 %)
    problems = target(sim).prechecker()([payload("03_icp_germany"), wrong])
    assert problems == {1: (
        "Exact Online division 2031987 has no sales VAT code '5' (for 'Sencha Kyoto - 100 "
        f"gram'; it has: {CODES}). Add it in Exact Online: Stamgegevens → Btw-codes, or set "
        "the exact settings' vat_codes, icp_vat_code, export_vat_code or rounding_vat_code to "
        "one it has")}


def test_a_vat_code_of_another_rate_is_refused(sim: ExactSimulator) -> None:
    wrong = payload("01_domestic_two_rates")
    wrong.body["sales_entry"]["SalesEntryLines"][0]["VATCode"] = "2"
    assert target(sim).post([wrong]) == [Delivery("refused", message=(
        "Exact Online VAT code '2' (Btw hoog 21%) is 21 %, but 'Sencha Kyoto - 100 gram' was "
        "charged 9 %; set the exact settings' vat_codes to the division's code for that rate"))]
    assert sim.entries == {} and sim.accounts == {}


def test_gl_accounts_are_read_through_every_page(sim: ExactSimulator) -> None:
    client = target(sim).client
    codes = [a["Code"] for a in client.gl_accounts()]
    assert codes == ["1300", "8000", "8010", "8020", "8900"]  # 4 + 1 over two pages
    nexts = [p for m, p, _ in sim.requests_log if p.endswith("financial/GLAccounts")]
    assert len(nexts) == 2


def test_without_a_token_store_the_target_refuses_to_start(sim: ExactSimulator) -> None:
    from mapper.connectors.errors import ConfigurationError

    config = {"type": "exact", "url": sim.url, "client_id": DEMO_CLIENT_ID,
              "client_secret": "x", "refresh_token": "y"}
    with pytest.raises(ConfigurationError, match="needs the ledger to keep its rotating"):
        ExactTarget(config, "tea", NO_RETRY, lambda _: "")


def test_two_workers_on_one_ledger_refresh_the_rotating_token_once(
    sim: ExactSimulator, tmp_path: Path
) -> None:
    environ = {"MAPPER_SECRET_KEY": Fernet.generate_key().decode()}
    with Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        clients = [ExactClient(sim.url, ConnectorTokens(ledger, "tea", environ=environ),
                               client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET,
                               refresh_token=DEMO_REFRESH_TOKEN, retry=NO_RETRY)
                   for _ in range(2)]
        answers: list[int] = []
        threads = [threading.Thread(target=lambda c=c: answers.append(c.division))
                   for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert answers == [2031987, 2031987]
        assert sim.refreshes == 1  # the second worker found the first one's tokens
        # The token expires for everyone: one worker's 401 refreshes, the other follows.
        sim.expire_access_tokens()
        assert [len(c.vat_codes()) for c in clients] == [7, 7]
        assert sim.refreshes == 2
        for client in clients:
            client.close()
