"""The security rules of the dashboard, one test each: argon2 hashes, the session cookie's
flags, CSRF on every POST, login throttling, another shop's pages and actions, headers."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from mapper.engine.ledger import OrderState

from .dashboard_helpers import ALICE, BOB, PASSWORD, csrf_of, dashboard, log_in


def test_passwords_are_stored_as_argon2_hashes(tmp_path: Path) -> None:
    with dashboard(tmp_path):
        pass
    with sqlite3.connect(tmp_path / "ledger.db") as raw:
        stored = dict(raw.execute("SELECT email, password_hash FROM ledger_users"))
    assert set(stored) == {ALICE, BOB}
    assert all(value.startswith("$argon2id$") for value in stored.values())
    assert PASSWORD not in "".join(stored.values())


def test_a_wrong_password_is_refused_with_one_message(tmp_path: Path) -> None:
    with dashboard(tmp_path) as s:
        token = csrf_of(s.client.get("/login").text)
        for email in (ALICE, "nobody@example.com"):
            answer = s.client.post(
                "/login", data={"email": email, "password": "wrong password", "csrf_token": token}
            )
            assert answer.status_code == 401
            assert "Wrong e-mail address or password." in answer.text
        assert s.client.get("/shops/alpha/reporting").status_code == 303


def test_the_session_cookie_is_httponly_and_samesite_lax_and_not_secure_over_http(
    tmp_path: Path,
) -> None:
    with dashboard(tmp_path) as s:
        token = csrf_of(s.client.get("/login").text)
        answer = s.client.post(
            "/login", data={"email": ALICE, "password": PASSWORD, "csrf_token": token}
        )
        cookie = answer.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        assert "secure" not in cookie


def test_the_session_cookie_is_secure_behind_tls(tmp_path: Path) -> None:
    with dashboard(tmp_path, base_url="https://testserver") as s:
        token = csrf_of(s.client.get("/login").text)
        answer = s.client.post(
            "/login", data={"email": ALICE, "password": PASSWORD, "csrf_token": token}
        )
        cookie = answer.headers["set-cookie"].lower()
        assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie


def test_a_tampered_session_cookie_is_no_login(tmp_path: Path) -> None:
    with dashboard(tmp_path) as s:
        log_in(s.client)
        value = s.client.cookies["mapper_session"]
        s.client.cookies.set("mapper_session", value.replace("alice", "bobby"))
        assert s.client.get("/shops/alpha/reporting").status_code == 303


@pytest.mark.parametrize(
    "path",
    [
        "/login",
        "/logout",
        "/shops/alpha/orders/201/process",
        "/shops/alpha/orders/201/report",
    ],
)
def test_every_post_without_the_csrf_token_is_refused(tmp_path: Path, path: str) -> None:
    with dashboard(tmp_path) as s:
        log_in(s.client)
        for form in ({}, {"csrf_token": "forged"}):
            data = {"email": ALICE, "password": PASSWORD, **form}
            answer = s.client.post(path, data=data)
            assert answer.status_code == 403
            assert "This form has expired or did not come from this dashboard." in answer.text
        assert s.calls.processed == []
        assert not (tmp_path / "problem-reports.jsonl").exists()
        record = s.ledger.get_order("alpha", "201")
        assert record is not None and record.state == OrderState.FAILED


def test_logins_are_throttled_after_repeated_failures(tmp_path: Path) -> None:
    with dashboard(tmp_path) as s:
        token = csrf_of(s.client.get("/login").text)
        wrong = {"email": ALICE, "password": "wrong password", "csrf_token": token}
        statuses = [s.client.post("/login", data=wrong).status_code for _ in range(6)]
        assert statuses == [401, 401, 401, 401, 401, 429]
        right = {**wrong, "password": PASSWORD}
        blocked = s.client.post("/login", data=right)
        assert blocked.status_code == 429
        assert "Too many failed logins." in blocked.text
        s.clock.advance(timedelta(minutes=15))
        assert s.client.post("/login", data=right).status_code == 303


TABS = ("reporting", "errors", "open", "connections", "configuration")


def test_another_shops_pages_and_actions_answer_404(tmp_path: Path) -> None:
    with dashboard(tmp_path) as s:
        token = log_in(s.client, ALICE)
        for tab in TABS:
            assert s.client.get(f"/shops/beta/{tab}").status_code == 404, tab
            assert s.client.get(f"/shops/nowhere/{tab}").status_code == 404, tab
        for action in ("process", "report"):
            answer = s.client.post(f"/shops/beta/orders/901/{action}", data={"csrf_token": token})
            assert answer.status_code == 404, action
            # An order of another shop under one's own shop is no way round it either.
            answer = s.client.post(f"/shops/alpha/orders/901/{action}", data={"csrf_token": token})
            assert answer.status_code == 404, action
        assert s.calls.processed == [] and s.calls.checked == []
        assert not (tmp_path / "problem-reports.jsonl").exists()
        record = s.ledger.get_order("beta", "901")
        assert record is not None and record.state == OrderState.FAILED
        assert "beta" not in s.client.get("/shops/alpha/reporting").text


def test_an_administrator_sees_every_shop(tmp_path: Path) -> None:
    with dashboard(tmp_path) as s:
        s.dashboard.accounts.add("admin@example.com", PASSWORD, [], admin=True)
        token = csrf_of(s.client.get("/login").text)
        s.client.post(
            "/login", data={"email": "admin@example.com", "password": PASSWORD, "csrf_token": token}
        )
        home = s.client.get("/")
        assert home.status_code == 200
        assert "/shops/alpha/reporting" in home.text and "/shops/beta/reporting" in home.text
        assert s.client.get("/shops/beta/errors").status_code == 200


def test_logout_ends_the_session(tmp_path: Path) -> None:
    with dashboard(tmp_path) as s:
        token = log_in(s.client)
        answer = s.client.post("/logout", data={"csrf_token": token})
        assert (answer.status_code, answer.headers["location"]) == (303, "/login")
        assert s.client.get("/shops/alpha/reporting").status_code == 303


@pytest.mark.parametrize("path", ["/login", "/healthz", "/static/dashboard.js", "/nowhere"])
def test_security_headers_on_every_answer(tmp_path: Path, path: str) -> None:
    with dashboard(tmp_path) as s:
        headers = s.client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"


def test_pages_carry_no_inline_script(tmp_path: Path) -> None:
    with dashboard(tmp_path) as s:
        log_in(s.client)
        for tab in TABS:
            page = s.client.get(f"/shops/alpha/{tab}").text
            assert "<script>" not in page and " on" + "click=" not in page
            assert '<script src="/static/dashboard.js" defer></script>' in page


def test_a_login_redirect_never_leaves_the_site(tmp_path: Path) -> None:
    with dashboard(tmp_path) as s:
        token = csrf_of(s.client.get("/login").text)
        answer = s.client.post(
            "/login",
            data={
                "email": ALICE,
                "password": PASSWORD,
                "csrf_token": token,
                "next": "//evil.example/",
            },
        )
        assert answer.headers["location"] == "/"
