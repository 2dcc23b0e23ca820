"""Retrying transient connector failures with capped exponential back-off."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from .errors import RateLimitedError, TransientError

T = TypeVar("T")


@dataclass
class RetryPolicy:
    """How often and how patiently to retry. `sleep` is injectable so tests need not wait."""

    attempts: int = 5
    base_delay: float = 0.2
    max_delay: float = 10.0
    jitter: float = 0.1
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def delay(self, attempt: int, error: TransientError) -> float:
        if isinstance(error, RateLimitedError) and error.retry_after is not None:
            return min(error.retry_after, self.max_delay)
        backoff = min(self.base_delay * (2 ** (attempt - 1)), self.max_delay)
        return float(backoff * (1 + random.uniform(0, self.jitter)))


NO_RETRY = RetryPolicy(attempts=1)


def call_with_retry(operation: Callable[[], T], policy: RetryPolicy) -> T:
    """Run `operation`, retrying TransientError up to `policy.attempts` times in all."""
    attempt = 1
    while True:
        try:
            return operation()
        except TransientError as error:
            if attempt >= policy.attempts:
                raise
            policy.sleep(policy.delay(attempt, error))
            attempt += 1
