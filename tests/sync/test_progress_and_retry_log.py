"""The CLI's progress display of a job, and the log of a retried call: one line at WARNING when
it finally fails, one at DEBUG per attempt before."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable

import pytest
from mapper.commands.progress import PassDisplay
from mapper.connectors.errors import RejectedError, TransientError
from mapper.connectors.retry import RetryPolicy, call_with_retry
from mapper.engine.sync.pipeline import PassReport
from rich.console import Console

POLICY = RetryPolicy(attempts=3, base_delay=0.5, max_delay=1.0, jitter=0.0)


def failing(errors: list[Exception]) -> Callable[[], str]:
    def operation() -> str:
        if errors:
            raise errors.pop(0)
        return "done"

    return operation


def test_a_retried_call_that_finally_fails_logs_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    slept: list[float] = []
    policy = RetryPolicy(attempts=3, base_delay=0.5, max_delay=1.0, jitter=0.0, sleep=slept.append)
    down = TransientError("PrestaShop", "no answer within 10 s to the request for orders")
    caplog.set_level(logging.DEBUG, logger="mapper.connectors.retry")
    with pytest.raises(TransientError):
        call_with_retry(failing([down, down, down]), policy)
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "DEBUG",
            "PrestaShop: no answer within 10 s to the request for orders (attempt 1 of 3; "
            "trying again in 0.50 s)",
        ),
        (
            "DEBUG",
            "PrestaShop: no answer within 10 s to the request for orders (attempt 2 of 3; "
            "trying again in 1.00 s)",
        ),
        (
            "WARNING",
            "PrestaShop: no answer within 10 s to the request for orders (gave up after 3 "
            "attempts)",
        ),
    ]
    assert slept == [0.5, 1.0]


def test_a_call_that_succeeds_on_retry_logs_no_warning(caplog: pytest.LogCaptureFixture) -> None:
    policy = RetryPolicy(attempts=3, base_delay=0.0, jitter=0.0, sleep=lambda seconds: None)
    caplog.set_level(logging.DEBUG, logger="mapper.connectors.retry")
    blip = TransientError("yuki", "server error HTTP 500 without a SOAP fault", status=500)
    assert call_with_retry(failing([blip]), policy) == "done"
    assert [r.levelname for r in caplog.records] == ["DEBUG"]


def test_a_permanent_failure_is_not_retried_nor_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="mapper.connectors.retry")
    refused = RejectedError("PrestaShop", "the shop refused the request for orders")
    with pytest.raises(RejectedError):
        call_with_retry(failing([refused]), POLICY)
    assert caplog.records == []


def report(seen: int, sent: int, failed: int = 0) -> PassReport:
    return PassReport("my-shop", "sync", seen=seen, sent=sent, failed=failed)


def test_on_a_terminal_each_shop_has_a_live_line_with_its_counts() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=120, color_system=None)
    done: list[str] = []
    with PassDisplay(lambda r: done.append(r.summary()), console=console) as display:
        assert display.live
        display.started("my-shop", "sync")
        display.advanced(report(3, 1, 1))
        display._bar.refresh()
        assert "my-shop: sync" in screen.getvalue()
        assert "3 seen, 1 sent, 1 to Errors, 0 open" in screen.getvalue()
        display.finished(report(4, 3, 1))
        assert display._bar.tasks == []
    assert done == ["my-shop: sync: 4 orders seen, 3 sent, 1 to Errors, 0 open, 0 done before"]


def test_elsewhere_nothing_is_drawn_and_each_shop_prints_its_summary_when_done() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=False)
    done: list[str] = []
    with PassDisplay(lambda r: done.append(r.shop), console=console) as display:
        assert not display.live
        display.started("one", "sync")
        display.advanced(PassReport("one", "sync", seen=5))
        display.finished(PassReport("one", "sync", seen=5))
        assert done == ["one"]  # printed as soon as it is done, before the next shop runs
        display.started("two", "sync")
        display.finished(PassReport("two", "sync"))
    assert done == ["one", "two"]
    assert screen.getvalue() == ""
