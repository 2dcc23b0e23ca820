"""A sync from the PrestaShop and Lightspeed simulators (over real HTTP) into the Peppol outbox:
every paid order one file, a second pass writes nothing, and a pass that dies between writing a
file and recording it never makes a second one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from mapper.connectors.lightspeed import simulator as lightspeed_sim
from mapper.connectors.lightspeed.simulator import LightspeedSimulator
from mapper.connectors.prestashop.simulator.data import demo_records
from mapper.connectors.prestashop.simulator.webservice import PrestaShopSimulator
from mapper.engine.ledger import Ledger, OrderState
from mapper.engine.mapping import Payload
from mapper.engine.sync.config import ShopConfig, parse_config
from mapper.engine.sync.pipeline import ShopSync
from peppol.validation import CEN_XSLT, fatal, findings, xsd_errors

SELLER = "0106:64985636"  # the peppol rule set's example seller
SHOPS = ("prestashop", "lightspeed")


@contextmanager
def shop_system(kind: str) -> Iterator[tuple[dict[str, Any], dict[str, str]]]:
    """A running shop simulator: its `source:` section and the environment it needs."""
    if kind == "prestashop":
        simulator: Any = PrestaShopSimulator()
        simulator.add_orders(demo_records())
        simulator.add_generated(
            12, seed=3, start=dt.datetime(2024, 1, 6, 8), interval_seconds=3600, unpaid_share=0.3
        )
        section = {"type": "prestashop", "url": "", "key": {"env": "PS_KEY"}}
        environ = {"PS_KEY": PrestaShopSimulator.DEMO_KEY}
    else:
        simulator = LightspeedSimulator()
        section = {
            "type": "lightspeed",
            "url": "",
            "key": {"env": "LS_KEY"},
            "secret": {"env": "LS_SECRET"},
        }
        environ = {"LS_KEY": lightspeed_sim.DEMO_KEY, "LS_SECRET": lightspeed_sim.DEMO_SECRET}
    with simulator:
        section["url"] = simulator.url
        yield section, environ


def shop_config(
    folder: Path, kind: str, source: dict[str, Any], environ: dict[str, str], ledger: str
) -> ShopConfig:
    config = parse_config(
        {
            "ledger": ledger,
            "shops": [
                {
                    "name": "winkel",
                    "mapping": f"{kind}-peppol",
                    "start": "2020-01-01",
                    "source": source,
                    "target": {
                        "type": "peppol",
                        "outbox": str(folder / "outbox"),
                        "seller_endpoint": SELLER,
                    },
                }
            ],
        },
        folder,
        environ=environ,
    )
    return config.shops[0]


def outbox_files(folder: Path) -> dict[str, int]:
    """File name → inode of every document in the shop's outbox (temporary files excluded)."""
    shop_folder = folder / "outbox" / "winkel"
    return {
        p.name: p.stat().st_ino for p in shop_folder.glob("*.xml") if not p.name.startswith(".")
    }


def invoiced_by_rules(sync: ShopSync) -> dict[str, str]:
    """Order id → document number of every order the rules make a document of."""
    made = {}
    for document in sync.source.changed(
        dt.datetime(2020, 1, 1, tzinfo=dt.UTC), dt.datetime.now(dt.UTC)
    ):
        outcome = sync.pair.map(document)
        if isinstance(outcome, Payload):
            root = next(iter(outcome.body))
            made[outcome.order_id] = str(outcome.body[root][0]["cbc:ID"])
    return made


@pytest.mark.parametrize("kind", SHOPS)
def test_every_paid_order_is_one_valid_file_and_a_second_pass_writes_nothing(
    tmp_path: Path, kind: str, ledger_url: str
) -> None:
    with shop_system(kind) as (source, environ), Ledger.open(ledger_url) as ledger:
        sync = ShopSync(shop_config(tmp_path, kind, source, environ, ledger_url), ledger)
        report = sync.sync()
        expected = invoiced_by_rules(sync)
        files = outbox_files(tmp_path)
        again = sync.sync()
        sync.close()
        sent = {
            r.order_id: r.target_reference for r in ledger.list_orders("winkel", OrderState.SENT)
        }
    assert expected and report.sent == len(expected) and report.failed + report.open > 0
    assert sent == expected
    assert sorted(files) == sorted(f"{number}.xml" for number in expected.values())
    assert (again.sent, outbox_files(tmp_path)) == (0, files)  # the same files, none added
    for name in files:
        document = (tmp_path / "outbox" / "winkel" / name).read_bytes()
        assert xsd_errors(document) == []
        assert fatal(findings(document, CEN_XSLT)) == []


class Crash(Exception):
    """The process dying between writing a file and recording it in the ledger."""


@pytest.mark.parametrize("kind", SHOPS)
def test_a_pass_that_dies_after_writing_never_writes_twice(
    tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger_url = f"sqlite:///{tmp_path / 'ledger.db'}"
    with shop_system(kind) as (source, environ), Ledger.open(ledger_url) as ledger:
        config = shop_config(tmp_path, kind, source, environ, ledger_url)
        crashing = ShopSync(config, ledger)

        def crash(*_: Any, **__: Any) -> None:
            raise Crash

        monkeypatch.setattr(ledger, "record_sent_many", crash)
        with pytest.raises(Crash):
            crashing.sync()
        monkeypatch.undo()
        written = outbox_files(tmp_path)
        sending = list(ledger.stuck_sending("winkel"))
        assert len(written) == 1 and [r.order_id for r in sending]  # on disk, not recorded
        restarted = ShopSync(config, ledger)
        report = restarted.sync()
        crashing.close()
        restarted.close()
        sent = {
            r.order_id: r.target_reference for r in ledger.list_orders("winkel", OrderState.SENT)
        }
    after = outbox_files(tmp_path)
    assert report.recovered == 1
    assert len(after) == len(sent) == report.sent + report.recovered
    name = next(iter(written))
    assert after[name] == written[name]  # the crashed pass's file, not written again
