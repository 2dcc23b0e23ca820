"""`mapper -v` / `-vv`: mapper's log on stderr; off by default; libraries stay quiet; no secrets."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from mapper.cli import main
from mapper.commands.logs import configure_logging
from mapper.engine.ledger import Ledger
from mapper.engine.ledger.migrations import LATEST_VERSION

ENV = {"PS_KEY": "ps-key-value", "YUKI_KEY": "yuki-key-value", "COLUMNS": "100"}


@pytest.fixture(autouse=True)
def logging_reset() -> Iterator[None]:
    """Each test starts and ends with Python's logging as the CLI found it."""
    yield
    configure_logging(0)
    for name in ("zeep", "httpx", "httpcore", "urllib3", "requests"):
        logging.getLogger(name).setLevel(logging.NOTSET)


def _config(folder: Path, ledger: str) -> Path:
    shop = {
        "name": "webshop",
        "mapping": "prestashop-yuki",
        "source": {"type": "prestashop", "url": "https://shop.example.nl", "key": {"env": "PS_KEY"}},
        "target": {
            "type": "yuki",
            "url": "https://api.yukiworks.nl",
            "access_key": {"env": "YUKI_KEY"},
            "administration_id": "8f1a4c2e-0000-4000-8000-000000000001",
        },
    }
    path = folder / "mapper.yaml"
    path.write_text(yaml.safe_dump({"ledger": ledger, "shops": [shop]}), encoding="utf-8")
    return path


def _status(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args), env=ENV)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_without_v_there_is_no_log(tmp_path: Path) -> None:
    Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}").close()
    result = _status("status", "--config", str(_config(tmp_path, "ledger.db")), "--list", "open")
    assert result.exit_code == 0
    assert result.stderr == ""


def test_v_shows_info_lines(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    Ledger.open(f"sqlite:///{path}").close()
    result = _status("-v", "status", "--config", str(_config(tmp_path, "ledger.db")))
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"INFO mapper.engine.ledger.ledger: opening the ledger sqlite:///{path} (read-only)"
    ]


def test_vv_shows_debug_lines_too(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    Ledger.open(f"sqlite:///{path}").close()
    result = _status("-vv", "status", "--config", str(_config(tmp_path, "ledger.db")))
    assert result.stderr.splitlines() == [
        f"INFO mapper.engine.ledger.ledger: opening the ledger sqlite:///{path} (read-only)",
        f"DEBUG mapper.engine.ledger.ledger: the ledger is at schema version {LATEST_VERSION}",
    ]


def test_a_ledger_password_is_never_logged(tmp_path: Path) -> None:
    config = _config(tmp_path, "postgresql+psycopg://mapper:s3cr3t-pw@127.0.0.1:1/ledger")
    result = _status("-vv", "status", "--config", str(config))
    assert result.exit_code == 2
    assert "s3cr3t-pw" not in result.stdout + result.stderr
    assert result.stderr.splitlines()[0] == (
        "INFO mapper.engine.ledger.ledger: opening the ledger "
        "postgresql+psycopg://mapper:***@127.0.0.1:1/ledger (read-only)"
    )
    assert "Traceback" not in result.stderr


def test_libraries_stay_at_warning_even_with_vv() -> None:
    configure_logging(2)
    # zeep's DEBUG log holds whole SOAP envelopes, Yuki's access key among them
    assert logging.getLogger("zeep.transports").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("mapper.connectors.yuki.client").getEffectiveLevel() == logging.DEBUG


def test_a_second_run_in_one_process_logs_once(tmp_path: Path) -> None:
    Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}").close()
    config = str(_config(tmp_path, "ledger.db"))
    _status("-v", "status", "--config", config)
    again = _status("-v", "status", "--config", config)
    quiet = _status("status", "--config", config)
    assert len(again.stderr.splitlines()) == 1
    assert quiet.stderr == ""


def test_a_warning_without_v_is_not_printed(capfd: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    kept, root.handlers = root.handlers, []  # as in a real run: no handler of pytest's
    try:
        configure_logging(0)
        logging.getLogger("mapper.connectors.retry").warning("PrestaShop: timed out (gave up)")
        silent = capfd.readouterr().err
        configure_logging(1)
        logging.getLogger("mapper.connectors.retry").warning("PrestaShop: timed out (gave up)")
        shown = capfd.readouterr().err
    finally:
        root.handlers = kept
    assert silent == ""
    assert shown == "WARNING mapper.connectors.retry: PrestaShop: timed out (gave up)\n"


def test_records_still_reach_an_embedding_programs_handlers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    configure_logging(0)
    with caplog.at_level(logging.INFO):
        logging.getLogger("mapper.engine.sync.pipeline").info("webshop: 2 orders were left")
    assert caplog.messages == ["webshop: 2 orders were left"]
