"""`mapper notify test`, `mapper notify digest`, the daily digest beat queues and the
dashboard's Report problem, each through a shop's real channels: the SMTP server and the
signed-webhook receiver on loopback."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from celery.schedules import crontab
from click.testing import CliRunner
from dashboard.dashboard_helpers import add_order, built, log_in
from mapper.cli import main
from mapper.commands.dashboard import create_app
from mapper.engine.ledger import Ledger
from mapper.engine.notify.settings import NotifySettings
from mapper.engine.sync.config import load_config
from mapper.engine.sync.pipeline import PassReport
from mapper.engine.sync.schedule import run_schedule
from mapper.engine.workers.app import build_app
from mapper.engine.workers.tasks import TASK
from starlette.testclient import TestClient

from notify.receivers import (
    NOTIFY_ENV,
    SECRETS_LINE,
    SMTP_PASSWORD,
    WEBHOOK_SECRET,
    SmtpServer,
    WebhookReceiver,
    notify_section,
    smtp_server,
    text_of,
)


@dataclass
class Channels:
    smtp: SmtpServer
    hooks: WebhookReceiver

    def notify(self, **extra: Any) -> dict[str, Any]:
        return {**notify_section(self.smtp.port, self.hooks.hook_url), **extra}

    def settings(self, folder: Path) -> NotifySettings:
        """The same section, parsed as mapper.yaml would be."""
        config = write_config(folder, self.notify())
        notify = load_config(config, {"PS_KEY": "ps-key-88", **NOTIFY_ENV}).shops[0].notify
        assert notify is not None
        return notify


@pytest.fixture
def channels() -> Iterator[Channels]:
    with smtp_server() as smtp, WebhookReceiver() as hooks:
        yield Channels(smtp, hooks)  # type: ignore[arg-type]


def write_config(folder: Path, notify: dict[str, Any] | None) -> Path:
    shop: dict[str, Any] = {
        "name": "alpha",
        "mapping": "prestashop-yuki",
        "source": {"type": "prestashop", "url": "http://127.0.0.1:9", "key": {"env": "PS_KEY"}},
        "target": {
            "type": "yuki",
            "url": "http://127.0.0.1:9",
            "access_key": {"secret": "yuki"},
            "administration_id": "0b5e0f4e-aaaa",
        },
    }
    if notify is not None:
        shop["notify"] = notify
    data = {"ledger": "ledger.db", "secrets_file": "secrets.yaml", "shops": [shop]}
    (folder / "secrets.yaml").write_text(f"yuki: yuki-key-77\n{SECRETS_LINE}")
    path = folder / "mapper.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def run(config: Path, *args: str) -> Any:
    env = {"PS_KEY": "ps-key-88", **NOTIFY_ENV}
    return CliRunner().invoke(main, ["notify", *args, "--config", str(config)], env=env)


def test_notify_test_sends_one_test_message_on_each_channel(
    tmp_path: Path, channels: Channels
) -> None:
    result = run(write_config(tmp_path, channels.notify()), "test", "--shop", "alpha")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"alpha: e-mail via 127.0.0.1:{channels.smtp.port}: sent",
        "alpha: webhook to 127.0.0.1: sent",
    ]
    [(_, mail)] = channels.smtp.mailbox.mails
    assert mail["Subject"] == "mapper: shop alpha: test message"
    [hook] = channels.hooks.received
    assert hook.signed and hook.json["event"] == "test"


def test_notify_test_with_a_refused_channel_says_so_and_exits_3(
    tmp_path: Path, channels: Channels
) -> None:
    notify = channels.notify()
    notify["webhook"]["secret"] = {"secret": "other"}
    config = write_config(tmp_path, notify)
    with (tmp_path / "secrets.yaml").open("a") as file:
        file.write("other: not-the-receivers-key\n")

    result = run(config, "test", "--shop", "alpha")

    assert result.exit_code == 3
    assert result.stdout.splitlines() == [f"alpha: e-mail via 127.0.0.1:{channels.smtp.port}: sent"]
    assert result.stderr.splitlines() == [
        "mapper: shop alpha: webhook to 127.0.0.1: answered 401 Unauthorized: check secret in "
        "the shop's notify.webhook section"
    ]
    assert "not-the-receivers-key" not in result.output


def test_notify_of_a_shop_without_notify_is_bad_configuration(tmp_path: Path) -> None:
    result = run(write_config(tmp_path, None), "test", "--shop", "alpha")
    assert result.exit_code == 2
    assert result.stderr == ("mapper: shop alpha has no notify: section in the configuration\n")
    digest = run(write_config(tmp_path, None), "digest")
    assert digest.exit_code == 2
    assert digest.stderr == "mapper: no shop has digest: true in its notify: section\n"


def test_the_digest_counts_the_lists_and_lists_the_errors(
    tmp_path: Path, channels: Channels
) -> None:
    config = write_config(tmp_path, channels.notify(digest=True))
    with Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        add_order(ledger, "alpha", "101", "sent")
        add_order(ledger, "alpha", "102", "sent")
        add_order(ledger, "alpha", "201", "failed", "shipping line has no VAT rate")
        add_order(ledger, "alpha", "301", "open", "order state 1 is not an invoicing state")

    result = run(config, "digest")

    assert result.exit_code == 0, result.output
    [(_, mail)] = channels.smtp.mailbox.mails
    assert mail["Subject"] == "mapper: shop alpha: daily digest, 1 order in Errors"
    date = text_of(mail).split(" on ", 1)[1][:10]
    assert text_of(mail) == (
        f"Shop alpha on {date}: 2 sent (Reporting), 1 in Errors, 1 open.\n"
        "\n"
        "The Errors list:\n"
        "\n"
        "Order N201 (id 201)\n"
        "  Reason: shipping line has no VAT rate\n"
        "  Resolution: Correct the VAT number in the shop.\n"
    )
    [hook] = channels.hooks.received
    assert hook.signed
    data = hook.json
    assert data["counts"] == {"open": 1, "sending": 0, "sent": 2, "failed": 1, "skipped": 0}
    assert [(o["number"], o["reason"]) for o in data["orders"]] == [
        ("N201", "shipping line has no VAT rate")
    ]


def test_report_problem_goes_through_the_shops_channels(tmp_path: Path, channels: Channels) -> None:
    notify = channels.settings(tmp_path)
    with built(tmp_path) as (board, _ledger, _calls, _clock):
        board.config.shops[0].notify = notify  # alpha
        with TestClient(create_app(board), follow_redirects=False) as client:
            token = log_in(client)
            answer = client.post("/shops/alpha/orders/202/report", data={"csrf_token": token})
            page = client.get("/shops/alpha/errors").text

    assert answer.status_code == 303
    assert "The problem with order N202 was reported to support." in page
    assert not (tmp_path / "problem-reports.jsonl").exists()
    [(recipients, mail)] = channels.smtp.mailbox.mails
    assert recipients == ["owner@shop.example", "books@shop.example"]
    assert mail["Subject"] == "mapper: shop alpha: problem reported with order N202"
    assert text_of(mail) == (
        "alice@example.com reported a problem with order N202 (id 202) of shop alpha.\n"
        "\n"
        "  State: failed\n"
        "  Error: shipping line has no VAT rate\n"
        "  Resolution: Correct the VAT number in the shop.\n"
        "  Rule version: prestashop-yuki 1.2\n"
    )
    [hook] = channels.hooks.received
    assert hook.signed
    body = hook.json
    assert (body["event"], body["reported_by"], body["orders"][0]["number"]) == (
        "problem_report",
        "alice@example.com",
        "N202",
    )
    for secret in (SMTP_PASSWORD, WEBHOOK_SECRET):
        assert secret not in mail.as_string() and secret not in hook.body.decode()


def test_report_problem_no_channel_took_is_saved_to_the_file(
    tmp_path: Path, channels: Channels
) -> None:
    notify = channels.settings(tmp_path)
    channels.hooks.statuses = [400]
    with built(tmp_path) as (board, _ledger, _calls, _clock):
        board.config.shops[0].notify = NotifySettings(webhook=notify.webhook)
        with TestClient(create_app(board), follow_redirects=False) as client:
            token = log_in(client)
            client.post("/shops/alpha/orders/202/report", data={"csrf_token": token})
            page = client.get("/shops/alpha/errors").text

    assert (
        "The problem with order N202 could not be sent (webhook to 127.0.0.1: answered 400 "
        "Bad Request). The problem with order N202 was reported (saved for support in "
        "problem-reports.jsonl)."
    ) in page.replace("&#39;", "'")
    [line] = (tmp_path / "problem-reports.jsonl").read_text().splitlines()
    assert json.loads(line)["number"] == "N202"


def test_beat_sends_the_digest_every_day_at_digest_at(tmp_path: Path, channels: Channels) -> None:
    """`digest: true` puts the digest on beat's schedule at `digest_at`; the worker's task
    sends it as `mapper notify digest` does."""
    config_path = write_config(tmp_path, channels.notify(digest=True, digest_at="07:15"))
    data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    data["queue"] = "redis://127.0.0.1:9/0"  # never reached: the task is applied in place
    config_path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    config = load_config(config_path, {"PS_KEY": "ps-key-88", **NOTIFY_ENV})
    with Ledger.open(config.ledger_url) as ledger:
        add_order(ledger, "alpha", "201", "failed", "shipping line has no VAT rate")
    app = build_app(config, config_path)

    assert app.conf.beat_schedule["digest alpha"] == {
        "task": TASK,
        "schedule": crontab(minute=15, hour=7),
        "args": ("digest", "alpha"),
        "options": {"expires": 43200},
    }
    result = app.tasks[TASK].apply(args=("digest", "alpha")).get()

    assert result == {
        "shop": "alpha",
        "job": "digest",
        "summary": "alpha: digest delivered on 2 of 2 channels",
        "failure": None,
    }
    [(_, mail)] = channels.smtp.mailbox.mails
    assert mail["Subject"] == "mapper: shop alpha: daily digest, 1 order in Errors"
    [hook] = channels.hooks.received
    assert hook.signed and [o["number"] for o in hook.json["orders"]] == ["N201"]


def test_without_digest_beat_sends_none(tmp_path: Path, channels: Channels) -> None:
    config_path = write_config(tmp_path, channels.notify())
    data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    data["queue"] = "redis://127.0.0.1:9/0"
    config_path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    config = load_config(config_path, {"PS_KEY": "ps-key-88", **NOTIFY_ENV})
    assert sorted(build_app(config, config_path).conf.beat_schedule) == [
        "recheck alpha",
        "sync alpha",
    ]


def test_mapper_schedule_sends_the_digest_at_digest_at(tmp_path: Path, channels: Channels) -> None:
    """In-process: after the first sync pass, the digest (00:30) comes before the re-check
    (03:00) of the same night (which, with no open order, asks no system and mails nothing)."""
    config = load_config(
        write_config(tmp_path, channels.notify(digest=True, digest_at="00:30")),
        {"PS_KEY": "ps-key-88", **NOTIFY_ENV},
    )
    midnight = dt.datetime(2026, 11, 21).astimezone()  # local midnight
    times = iter([midnight])
    stop = threading.Event()
    reports: list[PassReport] = []

    def report(result: PassReport) -> None:
        reports.append(result)
        if result.job == "recheck":
            stop.set()

    # Every reading of the clock after the plan is made is two days on: nothing is waited for.
    run_schedule(
        config, report=report, stop=stop, clock=lambda: next(times, midnight + dt.timedelta(2))
    )

    assert [r.job for r in reports] == ["sync", "recheck"]  # both stopped: no shop, no Yuki
    assert [mail["Subject"] for _, mail in channels.smtp.mailbox.mails] == [
        "mapper: shop alpha: yuki failed",  # the sync pass's
        "mapper: shop alpha: daily digest, 0 orders in Errors",
    ]
