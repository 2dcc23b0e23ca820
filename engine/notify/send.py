"""One message through every channel of a shop: scrubbed of the shop's secrets, each channel
retried with capped exponential back-off (connectors/retry.py) on what is worth retrying.

`deliver` never raises: a channel that fails is one WARNING log line (what failed and why,
never a secret) and one `Delivered` with the problem, for `mapper notify test` to print. A sync
pass that notifies is never changed by it.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ...connectors.errors import AuthenticationError, ConnectorError
from ...connectors.retry import RetryPolicy, call_with_retry
from ...connectors.secret import Secret
from .messages import Message, scrubbed
from .settings import NotifySettings
from .smtp import send_email
from .webhook import post_webhook

log = logging.getLogger(__name__)

# Back-off between attempts: 1 s, 2 s, 4 s … at most 30 s (a receiver restarting, a mail
# server greylisting), with RetryPolicy's jitter.
BASE_DELAY = 1.0
MAX_DELAY = 30.0


@dataclass(frozen=True)
class Delivered:
    """How one channel fared: `problem` is "" when the message was accepted; `refused` when
    the credentials (login, signature) were refused."""

    channel: str
    problem: str = ""
    refused: bool = False

    @property
    def ok(self) -> bool:
        return not self.problem


def deliver(
    settings: NotifySettings,
    message: Message,
    *,
    secrets: Iterable[Secret] = (),
    sleep: Callable[[float], None] = time.sleep,
) -> list[Delivered]:
    """Send `message` by e-mail and webhook, as configured; never raises."""
    message = scrubbed(message, [*secrets, *settings.secrets()])
    results: list[Delivered] = []
    if settings.email is not None:
        email = settings.email
        results.append(
            _attempt(
                email.label, message, email.attempts, sleep, lambda: send_email(email, message)
            )
        )
    if settings.webhook is not None:
        webhook = settings.webhook
        delivery = str(uuid.uuid4())  # the same for every retry of this message
        results.append(
            _attempt(
                webhook.label,
                message,
                webhook.attempts,
                sleep,
                lambda: post_webhook(webhook, message, delivery),
            )
        )
    return results


def _attempt(
    channel: str,
    message: Message,
    attempts: int,
    sleep: Callable[[float], None],
    send: Callable[[], None],
) -> Delivered:
    policy = RetryPolicy(attempts=attempts, base_delay=BASE_DELAY, max_delay=MAX_DELAY, sleep=sleep)
    try:
        call_with_retry(send, policy)
    except ConnectorError as error:
        log.warning(
            "shop %s: the %s notification was not delivered by %s: %s",
            message.shop,
            message.event,
            channel,
            error.message,
        )
        return Delivered(channel, error.message, isinstance(error, AuthenticationError))
    log.info("shop %s: %s notification delivered by %s", message.shop, message.event, channel)
    return Delivered(channel)
