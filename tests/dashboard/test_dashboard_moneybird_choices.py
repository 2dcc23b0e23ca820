"""The Configuration form of a Moneybird shop: its revenue ledger accounts (GET
ledger_accounts.json) and sales tax rates (GET tax_rates.json) as drop-downs, read through the
target's `setting_choices` from the Moneybird simulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from mapper.commands.dashboard.choices import target_choices
from mapper.commands.dashboard.configuration import sections
from mapper.connectors.moneybird.simulator import DEMO_TOKEN, MoneybirdSimulator
from mapper.connectors.secret import Secret
from mapper.engine.ledger import Ledger
from mapper.engine.sync.config import ShopConfig


@pytest.fixture
def shop() -> Iterator[ShopConfig]:
    with MoneybirdSimulator() as sim:
        yield ShopConfig(
            "tea",
            "prestashop-moneybird",
            {"type": "prestashop", "url": "http://127.0.0.1:9", "key": Secret("k" * 32)},
            {"type": "moneybird", "url": sim.url, "administration_id": sim.administration_id,
             "token": Secret(DEMO_TOKEN)},
        )


def test_moneybird_lists_its_revenue_accounts_and_sales_tax_rates(
    shop: ShopConfig, tmp_path: Path
) -> None:
    with Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        choices, note = target_choices(shop, ledger)
        assert note == ""
        # the expenses account 7000 (Inkopen) and the purchase rate are not offered
        assert choices["gl_account"] == [("8000", "8000: Omzet"), ("8010", "8010: Omzet verzendkosten")]
        assert ("21% btw", "21% btw (21.0 %)") in choices["tax_rate"]
        assert ("Geen btw", "Geen btw (no %)") in choices["tax_rate"]
        assert all("inkoop" not in value for value, _ in choices["tax_rate"])
        assert all("oud" not in value for value, _ in choices["tax_rate"])  # inactive

        fields = {f.name: f for s in sections(shop, None, choices) for f in s.fields}
        accounts = fields["moneybird.ledger_accounts"]
        assert [c.kind for c in accounts.columns] == ["text", "select"]
        assert ("8010", "8010: Omzet verzendkosten") in accounts.columns[1].options
        names = fields["moneybird.tax_rate_names"]
        assert ("9% btw", "9% btw (9.0 %)") in names.columns[1].options
        icp = fields["moneybird.icp_tax_rate"]
        assert icp.kind == "select" and icp.value == "0% btw EU"
