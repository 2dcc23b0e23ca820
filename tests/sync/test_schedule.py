"""`mapper schedule`: a sync pass per shop at once and every hour, a re-check every night."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

from click.testing import CliRunner
from mapper.cli import main
from mapper.engine.sync.config import parse_config
from mapper.engine.sync.pipeline import PassReport
from mapper.engine.sync.schedule import next_recheck, run_schedule


def test_the_nightly_recheck_is_the_next_local_time_strictly_after_now() -> None:
    at = dt.time(3, 0)
    now = dt.datetime(2026, 11, 21, 1, 0, tzinfo=dt.UTC)
    first = next_recheck(now, at)
    assert first > now and first - now <= dt.timedelta(days=1)
    assert first.astimezone().time() == at
    assert next_recheck(first, at) - first == dt.timedelta(days=1)


def test_one_shops_failure_is_reported_and_does_not_stop_the_schedule(tmp_path: Path) -> None:
    shop = {
        "mapping": "prestashop-yuki",
        "source": {"type": "prestashop", "url": "http://127.0.0.1:9", "key": {"env": "K"}},
        "target": {"type": "yuki", "url": "http://127.0.0.1:9", "access_key": {"env": "K"}},
    }
    config = parse_config(
        {"ledger": "ledger.db", "shops": [{"name": "one", **shop}, {"name": "two", **shop}]},
        tmp_path,
        environ={"K": "k" * 32},
    )
    stop = threading.Event()
    reports: list[PassReport] = []

    def report(result: PassReport) -> None:
        reports.append(result)
        if len(reports) == 2:
            stop.set()

    run_schedule(config, report=report, stop=stop)
    assert [(r.shop, r.job) for r in reports] == [("one", "sync"), ("two", "sync")]
    assert [str(r.failure) for r in reports] == [
        # A first pass asks the target what it already holds before it reads the shop.
        f"shop {name}: yuki: cannot reach http://127.0.0.1:9 (connection refused); check "
        "url in mapper.yaml's target section and that yuki is up; the next pass tries again"
        for name in ("one", "two")
    ]


def test_schedule_command_reads_the_configuration(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["schedule", "--config", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2
    assert "cannot read" in result.output
