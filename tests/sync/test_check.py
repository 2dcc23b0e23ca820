"""`mapper check`: the manual's connection step, against the PrestaShop and Yuki simulators over
real sockets — one line per system per shop, exit 3 when one fails, never a credential."""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from mapper.cli import main
from mapper.commands.check import print_checks
from mapper.connectors.adapters import CheckLine
from mapper.connectors.factuursturen import simulator as factuursturen_sim
from mapper.connectors.factuursturen.simulator import FactuursturenSimulator
from mapper.connectors.lightspeed import simulator as lightspeed_sim
from mapper.connectors.lightspeed.simulator import LightspeedSimulator
from mapper.engine.sync import check as check_module
from mapper.engine.sync.check import ShopCheck, check_shops
from mapper.engine.sync.config import load_config, parse_config
from rich.console import Console

from sync.sync_helpers import (  # tests/ is on sys.path: pytest puts it there
    PS_KEY_VARIABLE,
    YUKI_KEY_VARIABLE,
    Systems,
    config_data,
    running_systems,
    write_config,
)

ADMINISTRATION = "'Demo Webwinkel BV'"
YUKI_OK = (
    f"ok: shop demo: Yuki: access key accepted, administration {ADMINISTRATION} found; VAT "
    "codes 1, 2, 3, 17, 18 active"
)


@pytest.fixture(scope="module")
def systems() -> Iterator[Systems]:
    with running_systems(3, seed=11) as running:
        yield running


def host(url: str) -> str:
    return url.split("//", 1)[1].rstrip("/")


def shop_key(systems: Systems) -> str:
    return str(systems.environment()[PS_KEY_VARIABLE])


def shop_lines(systems: Systems) -> list[str]:
    """What the PrestaShop source says of the simulator's shop with its demo key."""
    return [
        f"ok: shop demo: PrestaShop: {host(systems.prestashop.url)}: logged in (PrestaShop 8.2.1)",
        "ok: shop demo: PrestaShop: the key may only read (View / GET), as the manual asks",
    ]


def run_check(
    tmp_path: Path, systems: Systems, *args: str, env: dict[str, str] | None = None, **config: Any
) -> Result:
    path = write_config(tmp_path, config_data(systems, **config))
    environment = {**systems.environment(), **(env or {})}
    return CliRunner().invoke(main, ["check", "--config", str(path), *args], env=environment)


def test_a_good_configuration_is_all_green_and_exits_0(tmp_path: Path, systems: Systems) -> None:
    result = run_check(tmp_path, systems)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [*shop_lines(systems), YUKI_OK]
    assert result.stderr == ""


def test_a_wrong_yuki_key_is_a_red_line_without_the_key_and_exit_3(
    tmp_path: Path, systems: Systems
) -> None:
    wrong = "not-the-yuki-key-4f1c2a9e"
    result = run_check(tmp_path, systems, env={YUKI_KEY_VARIABLE: wrong})
    assert result.exit_code == 3
    assert result.stdout.splitlines() == [
        *shop_lines(systems),
        "failed: shop demo: Yuki: access key refused (Authentication failed: the access key is "
        "not valid.); check the target's access_key",
    ]
    assert result.stderr == "mapper: check failed for shop demo: Yuki\n"
    assert wrong not in result.output
    assert systems.yuki_key not in result.output


def test_a_wrong_administration_names_the_ones_the_key_sees_and_exits_3(
    tmp_path: Path, systems: Systems
) -> None:
    result = run_check(tmp_path, systems, target={"administration_id": "0000-not-mine"})
    assert result.exit_code == 3
    assert result.stdout.splitlines()[-1] == (
        "failed: shop demo: Yuki: administration 0000-not-mine is not among the administrations "
        f"this access key can see: Demo Webwinkel BV ({systems.administration_id}); check the "
        "target's administration_id"
    )


