"""End to end over real HTTP: the Configuration form's VAT codes come from the Yuki simulator's
ActiveVATCodesList; a VAT code and a revenue account changed there, and the Yuki key entered
in Connections, are what the next sync pass (PrestaShop simulator → Yuki simulator) uses."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from mapper.commands.dashboard import Dashboard, create_app
from mapper.connectors.prestashop.simulator.data import demo_records
from mapper.connectors.prestashop.simulator.webservice import PrestaShopSimulator
from mapper.connectors.secret import Secret
from mapper.connectors.yuki.simulator import VatCodeSeed, YukiSimulator
from mapper.engine.ledger import Ledger
from mapper.engine.ledger.accounts import Accounts
from mapper.engine.ledger.secret_store import new_secret_key
from mapper.engine.sync.config import Config, ShopConfig
from mapper.engine.sync.pipeline import ShopSync
from starlette.testclient import TestClient

from .dashboard_helpers import ALICE, PASSWORD, csrf_of
from .test_dashboard_configuration import form_of, row_of


@pytest.fixture
def systems() -> Iterator[tuple[PrestaShopSimulator, YukiSimulator, str, str]]:
    shop = PrestaShopSimulator()
    shop.add_orders(demo_records())
    yuki = YukiSimulator(daily_limit=10**9)
    key, administration = yuki.seed_demo()
    # A second low-rate code the administration has, to move the 9 % lines to.
    yuki.administrations[administration].vat_codes.append(
        VatCodeSeed(5, "BTW 9% webwinkel", "VAT low", Decimal("9.00"), start_date=date(2020, 1, 1))
    )
    with shop, yuki:
        yield shop, yuki, key, administration


def test_a_vat_code_changed_in_the_dashboard_is_used_by_the_next_pass(
    tmp_path: Path,
    systems: tuple[PrestaShopSimulator, YukiSimulator, str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shop_sim, yuki, real_key, administration = systems
    monkeypatch.setenv("MAPPER_SECRET_KEY", new_secret_key())
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    shop = ShopConfig(
        "webshop",
        "prestashop-yuki",
        {"type": "prestashop", "url": shop_sim.url, "key": Secret(PrestaShopSimulator.DEMO_KEY)},
        # the file's key is an old one Yuki refuses: only the key entered in the dashboard works
        {
            "type": "yuki",
            "url": yuki.url,
            "access_key": Secret("an-old-revoked-key", "env YUKI_KEY"),
            "administration_id": administration,
        },
        start=date(2024, 1, 1),
    )
    with Ledger.open(url) as ledger:
        Accounts(ledger).add(ALICE, PASSWORD, ["webshop"])
        board = Dashboard(Config(url, [shop]), ledger, tmp_path)
        with TestClient(create_app(board), follow_redirects=False) as client:
            token = csrf_of(client.get("/login").text)
            client.post("/login", data={"email": ALICE, "password": PASSWORD, "csrf_token": token})
            page = client.get("/shops/webshop/connections").text
            assert "from mapper.yaml (env YUKI_KEY)" in page
            token = csrf_of(page)
            stored = client.post(
                "/shops/webshop/connections/keys",
                data={"csrf_token": token, "target.access_key": real_key},
            )
            assert stored.status_code == 303

            form = client.get("/shops/webshop/configuration").text
            assert '<option value="5">5: BTW 9% webwinkel (9.00%)</option>' in form
            fields = form_of(form, "/shops/webshop/configuration")
            nine = row_of(fields, "9")
            fields[f"{nine}.type"], fields[f"{nine}.gl_account"] = "5", "8015"
            assert client.post("/shops/webshop/configuration", data=fields).status_code == 303

        sync = ShopSync(shop, ledger)  # the next pass, as `mapper sync` runs it
        try:
            report = sync.sync()
        finally:
            sync.close()
        assert report.failure is None, report.failure
    lines = [line for invoice in yuki.invoices for line in invoice["lines"]]
    low = [line for line in lines if line["vat_percentage"] == Decimal("9")]
    high = [line for line in lines if line["vat_percentage"] == Decimal("21")]
    assert low and {(line["vat_type"], line["gl_account"]) for line in low} == {(5, "8015")}
    assert high and {(line["vat_type"], line["gl_account"]) for line in high} == {(1, "8000")}
