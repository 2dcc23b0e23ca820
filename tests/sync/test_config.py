"""mapper.yaml as a person writes it: YAML's dates and times, unknown keys refused with their
place and a "did you mean", the ledger from a reference, YAML errors that show no secret."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from mapper.connectors.secret import Secret
from mapper.engine.errors import ConfigError
from mapper.engine.sync.config import Config, load_config

# Exactly the example of README.md ("A sync configuration"); keep the two in step.
README_EXAMPLE = """\
ledger: ledger.db                  # or a SQLAlchemy URL, or {env: LEDGER_URL} / {secret: ledger}
secrets_file: secrets.yaml         # optional: name: value lines
shops:
  - name: my-shop
    mapping: prestashop-yuki
    start: 2026-01-01              # where the first pass begins (read by that pass only)
    recheck_at: 03:00              # the nightly re-check of open orders
    source: {type: prestashop, url: https://shop.example.nl, key: {env: PRESTASHOP_KEY}}
    target: {type: yuki, url: https://api.yukiworks.nl, access_key: {secret: yuki},
             administration_id: 0b5e0f4e-…}
    settings:
      prestashop: {shop_country: NL}
      yuki: {process: false}
"""
ENV = {"PRESTASHOP_KEY": "PS-KEY-1234567890ABCDEFGHIJKLMNOPQR"}


def write(folder: Path, config: str, secrets: str = "yuki: 0123-yuki-access-key\n") -> Path:
    (folder / "secrets.yaml").write_text(secrets, encoding="utf-8")
    path = folder / "mapper.yaml"
    path.write_text(config, encoding="utf-8")
    return path


def problem_lines(path: Path, environ: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, ENV if environ is None else environ)
    return str(caught.value).replace(f"{path}", "mapper.yaml").splitlines()


def test_the_readme_example_is_accepted_as_written(tmp_path: Path) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert f"```yaml\n{README_EXAMPLE}```" in readme
    config = load_config(write(tmp_path, README_EXAMPLE), ENV)
    assert config.ledger_url == f"sqlite:///{(tmp_path / 'ledger.db').resolve()}"
    [shop] = config.shops
    assert (shop.name, shop.mapping, shop.start, shop.recheck_at) == (
        "my-shop", "prestashop-yuki", dt.date(2026, 1, 1), dt.time(3, 0),
    )
    assert shop.settings == {"prestashop": {"shop_country": "NL"}, "yuki": {"process": False}}
    assert shop.source["key"].reveal() == ENV["PRESTASHOP_KEY"]
    assert shop.target["access_key"].reveal() == "0123-yuki-access-key"
    assert shop.target["administration_id"] == "0b5e0f4e-…"


def test_times_after_ten_are_times_not_base_60_numbers(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, README_EXAMPLE.replace("03:00", "23:30")), ENV)
    assert config.shops[0].recheck_at == dt.time(23, 30)
    quoted = README_EXAMPLE.replace("start: 2026-01-01", "start: '2026-01-01'")
    assert load_config(write(tmp_path, quoted), ENV).shops[0].start == dt.date(2026, 1, 1)


def test_a_date_or_time_that_does_not_exist(tmp_path: Path) -> None:
    path = write(tmp_path, README_EXAMPLE.replace("2026-01-01", "2026-02-30"))
    assert problem_lines(path) == [
        "mapper.yaml:6:12: configuration: not a valid date or time: day is out of range for month"
    ]
    later = README_EXAMPLE.replace("start: 2026-01-01", "start: 2026-01-01 10:00:00")
    path = write(tmp_path, later)
    assert problem_lines(path) == [
        "mapper.yaml:6:5: shops.0.start: expected a date like 2026-01-01, "
        "got '2026-01-01T10:00:00'"
    ]
    path = write(tmp_path, README_EXAMPLE.replace("03:00", "24:00"))
    assert problem_lines(path) == [
        "mapper.yaml:7:5: shops.0.recheck_at: expected a time of day like 03:00 (HH:MM), "
        "got '24:00'"
    ]


def test_unknown_keys_of_mapper_yaml_are_refused_with_a_did_you_mean(tmp_path: Path) -> None:
    mistyped = (
        README_EXAMPLE.replace("secrets_file:", "secret_file:")
        .replace("    start:", "    stat:")
        .replace("type: prestashop,", "type: prestashp,")
        .replace("api.yukiworks.nl, access_key", "api.yukiworks.nl, acces_key")
    )
    path = write(tmp_path, mistyped + "    colour: blue\n")
    assert problem_lines(path) == [
        "mapper.yaml:2:1: secret_file: unknown key, did you mean 'secrets_file'?",
        "mapper.yaml:6:5: shops.0.stat: unknown key, did you mean 'start'?",
        "mapper.yaml:8:14: shops.0.source.type: 'prestashp' is not one of "
        "['lightspeed', 'prestashop', 'shopify', 'woocommerce'], did you mean 'prestashop'?",
        "mapper.yaml:9:57: shops.0.target.acces_key: unknown key, did you mean 'access_key'?",
        "mapper.yaml:14:5: shops.0.colour: unknown key (expected one of: mapping, name, "
        "notify, overlap_minutes, recheck_at, settings, settings_file, source, start, "
        "sync_every_minutes, target, vies)",
    ]


def test_unknown_settings_are_refused_with_their_place(tmp_path: Path) -> None:
    mistyped = README_EXAMPLE.replace("shop_country", "shop_contry").replace(
        "      yuki: {process: false}\n",
        "      yuki: {proces: true, payment_methods: {mollie: {method: iDeal, debtor: D1}}}\n"
        "      yukki: {process: true}\n"
        "      factuursturen: {action: send}\n",
    )
    assert problem_lines(write(tmp_path, mistyped)) == [
        "mapper.yaml:14:7: shops.0.settings.yukki: not a rule set of this pair, so nothing reads "
        "these settings, did you mean 'yuki'?",
        "mapper.yaml:15:7: shops.0.settings.factuursturen: not a rule set of this pair, so nothing "
        "reads these settings (expected one of: prestashop, yuki)",
        "mapper.yaml:12:20: shops.0.settings.prestashop.shop_contry: unknown setting of rule set "
        "prestashop, did you mean 'shop_country'?",
        "mapper.yaml:13:14: shops.0.settings.yuki.proces: unknown setting of rule set yuki, "
        "did you mean 'process'?",
        "mapper.yaml:13:70: shops.0.settings.yuki.payment_methods.mollie.debtor: unknown setting "
        "of rule set yuki, did you mean 'debtor_name'?",
    ]
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert (
        "(`mapper.yaml:12:20: shops.0.settings.prestashop.shop_contry: unknown setting of rule "
        "set\nprestashop, did you mean 'shop_country'?`)"
    ) in readme


def test_a_settings_file_under_the_shops_settings_key_by_key(tmp_path: Path) -> None:
    (tmp_path / "tenant.yaml").write_text(
        "yuki:\n  process: true\n  layout: Huisstijl\nprestashop:\n  shop_country: BE\n",
        encoding="utf-8",
    )
    config = README_EXAMPLE.replace("    settings:\n", "    settings_file: tenant.yaml\n    settings:\n")
    [shop] = load_config(write(tmp_path, config), ENV).shops
    assert shop.settings == {
        "yuki": {"process": False, "layout": "Huisstijl"},
        "prestashop": {"shop_country": "NL"},
    }
    (tmp_path / "tenant.yaml").write_text(
        "yuki:\n  layuot: Huisstijl\nlightspeed:\n  shop_country: BE\n", encoding="utf-8"
    )
    tenant = tmp_path / "tenant.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, config), ENV)
    assert str(caught.value).splitlines() == [
        f"{tenant}:3:1: lightspeed: not a rule set of this pair, so nothing reads these "
        "settings (expected one of: prestashop, yuki)",
    ]
    tenant.write_text("yuki:\n  layuot: Huisstijl\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, config), ENV)
    assert str(caught.value) == (
        f"{tenant}:2:3: yuki.layuot: unknown setting of rule set yuki, did you mean 'layout'?"
    )


def test_the_ledger_from_the_environment_or_the_secrets_file(tmp_path: Path) -> None:
    url = "postgresql+psycopg://mapper:Db-Pa55word@db.example.nl/mapper"
    config = README_EXAMPLE.replace("ledger: ledger.db ", "ledger: {env: LEDGER_URL}")
    loaded = load_config(write(tmp_path, config), {**ENV, "LEDGER_URL": url})
    assert (loaded.ledger_url, loaded.ledger_label) == (url, "the ledger URL from env LEDGER_URL")
    assert "Db-Pa55word" not in repr(loaded)
    assert problem_lines(write(tmp_path, config)) == [
        "mapper.yaml:1:1: ledger: environment variable LEDGER_URL is not set"
    ]
    assert problem_lines(write(tmp_path, config), {**ENV, "LEDGER_URL": " "}) == [
        "mapper.yaml:1:1: ledger: the ledger URL from env LEDGER_URL is empty"
    ]
    config = README_EXAMPLE.replace("ledger: ledger.db ", "ledger: {secret: ledger}")
    path = write(tmp_path, config, f"yuki: key\nledger: {url}\n")
    loaded = load_config(path, ENV)
    assert (loaded.ledger_url, loaded.ledger_label) == (url, "the ledger URL from secret ledger")
    path = write(tmp_path, config, "yuki: key\nledger: db.sqlite\n")
    assert load_config(path, ENV).ledger_url == f"sqlite:///{(tmp_path / 'db.sqlite').resolve()}"
    config = README_EXAMPLE.replace("ledger: ledger.db ", "ledger: {enf: LEDGER_URL}")
    assert problem_lines(write(tmp_path, config)) == [
        "mapper.yaml:1:1: ledger: expected a file path, a database URL or {env: NAME} or "
        "{secret: name}: unknown key 'enf', did you mean 'env'?"
    ]


def test_a_config_repr_shows_where_the_ledger_is_from_never_its_url() -> None:
    config = Config("postgresql://u:s3cr3t@h/db", [], "env LEDGER_URL")
    assert repr(config) == "Config(shops=[], ledger_origin='env LEDGER_URL')"
    assert Config("ledger.db", []).ledger_label == "the ledger"
    assert repr(Secret("x", "secret ledger")) == "Secret(secret ledger, ***)"


def test_a_secret_is_the_text_written(tmp_path: Path) -> None:
    path = write(tmp_path, README_EXAMPLE, "yuki: 0123\n")
    assert load_config(path, ENV).shops[0].target["access_key"].reveal() == "0123"
    path = write(tmp_path, README_EXAMPLE, "yuki: [a, b]\n")
    assert problem_lines(path) == [
        f"{tmp_path / 'secrets.yaml'}:1:1: secrets file: yuki: expected one value on the line, "
        "not a list or a section"
    ]


SECRET = "s3cr3t-Pa55"


@pytest.mark.parametrize(
    ("file", "text", "message"),
    [
        (
            "secrets.yaml",
            f"yuki: *{SECRET}\n",
            "secrets.yaml:1:7: secrets file is not valid YAML: found undefined alias",
        ),
        (
            "secrets.yaml",
            f'yuki: "{SECRET}\n',
            "secrets.yaml:2:1: secrets file is not valid YAML: found unexpected end of stream",
        ),
        (
            "mapper.yaml",
            f"ledger: postgresql://mapper:{SECRET}@db/mapper\n  shops: []\n",
            "mapper.yaml:2:8: configuration is not valid YAML: mapping values are not allowed "
            "here",
        ),
        (
            "mapper.yaml",
            f"ledger: *{SECRET}\n",
            "mapper.yaml:1:9: configuration is not valid YAML: found undefined alias",
        ),
    ],
)
def test_a_yaml_error_is_one_line_without_the_offending_text(
    tmp_path: Path, file: str, text: str, message: str
) -> None:
    path = write(tmp_path, README_EXAMPLE)
    (tmp_path / file).write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, ENV)
    shown = str(caught.value)
    assert re.sub(r"^.*/", "", shown) == message
    assert SECRET not in shown and "\n" not in shown
