"""The channels on their own, over real sockets: the webhook's signature, retries with back-off
on 5xx and 429 and none on 4xx; the SMTP login refused; a message cut at MAX_LISTED orders and
scrubbed of secrets. `sleep` is recorded, never waited for."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from mapper.connectors.secret import Secret
from mapper.engine.ledger import OrderRecord, OrderState
from mapper.engine.notify.messages import MAX_LISTED, Message, pass_message
from mapper.engine.notify.send import deliver
from mapper.engine.notify.settings import EmailSettings, NotifySettings, WebhookSettings
from mapper.engine.notify.webhook import body_of, signature, verify

from notify.receivers import (
    SMTP_PASSWORD,
    SMTP_USER,
    WEBHOOK_SECRET,
    WebhookReceiver,
    smtp_server,
    text_of,
)

AT = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def record(order_id: str, reason: str = "VAT number NL000000000B00 is not valid") -> OrderRecord:
    return OrderRecord(
        shop="webshop",
        order_id=order_id,
        number=f"R{order_id}",
        order_date=AT,
        state=OrderState.FAILED,
        attempts=1,
        first_seen_at=AT,
        updated_at=AT,
        rule_version="prestashop-yuki 1.4",
        reason=reason,
        resolution="Correct the VAT number in the shop, then process the order again.",
    )


def no_pause(seconds: float) -> None:
    raise AssertionError(f"not to be retried (asked to wait {seconds} s)")


def one_error() -> Message:
    message = pass_message("webshop", "sync", [record("7")], None, AT)
    assert message is not None
    return message


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as hooks:
        yield hooks  # type: ignore[misc]


def webhook(url: str, secret: str = WEBHOOK_SECRET, attempts: int = 4) -> NotifySettings:
    return NotifySettings(
        webhook=WebhookSettings(url=url, secret=Secret(secret, "secret webhook"), attempts=attempts)
    )


def email_to(port: int, **changes: Any) -> EmailSettings:
    """Mail to the shop owner through the local SMTP server on `port`, logged in as SMTP_USER."""
    settings: dict[str, Any] = {
        "host": "127.0.0.1", "port": port, "starttls": False, "sender": SMTP_USER,
        "to": ("owner@shop.example",), "username": SMTP_USER, "password": Secret(SMTP_PASSWORD),
    }
    return EmailSettings(**{**settings, **changes})


def test_a_webhook_answering_500_is_posted_again_after_a_pause(
    receiver: WebhookReceiver,
) -> None:
    receiver.statuses = [500]
    pauses: list[float] = []
    message = pass_message("webshop", "sync", [record("7")], None, AT)
    assert message is not None

    delivered = deliver(webhook(receiver.hook_url), message, sleep=pauses.append)

    assert [(d.ok, d.problem) for d in delivered] == [(True, "")]
    assert len(receiver.received) == 2
    first, second = receiver.received
    assert first.signed and second.signed
    assert first.body == second.body == body_of(message.data)
    # one delivery id for both attempts: a receiver can drop a repeat
    assert first.headers["x-mapper-delivery"] == second.headers["x-mapper-delivery"]
    assert len(pauses) == 1 and 1.0 <= pauses[0] <= 1.1  # the first back-off step


def test_back_off_grows_and_gives_up_after_the_attempts(receiver: WebhookReceiver) -> None:
    receiver.statuses = [503, 503, 502, 500]
    pauses: list[float] = []
    message = pass_message("webshop", "sync", [record("7")], None, AT)
    assert message is not None

    [result] = deliver(webhook(receiver.hook_url), message, sleep=pauses.append)

    assert (result.ok, result.problem) == (False, "answered 500 Internal Server Error")
    assert len(receiver.received) == 4
    assert [round(p) for p in pauses] == [1, 2, 4]


def test_a_429_waits_as_long_as_the_receiver_asks(receiver: WebhookReceiver) -> None:
    receiver.statuses = [429]
    pauses: list[float] = []
    message = pass_message("webshop", "sync", [record("7")], None, AT)
    assert message is not None

    [result] = deliver(webhook(receiver.hook_url), message, sleep=pauses.append)

    assert result.ok and pauses == [2.0]


def test_a_refused_signature_is_not_retried(receiver: WebhookReceiver) -> None:
    message = pass_message("webshop", "sync", [record("7")], None, AT)
    assert message is not None

    [result] = deliver(
        webhook(receiver.hook_url, secret="not-the-receivers-key"), message, sleep=no_pause
    )

    assert len(receiver.received) == 1 and not receiver.received[0].signed
    assert (result.ok, result.refused) == (False, True)
    assert result.problem == (
        "answered 401 Unauthorized: check secret in the shop's notify.webhook section"
    )
    assert "not-the-receivers-key" not in result.problem


def test_an_unreachable_receiver_is_a_problem_not_an_exception() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        message = pass_message("webshop", "sync", [record("7")], None, AT)
        assert message is not None
        pauses: list[float] = []
        [result] = deliver(
            webhook(f"http://127.0.0.1:{port}/hook?token=t0k3n", attempts=2),
            message,
            sleep=pauses.append,
        )
    assert result.channel == "webhook to 127.0.0.1"
    assert result.problem == "cannot connect (connection refused)"
    assert len(pauses) == 1


def test_verify_accepts_the_signature_and_refuses_a_changed_body_or_an_old_timestamp() -> None:
    body = b'{"event":"errors","shop":"webshop"}'
    headers = {
        "X-Mapper-Timestamp": "1772442000",
        "X-Mapper-Signature": signature(WEBHOOK_SECRET, "1772442000", body),
    }
    assert verify(WEBHOOK_SECRET, headers, body, now=1772442000 + 60)
    assert not verify(WEBHOOK_SECRET, headers, body + b" ", now=1772442000 + 60)
    assert not verify("another-key", headers, body, now=1772442000 + 60)
    assert not verify(WEBHOOK_SECRET, headers, body, now=1772442000 + 301)  # a replay
    assert not verify(
        WEBHOOK_SECRET, {**headers, "X-Mapper-Timestamp": "1772442001"}, body, now=1772442000
    )


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    # Computed independently: printf '1772442000.{}' | openssl dgst -sha256 -hmac key
    assert signature("key", "1772442000", b"{}") == (
        "sha256=" + __import__("hmac").new(b"key", b"1772442000.{}", "sha256").hexdigest()
    )


def test_a_refused_smtp_login_names_the_user_never_the_password() -> None:
    with smtp_server() as server:
        settings = NotifySettings(
            email=email_to(server.port, password=Secret("wrong-pw-31c", "env SMTP_PASSWORD"))
        )
        [result] = deliver(settings, one_error(), sleep=no_pause)
        mails = server.mailbox.mails
    assert mails == []
    assert (result.ok, result.refused) == (False, True)
    assert result.problem == (
        f"refused the login of {SMTP_USER} (code 535); check username and password in the "
        "shop's notify.email section"
    )


def test_starttls_asked_of_a_server_without_it_is_one_clear_problem() -> None:
    with smtp_server() as server:
        settings = NotifySettings(email=email_to(server.port, starttls=True))
        [result] = deliver(settings, one_error(), sleep=no_pause)
    assert result.problem.startswith("the server does not offer STARTTLS")


def test_one_message_lists_at_most_max_listed_orders_and_counts_the_rest() -> None:
    entered = [record(str(i)) for i in range(1, MAX_LISTED + 13)]
    message = pass_message("webshop", "recheck", entered, None, AT)
    assert message is not None
    assert message.subject == f"mapper: shop webshop: {MAX_LISTED + 12} orders to Errors"
    assert message.text.count("\nOrder R") + message.text.startswith("Order R") == MAX_LISTED
    assert f"Order R{MAX_LISTED} (id {MAX_LISTED})" in message.text
    assert f"Order R{MAX_LISTED + 1} " not in message.text
    assert "… and 12 more in the Errors list." in message.text
    assert len(message.data["orders"]) == MAX_LISTED
    assert message.data["more_orders"] == 12


def test_a_secret_in_a_reason_is_scrubbed_from_mail_and_webhook(
    receiver: WebhookReceiver,
) -> None:
    key = "yuki-key-0a9b8c7d"
    message = pass_message(
        "webshop", "sync", [record("7", reason=f"Yuki said: bad key {key}")], None, AT
    )
    assert message is not None
    with smtp_server() as server:
        settings = NotifySettings(
            email=email_to(server.port), webhook=webhook(receiver.hook_url).webhook
        )
        results = deliver(settings, message, secrets=[Secret(key, "env YUKI_KEY")])
        [(_, mail)] = server.mailbox.mails
    assert [r.ok for r in results] == [True, True]
    assert "  Reason: Yuki said: bad key <secret>\n" in text_of(mail)
    assert receiver.received[0].json["orders"][0]["reason"] == "Yuki said: bad key <secret>"
    assert key not in mail.as_string() and key.encode() not in receiver.received[0].body
