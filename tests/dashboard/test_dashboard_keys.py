"""The key form of the Connections tab: keys stored encrypted, never shown back or logged,
used by the next pass; refused without MAPPER_SECRET_KEY; 404 for another shop's person."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from mapper.connectors.secret import Secret
from mapper.engine.ledger.secret_store import SecretKeyProblem, SecretStore, new_secret_key
from mapper.engine.sync.config import with_stored

from .dashboard_helpers import BOB, dashboard, log_in

KEYS = "/shops/alpha/connections/keys"
SHOP_KEY = "PS-KEY-7Q2W9E4R1T6Y3U8I5O0P"
YUKI_KEY = "a8f3c2d1-0b9e-4f7a-8c6d-5e4f3a2b1c0d"


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = new_secret_key()
    monkeypatch.setenv("MAPPER_SECRET_KEY", key)
    return key


def test_keys_are_stored_encrypted_used_by_the_pass_and_never_shown(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with dashboard(tmp_path) as s:
        token = log_in(s.client)
        before = s.client.get("/shops/alpha/connections").text
        assert 'name="source.key"' in before and 'name="target.access_key"' in before
        assert before.count("not set") == 2
        answer = s.client.post(
            KEYS, data={"csrf_token": token, "source.key": SHOP_KEY, "target.access_key": YUKI_KEY}
        )
        assert answer.status_code == 303
        page = s.client.get("/shops/alpha/connections").text
        assert "Stored: PrestaShop key, Yuki access_key. The next pass uses them." in page
        assert page.count("by alice@example.com") == 2 and "set on 20" in page
        assert 'type="password" name="source.key" value=""' in page
        responses = [before, answer.text, page, s.client.get("/shops/alpha/configuration").text]
        for text in responses + [caplog.text]:
            assert SHOP_KEY not in text and YUKI_KEY not in text

        # the database holds ciphertext only
        with sqlite3.connect(tmp_path / "ledger.db") as raw:
            stored = " ".join(
                row[0] for row in raw.execute("SELECT ciphertext FROM ledger_secrets")
            )
        assert stored and SHOP_KEY not in stored and YUKI_KEY not in stored

        shop = with_stored(s.dashboard.config.shop("alpha"), s.ledger)
        assert isinstance(shop.source["key"], Secret) and shop.source["key"].reveal() == SHOP_KEY
        assert shop.target["access_key"].reveal() == YUKI_KEY
        assert repr(shop.target["access_key"]) == "Secret(the dashboard, ***)"
        assert with_stored(s.dashboard.config.shop("beta"), s.ledger).source == {
            "type": "prestashop"
        }


def test_a_key_with_spaces_is_refused_at_its_field_without_showing_it(tmp_path: Path) -> None:
    with dashboard(tmp_path) as s:
        token = log_in(s.client)
        answer = s.client.post(
            KEYS, data={"csrf_token": token, "target.access_key": f" {YUKI_KEY}"}
        )
        assert answer.status_code == 400
        assert (
            "target.access_key: the key starts or ends with a space; paste it again" in answer.text
        )
        assert YUKI_KEY not in answer.text
        assert SecretStore(s.ledger).listed("alpha") == []


def test_without_the_secret_key_nothing_is_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MAPPER_SECRET_KEY")
    with dashboard(tmp_path) as s:
        token = log_in(s.client)
        s.client.post(KEYS, data={"csrf_token": token, "target.access_key": YUKI_KEY})
        page = s.client.get("/shops/alpha/connections").text
        assert "Not stored: MAPPER_SECRET_KEY is not set: keys entered in the dashboard" in page
        assert SecretStore(s.ledger).listed("alpha") == []


def test_keys_stored_under_another_secret_key_are_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with dashboard(tmp_path) as s:
        token = log_in(s.client)
        s.client.post(KEYS, data={"csrf_token": token, "target.access_key": YUKI_KEY})
        monkeypatch.setenv("MAPPER_SECRET_KEY", new_secret_key())
        with pytest.raises(SecretKeyProblem) as raised:
            with_stored(s.dashboard.config.shop("alpha"), s.ledger)
        assert str(raised.value) == (
            "the keys of shop alpha stored in the ledger cannot be decrypted with "
            "MAPPER_SECRET_KEY: it is not the key they were stored with (enter the keys again "
            "in the dashboard, or restore the old key)"
        )


def test_another_shops_user_gets_404_and_no_token_403(tmp_path: Path) -> None:
    with dashboard(tmp_path) as s:
        token = log_in(s.client, BOB)
        assert (
            s.client.post(
                KEYS, data={"csrf_token": token, "target.access_key": YUKI_KEY}
            ).status_code
            == 404
        )
        assert (
            s.client.post(
                "/shops/beta/connections/keys", data={"target.access_key": YUKI_KEY}
            ).status_code
            == 403
        )
        assert SecretStore(s.ledger).listed("alpha") == []
        assert SecretStore(s.ledger).listed("beta") == []
