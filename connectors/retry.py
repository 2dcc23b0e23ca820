"""Retrying transient connector failures with capped exponential back-off.

A retried call logs one line per attempt at DEBUG and, only when it finally fails, one line at
WARNING (a call not retried: one line at INFO); a person sees nothing of the retries unless
logging is turned on (`mapper -v`).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from .errors import OutcomeUnknownError, RateLimitedError, TransientError

T = TypeVar("T")

log = logging.getLogger(__name__)


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
                if attempt > 1:
                    log.warning("%s (gave up after %d attempts)", error, attempt)
                else:  # a call the caller retries its own way (a post it looks up instead)
                    log.info("%s (not retried)", error)
                raise
            delay = policy.delay(attempt, error)
            log.debug(
                "%s (attempt %d of %d; trying again in %.2f s)",
                error,
                attempt,
                policy.attempts,
                delay,
            )
            policy.sleep(delay)
            attempt += 1


class _StopRetrying(Exception):
    """Carries an error out of `call_with_retry` without another attempt."""

    def __init__(self, error: TransientError) -> None:
        super().__init__(str(error))
        self.error = error


def create_once(
    create: Callable[[], T],
    find: Callable[[], T | None],
    policy: RetryPolicy,
    *,
    check_first: bool = False,
    recover: bool = True,
) -> tuple[T, bool]:
    """Create something at most once though its answer may be lost: after a create that got no
    answer (OutcomeUnknownError) — or from the first attempt, with `check_first` — each attempt
    looks it up with `find` before creating again. Returns what was created or found, and
    whether it was found after a lost answer. With `recover` False a lost answer is raised at
    once, for a caller that looks it up later (after the target's settle time)."""
    uncertain = check_first
    recovered = False

    def attempt() -> T:
        nonlocal uncertain, recovered
        if uncertain:
            found = find()
            if found is not None:
                recovered = True
                return found
        try:
            return create()
        except OutcomeUnknownError as error:
            if not recover:
                raise _StopRetrying(error) from None
            uncertain = True
            raise

    try:
        return call_with_retry(attempt, policy), recovered
    except _StopRetrying as stop:
        raise stop.error from None
