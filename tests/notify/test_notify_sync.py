"""A sync pass that notifies: PrestaShop and Yuki simulators, an SMTP server and a webhook
receiver, all on loopback, over real sockets.

An order that lands in Errors produces exactly one e-mail and one signed webhook, naming the
shop, the order number, the reason and the resolution, with no customer data and no secret; a
pass without new errors, and an order failing again on reprocess, send nothing; a system that
cannot be reached or refuses the key is one message, however many jobs it stops (again once a
day, and after it was back).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from mapper.connectors.prestashop.simulator.data import demo_records
from mapper.connectors.prestashop.simulator.webservice import PrestaShopSimulator
from mapper.connectors.retry import RetryPolicy
from mapper.connectors.yuki.simulator import YukiSimulator
from mapper.engine.ledger import FailureTold, Ledger, OrderRecord, OrderState
from mapper.engine.notify.watch import _news, failure_key
from mapper.engine.sync.config import Config, load_config
from mapper.engine.sync.failures import SystemFailure
from mapper.engine.sync.jobs import run_job
from mapper.engine.sync.pipeline import PassReport, ShopSync

from notify.receivers import (
    NOTIFY_ENV,
    SECRETS_LINE,
    SMTP_PASSWORD,
    SMTP_USER,
    WEBHOOK_SECRET,
    SmtpServer,
    WebhookReceiver,
    notify_section,
    smtp_server,
    text_of,
)

SHOP = "webshop"
PS_KEY_ENV = "MAPPER_TEST_PS_KEY"
# Demo order 1 (Sanne de Vries, Lindelaan 23, Utrecht) and the customers of the other demo
# orders: none of it may reach a notification.
CUSTOMER_DATA = (
    "Sanne",
    "de Vries",
    "sanne.devries@example.com",
    "Lindelaan",
    "Utrecht",
    "3581 KD",
    "Peeters",
    "Veldstraat",
)
# One attempt and no waiting: an unreachable system fails the pass at once.
BUILD = functools.partial(
    ShopSync, retry=RetryPolicy(attempts=1, base_delay=0.0, jitter=0.0), sleep=lambda s: None
)


@dataclass
class World:
    shop: PrestaShopSimulator
    yuki: YukiSimulator
    smtp: SmtpServer
    hooks: WebhookReceiver
    folder: Path
    ledger_url: str
    yuki_key: str
    administration: str

    def config(self, **target: Any) -> Config:
        data = {
            "ledger": self.ledger_url,
            "secrets_file": "secrets.yaml",
            "shops": [
                {
                    "name": SHOP,
                    "mapping": "prestashop-yuki",
                    "start": "2024-01-01",
                    "source": {
                        "type": "prestashop",
                        "url": self.shop.url,
                        "key": {"env": PS_KEY_ENV},
                    },
                    "target": {
                        "type": "yuki",
                        "url": self.yuki.url,
                        "access_key": {"secret": "yuki"},
                        "administration_id": self.administration,
                        **target,
                    },
                    "notify": notify_section(self.smtp.port, self.hooks.hook_url),
                }
            ],
        }
        path = self.folder / "mapper.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        (self.folder / "secrets.yaml").write_text(f"yuki: {self.yuki_key}\n{SECRETS_LINE}")
        return load_config(path, {PS_KEY_ENV: PrestaShopSimulator.DEMO_KEY, **NOTIFY_ENV})

    def run(self, config: Config, name: str = "sync", job: Any = ShopSync.sync) -> PassReport:
        with Ledger.open(config.ledger_url) as ledger:
            return run_job(config.shops[0], ledger, name, job, build=BUILD)

    def record(self, order_id: str) -> OrderRecord:
        with Ledger.open(self.ledger_url) as ledger:
            found = ledger.get_order(SHOP, order_id)
        assert found is not None
        return found

    def secrets(self) -> list[str]:
        return [SMTP_PASSWORD, WEBHOOK_SECRET, PrestaShopSimulator.DEMO_KEY, self.yuki_key]


@pytest.fixture
def world(tmp_path: Path, ledger_url: str) -> Iterator[World]:
    shop = PrestaShopSimulator()
    shop.add_orders(demo_records())
    shop.update_order(1, total_paid_tax_incl="1.000000")  # a total that does not add up
    yuki = YukiSimulator()
    hooks = WebhookReceiver()
    with shop, yuki, hooks, smtp_server() as smtp:
        key, administration = yuki.seed_demo()
        yield World(shop, yuki, smtp, hooks, tmp_path, ledger_url, key, administration)


def assert_nothing_private(world: World, *texts: str) -> None:
    for text in texts:
        for private in (*CUSTOMER_DATA, *world.secrets()):
            assert private not in text


def test_an_order_entering_errors_is_one_email_and_one_signed_webhook(world: World) -> None:
    report = world.run(world.config())

    assert (report.failed, report.failure) == (1, None)
    failed = world.record("1")
    assert failed.state == OrderState.FAILED
    assert failed.reason is not None and failed.reason.startswith("The order total 1.00 ")
    assert failed.resolution is not None

    # exactly one e-mail, to both recipients, after the configured login
    assert world.smtp.mailbox.logins == [(SMTP_USER, SMTP_PASSWORD)]
    assert len(world.smtp.mailbox.mails) == 1
    recipients, mail = world.smtp.mailbox.mails[0]
    assert recipients == ["owner@shop.example", "books@shop.example"]
    assert mail["Subject"] == f"mapper: shop {SHOP}: 1 order to Errors"
    assert mail["From"] == SMTP_USER
    assert mail["X-Mapper-Event"] == "errors"
    body = text_of(mail)
    assert body == (
        f"Shop {SHOP}: 1 order entered the Errors list in the sync pass.\n"
        "\n"
        f"Order {failed.number} (id 1)\n"
        f"  Reason: {failed.reason}\n"
        f"  Resolution: {failed.resolution}\n"
        "\n"
        "Correct each as its resolution says, then process it again (the dashboard's Process "
        f"button, or `mapper reprocess NUMBER --shop {SHOP}`).\n"
    )
    assert failed.number == "QDMWFNXRT"

    # exactly one webhook, signed, saying the same
    assert len(world.hooks.received) == 1
    hook = world.hooks.received[0]
    assert hook.signed
    assert hook.headers["x-mapper-event"] == "errors"
    assert hook.headers["content-type"] == "application/json"
    data = hook.json
    assert dt.datetime.fromisoformat(data.pop("at")).tzinfo is not None
    assert data == {
        "event": "errors",
        "shop": SHOP,
        "job": "sync",
        "orders": [
            {
                "order_id": "1",
                "number": "QDMWFNXRT",
                "state": "failed",
                "reason": failed.reason,
                "resolution": failed.resolution,
                "rule_version": None,  # turned away by the checks, never claimed
            }
        ],
        "more_orders": 0,
        "failure": None,
    }
    assert_nothing_private(world, mail.as_string(), hook.body.decode())


def test_a_pass_without_new_errors_and_a_repeat_failure_send_nothing(world: World) -> None:
    config = world.config()
    world.run(config)
    assert (len(world.smtp.mailbox.mails), len(world.hooks.received)) == (1, 1)

    # changed in the shop (its clock is Amsterdam's): the next pass fetches it again
    now = dt.datetime.now(ZoneInfo("Europe/Amsterdam")).strftime("%Y-%m-%d %H:%M:%S")
    world.shop.update_order(1, note="seen again", date_upd=now)
    second = world.run(config)
    # The order still in Errors is done before: nothing entered Errors.
    assert (second.seen, second.failed, second.done_before) == (1, 0, 1)

    # Process again, still wrong: it fails again but had already been reported.
    again = world.run(config, "reprocess", lambda sync: sync.reprocess(["1"]))
    assert again.failed == 1
    assert world.record("1").state == OrderState.FAILED

    assert (len(world.smtp.mailbox.mails), len(world.hooks.received)) == (1, 1)


def test_an_order_fixed_then_failing_for_another_reason_is_not_mailed_twice(
    world: World,
) -> None:
    """The dedupe is by the ledger's state: once in Errors, it is reported once, whatever
    the next failure says."""
    config = world.config()
    world.run(config)
    world.shop.update_order(1, total_paid_tax_incl="2.000000")
    world.run(config, "reprocess", lambda sync: sync.reprocess(["1"]))
    assert world.record("1").reason.startswith("The order total 2.00 ")  # type: ignore[union-attr]
    assert (len(world.smtp.mailbox.mails), len(world.hooks.received)) == (1, 1)


@pytest.fixture
def dead_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def test_an_unreachable_accounting_system_is_one_message(world: World, dead_port: int) -> None:
    report = world.run(world.config(url=f"http://127.0.0.1:{dead_port}"))

    assert report.failure is not None
    assert len(world.smtp.mailbox.mails) == 1
    _, mail = world.smtp.mailbox.mails[0]
    assert mail["Subject"] == f"mapper: shop {SHOP}: yuki failed"
    problem = f"cannot reach http://127.0.0.1:{dead_port} (connection refused)"
    resolution = (
        "check url in mapper.yaml's target section and that yuki is up; the next pass tries again"
    )
    assert text_of(mail) == (
        f"Shop {SHOP}: the sync pass stopped: yuki failed.\n"
        f"  Problem: {problem}\n"
        f"  Resolution: {resolution}\n"
        "What the pass did before that stays done; orders being sent are looked up by the "
        "next pass.\n"
    )
    assert len(world.hooks.received) == 1
    hook = world.hooks.received[0]
    assert hook.signed
    data = hook.json
    assert (data["event"], data["orders"]) == ("system_failure", [])
    assert data["failure"] == {
        "system": "yuki",
        "side": "target",
        "problem": problem,
        "resolution": resolution,
    }
    assert_nothing_private(world, mail.as_string(), hook.body.decode())


def test_a_system_that_stays_down_is_told_once_and_again_after_it_was_back(
    world: World, dead_port: int
) -> None:
    """Three jobs stopped by the same failure: one message. A job that went through forgets
    it; the next failure is told again."""
    down = world.config()
    down.shops[0].source["url"] = f"http://127.0.0.1:{dead_port}"  # every pass reads the shop
    for _ in range(3):
        assert world.run(down).failure is not None
    assert len(world.smtp.mailbox.mails) == len(world.hooks.received) == 1
    with Ledger.open(world.ledger_url) as ledger:
        told = ledger.get_failure_told(SHOP)
    assert told is not None and told.failure == (
        f"source prestashop: cannot reach http://127.0.0.1:{dead_port} (connection refused)"
    )

    assert world.run(world.config()).failure is None  # back: order 1 to Errors is its news
    with Ledger.open(world.ledger_url) as ledger:
        assert ledger.get_failure_told(SHOP) is None
    assert world.run(down).failure is not None
    subjects = [mail["Subject"] for _, mail in world.smtp.mailbox.mails]
    assert subjects == [
        f"mapper: shop {SHOP}: prestashop failed",
        f"mapper: shop {SHOP}: 1 order to Errors",
        f"mapper: shop {SHOP}: prestashop failed",
    ]


def test_a_failure_told_a_day_ago_is_told_again() -> None:
    failure = SystemFailure(SHOP, "yuki", "target", "cannot reach x", "check url")
    told_at = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
    told = FailureTold(failure_key(failure), told_at)
    assert not _news(failure, told, told_at + dt.timedelta(hours=23, minutes=59))
    assert _news(failure, told, told_at + dt.timedelta(days=1))
    other = SystemFailure(SHOP, "yuki", "target", "access refused", "check access_key")
    assert _news(other, told, told_at + dt.timedelta(minutes=1))  # another problem: news
    assert _news(failure, None, told_at)


def test_a_refused_key_is_one_message_without_the_key(world: World) -> None:
    world.yuki_key = "wrong-key-4f1c9a7e2b"  # the secrets file now holds a wrong key
    report = world.run(world.config())

    assert report.failure is not None
    assert len(world.smtp.mailbox.mails) == len(world.hooks.received) == 1
    _, mail = world.smtp.mailbox.mails[0]
    assert mail["Subject"] == f"mapper: shop {SHOP}: yuki failed"
    assert (
        "  Problem: access refused: Authentication failed: the access key is not valid\n"
        "  Resolution: check access_key in mapper.yaml's target section\n"
    ) in text_of(mail)
    assert world.hooks.received[0].json["failure"]["problem"] == (
        "access refused: Authentication failed: the access key is not valid"
    )
    assert_nothing_private(world, mail.as_string(), world.hooks.received[0].body.decode())


def test_a_failing_notification_does_not_change_the_pass(
    world: World, dead_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    """No SMTP server and a receiver that refuses: the pass reports what it did, as without
    notifications; the order is in Errors all the same."""
    config = world.config()
    assert config.shops[0].notify is not None and config.shops[0].notify.email is not None
    broken = config.shops[0].notify
    config.shops[0].notify = type(broken)(
        email=type(broken.email)(  # type: ignore[misc]
            host="127.0.0.1",
            sender=SMTP_USER,
            to=("owner@shop.example",),
            port=dead_port,
            starttls=False,
            attempts=1,
        ),
        webhook=broken.webhook,
    )
    world.hooks.statuses = [400]
    with caplog.at_level(logging.WARNING, logger="mapper.engine.notify"):
        report = world.run(config)

    assert (report.failed, report.failure) == (1, None)
    assert report.summary() == (
        f"{SHOP}: sync: 4 orders seen, 2 sent, 1 to Errors, 1 open, 0 done before"
    )
    assert world.smtp.mailbox.mails == []
    assert len(world.hooks.received) == 1  # a 400 is not retried
    assert [r.getMessage() for r in caplog.records if r.name.startswith("mapper.engine")] == [
        f"shop {SHOP}: the errors notification was not delivered by e-mail via "
        f"127.0.0.1:{dead_port}: cannot connect (connection refused)",
        f"shop {SHOP}: the errors notification was not delivered by webhook to 127.0.0.1: "
        "answered 400 Bad Request",
    ]
