"""`notify:` in mapper.yaml: typed settings with defaults, the SMTP password and webhook secret
as `Secret`s (never in a repr), and the mistakes a person makes as one line each that never
repeats a secret written in the wrong place."""

from __future__ import annotations

from pathlib import Path

import pytest
from mapper.connectors.secret import Secret
from mapper.engine.errors import ConfigError
from mapper.engine.notify.settings import EmailSettings
from mapper.engine.sync.config import load_config

CONFIG = """\
secrets_file: secrets.yaml
shops:
  - name: my-shop
    mapping: prestashop-yuki
    source: {type: prestashop, url: https://shop.example.nl, key: {env: PRESTASHOP_KEY}}
    target: {type: yuki, url: https://api.yukiworks.nl, access_key: {secret: yuki},
             administration_id: 0b5e0f4e-aaaa}
    notify:
{notify}
"""
FULL = """\
      email:
        host: smtp.example.nl
        username: mapper@example.nl
        password: {env: SMTP_PASSWORD}
        from: mapper@example.nl
        to: owner@example.nl
      webhook:
        url: https://hooks.example.nl/mapper
        secret: {secret: webhook}
        attempts: 6
      digest: true"""
ENV = {"PRESTASHOP_KEY": "PS-KEY-1234567890", "SMTP_PASSWORD": "smtp-secret-42"}
SECRETS = "yuki: 0123-yuki-access-key\nwebhook: whsec-abcdef\n"


def write(folder: Path, notify: str) -> Path:
    (folder / "secrets.yaml").write_text(SECRETS, encoding="utf-8")
    path = folder / "mapper.yaml"
    path.write_text(CONFIG.replace("{notify}", notify), encoding="utf-8")
    return path


def problems(path: Path, environ: dict[str, str] = ENV) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ)
    return str(caught.value).replace(f"{path}", "mapper.yaml").splitlines()


def test_notify_is_read_with_its_defaults_and_secrets(tmp_path: Path) -> None:
    [shop] = load_config(write(tmp_path, FULL), ENV).shops
    notify = shop.notify
    assert notify is not None and notify.email is not None and notify.webhook is not None
    assert notify.email == EmailSettings(
        host="smtp.example.nl",
        sender="mapper@example.nl",
        to=("owner@example.nl",),
        port=587,
        starttls=True,
        username="mapper@example.nl",
        password=notify.email.password,
        timeout=10.0,
        attempts=4,
    )
    assert isinstance(notify.email.password, Secret)
    assert notify.email.password.reveal() == "smtp-secret-42"
    assert notify.webhook.secret.reveal() == "whsec-abcdef"
    assert (notify.webhook.address, notify.webhook.attempts, notify.digest) == (
        "https://hooks.example.nl/mapper",
        6,
        True,
    )
    assert notify.webhook.label == "webhook to hooks.example.nl"
    shown = repr(shop)
    assert "smtp-secret-42" not in shown and "whsec-abcdef" not in shown


def test_a_shop_without_notify_has_none(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    path.write_text(path.read_text().replace("    notify:\n", ""), encoding="utf-8")
    assert load_config(path, ENV).shops[0].notify is None


def test_a_password_written_in_the_file_is_refused_without_repeating_it(tmp_path: Path) -> None:
    path = write(tmp_path, FULL.replace("{env: SMTP_PASSWORD}", "hunter2-in-clear"))
    lines = problems(path)
    assert lines == [
        "mapper.yaml:12:9: shops.0.notify.email.password: must be a reference like "
        "{env: NAME} or {secret: name}, never the secret itself"
    ]
    assert "hunter2" not in "\n".join(lines)


def test_an_unset_variable_and_an_unknown_key_are_one_line_each(tmp_path: Path) -> None:
    path = write(tmp_path, FULL.replace("        attempts: 6", "        atempts: 6"))
    assert problems(path, {"PRESTASHOP_KEY": "x"}) == [
        "mapper.yaml:18:9: shops.0.notify.webhook.atempts: unknown key, did you mean 'attempts'?",
    ]
    assert problems(write(tmp_path, FULL), {"PRESTASHOP_KEY": "x"}) == [
        "mapper.yaml:12:9: shops.0.notify.email.password: environment variable SMTP_PASSWORD "
        "is not set"
    ]
