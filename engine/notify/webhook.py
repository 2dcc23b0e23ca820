"""The webhook channel: the message's JSON body POSTed to the shop's URL, signed.

Signature: `X-Mapper-Signature: sha256=<hex>`, the HMAC-SHA256 with the configured secret of
`<timestamp>.<body>`, where `<timestamp>` is the `X-Mapper-Timestamp` header (Unix seconds) and
`<body>` the exact bytes sent. A receiver recomputes it (`verify` does) and refuses a timestamp
older than a few minutes, so a recorded request cannot be replayed later. Every attempt is
signed afresh; `X-Mapper-Delivery` stays the same across the retries of one message, so a
receiver can drop a repeat it already handled.

An answer 2xx is delivered; 408, 429 and 5xx, a timeout or no connection are TransientErrors
(retried by `send`); 401/403 an AuthenticationError (the receiver refused the signature); any
other answer a RejectedError. No message quotes the URL (its path may hold a token); the log line around it names the host.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from ...connectors.errors import (
    AuthenticationError,
    RateLimitedError,
    RejectedError,
    TransientError,
    connection_problem,
)
from ...connectors.http import tls_context
from .messages import Message
from .settings import WebhookSettings

SYSTEM = "webhook"
SIGNATURE_HEADER = "X-Mapper-Signature"
TIMESTAMP_HEADER = "X-Mapper-Timestamp"
EVENT_HEADER = "X-Mapper-Event"
DELIVERY_HEADER = "X-Mapper-Delivery"
# How old a timestamp `verify` accepts by default.
TOLERANCE_SECONDS = 300


def body_of(data: Mapping[str, Any]) -> bytes:
    """The JSON body exactly as sent: UTF-8, keys sorted, no spaces."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>`: the HMAC-SHA256 of `timestamp`, a dot and `body`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
    tolerance: float = TOLERANCE_SECONDS,
) -> bool:
    """What a receiver checks: the signature fits the body and timestamp, and the timestamp
    is recent. `headers` looked up case-insensitively."""
    lowered = {k.lower(): v for k, v in headers.items()}
    timestamp = lowered.get(TIMESTAMP_HEADER.lower(), "")
    given = lowered.get(SIGNATURE_HEADER.lower(), "")
    try:
        age = abs((time.time() if now is None else now) - int(timestamp))
    except ValueError:
        return False
    expected = signature(secret, timestamp, body)
    return age <= tolerance and hmac.compare_digest(expected, given)


def post_webhook(
    settings: WebhookSettings,
    message: Message,
    delivery: str,
    *,
    clock: Callable[[], float] = time.time,
    transport: httpx.BaseTransport | None = None,
) -> None:
    """POST `message` once; raises a ConnectorError saying why it was not accepted."""
    body = body_of(message.data)
    timestamp = str(int(clock()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "mapper-notify",
        EVENT_HEADER: message.event,
        DELIVERY_HEADER: delivery,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(settings.secret.reveal(), timestamp, body),
    }
    try:
        with httpx.Client(
            timeout=settings.timeout, verify=tls_context(), transport=transport
        ) as client:
            answer = client.post(settings.address, content=body, headers=headers)
    except httpx.HTTPError as error:
        reason = connection_problem(error) or (
            "no answer in time" if isinstance(error, httpx.TimeoutException) else "network error"
        )
        raise TransientError(SYSTEM, f"cannot connect ({reason})") from None
    status = answer.status_code
    if 200 <= status < 300:
        return
    text = f"answered {status} {answer.reason_phrase}".rstrip()
    if status == 429:
        raise RateLimitedError(SYSTEM, text, retry_after=_seconds(answer.headers))
    if status == 408 or status >= 500:
        raise TransientError(SYSTEM, text, status=status)
    if status in (401, 403):
        raise AuthenticationError(
            SYSTEM, f"{text}: check secret in the shop's notify.webhook section", status=status
        )
    raise RejectedError(SYSTEM, text, status=status)


def _seconds(headers: httpx.Headers) -> float | None:
    try:
        return float(headers.get("Retry-After", ""))
    except ValueError:
        return None
