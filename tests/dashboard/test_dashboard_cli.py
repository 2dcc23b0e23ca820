"""`mapper users add`, `mapper serve` and `mapper demo --serve`, as a person runs them."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import yaml
from click.testing import CliRunner
from mapper.cli import main
from mapper.engine.ledger import Ledger
from mapper.engine.ledger.accounts import Accounts

from .dashboard_helpers import csrf_of


def write_config(folder: Path) -> Path:
    path = folder / "mapper.yaml"
    data = {
        "ledger": "ledger.db",
        "shops": [
            {
                "name": name,
                "mapping": "prestashop-yuki",
                "source": {"type": "prestashop", "url": "http://127.0.0.1:9", "key": {"env": "PS"}},
                "target": {
                    "type": "yuki",
                    "url": "http://127.0.0.1:9",
                    "access_key": {"env": "YUKI"},
                    "administration_id": "adm",
                },
            }
            for name in ("alpha", "beta")
        ],
    }
    path.write_text(yaml.safe_dump(data))
    return path


ENV = {"PS": "k" * 32, "YUKI": "y" * 32}


def test_users_add_reads_the_password_from_stdin(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    result = CliRunner().invoke(
        main,
        ["users", "add", "Ann@Example.com", "--shop", "alpha", "--config", str(path)],
        input="a long enough password\n",
        env=ENV,
    )
    assert result.exit_code == 0, result.output
    assert result.output == "user ann@example.com may log in to the dashboard; sees alpha\n"
    with Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        accounts = Accounts(ledger)
        assert accounts.authenticate("ann@example.com", "a long enough password") is not None
        account = accounts.get("ann@example.com")
        assert account is not None and account.shops == ("alpha",) and not account.admin


def test_users_add_refuses_an_unknown_shop_and_a_short_password(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    base = ["users", "add", "ann@example.com", "--config", str(path)]
    unknown = CliRunner().invoke(main, [*base, "--shop", "gamma"], input="long password\n", env=ENV)
    assert unknown.exit_code == 2
    assert "mapper: no shop 'gamma' in the configuration (shops: alpha, beta)" in unknown.output
    short = CliRunner().invoke(main, [*base, "--shop", "alpha"], input="short\n", env=ENV)
    assert short.exit_code == 2
    assert "mapper: the password must have at least 8 characters" in short.output
    nothing = CliRunner().invoke(main, base, input="long password\n", env=ENV)
    assert nothing.exit_code == 2
    assert "give the user at least one --shop, or --admin" in nothing.output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running(
    args: list[str], cwd: Path, wait_for: str
) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """`mapper ARGS` in a process, until it printed a line with `wait_for` (its other lines
    are collected); stopped at the end."""
    env = {**os.environ, **ENV}
    process = subprocess.Popen(
        [sys.executable, "-c", "from mapper.cli import main; main()", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if wait_for in line:
                break
        else:
            raise AssertionError("the command ended early:\n" + "\n".join(lines))
        yield process, lines
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_healthy(base: str) -> None:
    """Until /healthz answers (the server prints its address just before it listens)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.05)


def test_serve_serves_the_dashboard_of_the_configuration(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    port = free_port()
    with running(["serve", "--config", str(path), "--port", str(port)], tmp_path, "mapper serve"):
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base)
        login = httpx.get(f"{base}/login")
        assert login.status_code == 200 and "Log in" in login.text


def test_demo_serve_prints_a_login_that_shows_the_demo_orders(tmp_path: Path) -> None:
    port = free_port()
    with running(["demo", "--serve", "--port", str(port)], tmp_path, "mapper serve") as (_, lines):
        login = next(line for line in lines if line.startswith("dashboard login: "))
        email, password = re.fullmatch(r"dashboard login: (\S+) / (\S+)", login).groups()  # type: ignore[union-attr]
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base)
        with httpx.Client(base_url=base, follow_redirects=True) as client:
            token = csrf_of(client.get("/login").text)
            client.post("/login", data={"email": email, "password": password, "csrf_token": token})
            reporting = client.get("/shops/demo-shop/reporting")
            assert reporting.status_code == 200
            assert re.search(r"\d+ shown of \d+", reporting.text)
            errors = client.get("/shops/demo-shop/errors")
            order = re.search(r'action="(/shops/demo-shop/orders/[^"]+/process)"', errors.text)
            assert order, "the demo has orders in Errors"
            # The real Process: fetched from the shop simulator, sent to the Yuki one again.
            answer = client.post(order.group(1), data={"csrf_token": csrf_of(errors.text)})
            assert answer.status_code == 200  # followed to the list it is in now
            assert re.search(
                r"Order \S+ (failed again|was sent to the accounting system)", answer.text
            )
            dots = client.get("/shops/demo-shop/connections").text
            assert "dot-green" in dots