def test_an_unreachable_shop_is_a_red_line_and_the_accounting_system_is_still_checked(
    tmp_path: Path, systems: Systems
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_check(tmp_path, systems, source={"url": f"http://127.0.0.1:{port}"})
    assert result.exit_code == 3
    shop_line, yuki_line = result.stdout.splitlines()
    assert shop_line.startswith(f"failed: shop demo: PrestaShop: cannot reach 127.0.0.1:{port}: ")
    assert "Traceback" not in result.output
    assert yuki_line == YUKI_OK
    assert result.stderr == "mapper: check failed for shop demo: PrestaShop\n"
    assert shop_key(systems) not in result.output


def test_an_inactive_vat_code_of_the_settings_is_a_red_line_naming_it(tmp_path: Path) -> None:
    with running_systems(1, seed=3) as systems:
        systems.yuki.deactivate_vat_code(systems.administration_id, 18)
        result = run_check(tmp_path, systems)
    assert result.exit_code == 3
    assert result.stdout.splitlines()[-1] == (
        f"failed: shop demo: Yuki: VAT code 18 is not active in Yuki administration "
        f"{ADMINISTRATION}: activate it in Yuki or map this rate to another code in the yuki "
        "settings (vat_codes)"
    )


def test_a_code_the_tenant_maps_to_instead_is_checked_in_its_place(tmp_path: Path) -> None:
    """The codes checked are the tenant's settings, not the defaults: export mapped to 3."""
    with running_systems(1, seed=3) as systems:
        systems.yuki.deactivate_vat_code(systems.administration_id, 18)
        data = config_data(systems)
        data["shops"][0]["settings"] = {
            "yuki": {
                "vat_codes": [
                    {"scheme": "domestic", "country": "*", "rate": 21, "type": 1,
                     "gl_account": "8000"},
                    {"scheme": "export", "country": "*", "rate": 0, "type": 3,
                     "gl_account": "8200"},
                    {"scheme": "icp", "country": "*", "rate": 0, "type": 17,
                     "gl_account": "8100", "until": "2020-12-31"},
                ]
            }
        }
        path = write_config(tmp_path, data)
        result = CliRunner().invoke(
            main, ["check", "--config", str(path)], env=systems.environment()
        )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == (
        f"ok: shop demo: Yuki: access key accepted, administration {ADMINISTRATION} found; VAT "
        "codes 1, 3 active"
    )


def test_shop_option_checks_that_shop_only_and_an_unknown_one_exits_2(
    tmp_path: Path, systems: Systems
) -> None:
    data = config_data(systems)
    second = {**data["shops"][0], "name": "other"}
    second["target"] = {**second["target"], "administration_id": "0000-not-mine"}
    data["shops"].append(second)
    path = write_config(tmp_path, data)
    env = systems.environment()
    only_demo = CliRunner().invoke(main, ["check", "--shop", "demo", "--config", str(path)], env=env)
    assert only_demo.exit_code == 0
    assert only_demo.stdout.splitlines() == [*shop_lines(systems), YUKI_OK]
    both = CliRunner().invoke(main, ["check", "--config", str(path)], env=env)
    assert both.exit_code == 3
    assert [line.split(": ")[:3] for line in both.stdout.splitlines()] == [
        ["ok", "shop demo", "PrestaShop"],
        ["ok", "shop demo", "PrestaShop"],
        ["ok", "shop demo", "Yuki"],
        ["ok", "shop other", "PrestaShop"],
        ["ok", "shop other", "PrestaShop"],
        ["failed", "shop other", "Yuki"],
    ]
    assert both.stderr == "mapper: check failed for shop other: Yuki\n"
    unknown = CliRunner().invoke(main, ["check", "--shop", "nope", "--config", str(path)], env=env)
    assert unknown.exit_code == 2
    assert unknown.stderr == (
        "mapper: no shop 'nope' in the configuration (shops: demo, other)\n"
    )


class NoCheckSource:
    """A shop system whose adapter has no `check` (a third-party connector, say)."""

    def close(self) -> None:
        pass


def test_a_system_without_a_check_says_so_as_a_warning_that_does_not_fail(
    tmp_path: Path, systems: Systems, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(check_module, "open_source", lambda config, retry: NoCheckSource())
    path = write_config(tmp_path, config_data(systems))
    monkeypatch.setenv(PS_KEY_VARIABLE, shop_key(systems))
    monkeypatch.setenv(YUKI_KEY_VARIABLE, systems.yuki_key)
    [found] = check_shops(load_config(path))
    assert found == ShopCheck(
        "demo",
        (
            CheckLine("PrestaShop", True, "no connection check available for PrestaShop", True),
            CheckLine("Yuki", True, YUKI_OK.split("Yuki: ", 1)[1]),
        ),
    )
    assert found.ok


def test_on_a_terminal_lines_get_a_green_tick_or_a_red_cross() -> None:
    stream = io.StringIO()
    terminal = Console(
        file=stream, force_terminal=True, color_system="standard", no_color=False, width=200
    )
    checks = [
        ShopCheck(
            "demo",
            (
                CheckLine("PrestaShop", True, "logged in"),
                CheckLine("PrestaShop", True, "the key may write", warning=True),
                CheckLine("Yuki", False, "access key refused"),
            ),
        )
    ]
    plain: list[str] = []
    failed = print_checks(checks, plain.append, terminal)
    assert failed == ["shop demo: Yuki"]
    assert plain == []
    assert stream.getvalue().splitlines() == [
        "\x1b[1;32m✓ \x1b[0mshop demo: PrestaShop: logged in",
        "\x1b[1;33m! \x1b[0mshop demo: PrestaShop: the key may write",
        "\x1b[1;31m✗ \x1b[0mshop demo: Yuki: \x1b[31maccess key refused\x1b[0m",
    ]


def test_lightspeed_and_factuursturen_say_whether_their_credentials_are_accepted(
    tmp_path: Path,
) -> None:
    shop, books = LightspeedSimulator(), FactuursturenSimulator()
    with shop, books:
        section = {
            "ledger": "ledger.db",
            "shops": [
                {
                    "name": "tea",
                    "mapping": "lightspeed-factuursturen",
                    "source": {
                        "type": "lightspeed", "url": shop.url,
                        "key": {"env": "LS_KEY"}, "secret": {"env": "LS_SECRET"},
                    },
                    "target": {
                        "type": "factuursturen", "url": books.url,
                        "username": factuursturen_sim.DEMO_USERNAME, "api_key": {"env": "FS_KEY"},
                    },
                }
            ],
        }
        good = {
            "LS_KEY": lightspeed_sim.DEMO_KEY,
            "LS_SECRET": lightspeed_sim.DEMO_SECRET,
            "FS_KEY": factuursturen_sim.DEMO_API_KEY,
        }
        [ok] = check_shops(parse_config(section, tmp_path, environ=good))
        wrong = {**good, "LS_SECRET": "not-the-secret-77", "FS_KEY": "not-the-key-88"}
        [refused] = check_shops(parse_config(section, tmp_path, environ=wrong))
    assert ok == ShopCheck(
        "tea",
        (
            CheckLine("Lightspeed", True, "API key and secret accepted, orders readable"),
            CheckLine("Factuursturen", True, "account name and API key accepted"),
        ),
    )
    assert refused.lines == (
        CheckLine(
            "Lightspeed", False, "API key/secret refused (orders/count: HTTP 401: Unauthorized: "
            "invalid API key or secret (code 401)); check the source's key and secret",
        ),
        CheckLine(
            "Factuursturen", False, "username/API key refused (GET invoices: HTTP 401: "
            "Unauthorized: wrong username or API key); check the target's username and api_key",
        ),
    )
    for secret in ("not-the-secret-77", "not-the-key-88", *good.values()):
        assert all(secret not in line.message for line in refused.lines)
