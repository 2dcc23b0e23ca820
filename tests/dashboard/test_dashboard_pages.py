"""The tabs: what each shows of the ledger, search and paging, Process and Report problem."""

from __future__ import annotations

import json
import re
from pathlib import Path

from mapper.engine.ledger import OrderState

from .dashboard_helpers import ALICE, add_order, dashboard, log_in


def test_healthz_answers_without_login(tmp_path: Path) -> None:
    with dashboard(tmp_path) as s:
        answer = s.client.get("/healthz")
        assert (answer.status_code, answer.text) == (200, "ok")


def test_pages_need_a_login(tmp_path: Path) -> None:
    with dashboard(tmp_path) as s:
        answer = s.client.get("/shops/alpha/errors")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login?next=/shops/alpha/errors"


def test_reporting_shows_what_was_sent_with_the_reference(tmp_path: Path) -> None:
    with dashboard(tmp_path) as s:
        log_in(s.client)
        page = s.client.get("/shops/alpha/reporting")
        assert page.status_code == 200
        assert "YUKI-101" in page.text and "YUKI-103" in page.text
        assert "prestashop-yuki 1.2" in page.text
        assert "3 shown of 3" in page.text
        assert "N201" not in page.text  # failed: in Errors, not here
        assert "YUKI-902" not in page.text  # beta's


def test_search_by_order_number(tmp_path: Path) -> None:
    with dashboard(tmp_path) as s:
        log_in(s.client)
        page = s.client.get("/shops/alpha/reporting", params={"q": "N102"})
        assert "YUKI-102" in page.text and "YUKI-101" not in page.text
        assert "1 shown of 1" in page.text
        none = s.client.get("/shops/alpha/reporting", params={"q": "N999"})
        assert "No orders with number N999." in none.text


def test_errors_show_reason_resolution_more_info_and_buttons(tmp_path: Path) -> None:
    with dashboard(tmp_path) as s:
        log_in(s.client)
        page = s.client.get("/shops/alpha/errors").text
        assert "VAT number NL000 of the customer is invalid" in page
        assert "Resolution: Correct the VAT number in the shop." in page
        assert "<summary>More info</summary>" in page
        assert 'action="/shops/alpha/orders/201/process"' in page
        assert 'action="/shops/alpha/orders/201/report"' in page
        assert "beta&#39;s own error" not in page and "beta's own error" not in page


def test_open_shows_the_shop_state_and_the_next_recheck(tmp_path: Path) -> None:
    with dashboard(tmp_path) as s:
        log_in(s.client)
        page = s.client.get("/shops/alpha/open").text
        assert "order state 1 is not an invoicing state" in page
        assert re.search(r"next at \d{4}-\d\d-\d\d 03:00", page)


def test_connections_show_one_dot_per_system_checked_on_request(tmp_path: Path) -> None:
    with dashboard(tmp_path) as s:
        log_in(s.client)
        page = s.client.get("/shops/alpha/connections").text
        assert s.calls.checked == ["alpha"]
        assert '<li class="dot-green">' in page and "<strong>PrestaShop</strong>: connected" in page
        assert '<li class="dot-red">' in page and "<strong>Yuki</strong>: not connected" in page
        assert "access refused: the access key is not valid" in page


def test_configuration_names_the_rule_sets_and_the_settings_in_use(tmp_path: Path) -> None:
    with dashboard(tmp_path) as s:
        log_in(s.client)
        page = s.client.get("/shops/alpha/configuration").text
        assert "<dt>Rule sets</dt><dd>prestashop-yuki</dd>" in page
        assert "those of the settings file (nothing saved here yet)" in page


def test_process_sends_the_order_and_it_shows_in_reporting(tmp_path: Path) -> None:
    with dashboard(tmp_path) as s:
        token = log_in(s.client)
        answer = s.client.post("/shops/alpha/orders/201/process", data={"csrf_token": token})
        assert answer.status_code == 303
        assert answer.headers["location"] == "/shops/alpha/reporting"
        assert s.calls.processed == [("alpha", "201")]
        page = s.client.get("/shops/alpha/reporting").text
        assert "Order N201 was sent to the accounting system (reference YUKI-NEW-201)." in page
        assert "YUKI-NEW-201" in page
        assert "N201" not in s.client.get("/shops/alpha/errors").text


def test_process_of_an_order_not_in_errors_changes_nothing(tmp_path: Path) -> None:
    with dashboard(tmp_path) as s:
        token = log_in(s.client)
        s.client.post("/shops/alpha/orders/101/process", data={"csrf_token": token})
        assert s.calls.processed == []
        page = s.client.get("/shops/alpha/errors").text
        assert "Order N101 is sent, not in Errors: nothing to process." in page


def test_report_problem_writes_number_error_and_rule_version(tmp_path: Path) -> None:
    with dashboard(tmp_path) as s:
        token = log_in(s.client)
        answer = s.client.post("/shops/alpha/orders/202/report", data={"csrf_token": token})
        assert answer.status_code == 303
        lines = (tmp_path / "problem-reports.jsonl").read_text().splitlines()
        entry = json.loads(lines[0])
        assert entry["number"] == "N202"
        assert entry["error"] == "shipping line has no VAT rate"
        assert entry["rule_version"] == "prestashop-yuki 1.2"
        assert entry["reported_by"] == ALICE
        page = s.client.get("/shops/alpha/errors").text
        assert "The problem with order N202 was reported" in page


def test_paging_continues_after_the_last_row_seen(tmp_path: Path) -> None:
    with dashboard(tmp_path) as s:
        for index in range(120):
            add_order(s.ledger, "alpha", f"5{index:03d}", "sent")
        log_in(s.client)
        first = s.client.get("/shops/alpha/reporting").text
        assert "50 shown of 123" in first
        seen = set(re.findall(r'data-order="(\d+)"', first))
        after = re.search(r'href="\?after=([^"&]+)"', first)
        while after:
            page = s.client.get("/shops/alpha/reporting", params={"after": after.group(1)}).text
            rows = set(re.findall(r'data-order="(\d+)"', page))
            assert not rows & seen
            seen |= rows
            after = re.search(r'href="\?after=([^"&]+)"', page)
        assert len(seen) == 123
        assert s.ledger.counts("alpha")[OrderState.SENT] == 123
