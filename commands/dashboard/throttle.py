"""Login throttling: after `limit` failed logins within `window` for one address or from one
client, further attempts answer 429 until the window has passed. In memory, per process."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

from ...engine.ledger.timestamps import utc_now

LIMIT = 5
WINDOW = timedelta(minutes=15)


class LoginThrottle:
    """Counts failed logins per key (an e-mail address, a client address)."""

    def __init__(
        self,
        limit: int = LIMIT,
        window: timedelta = WINDOW,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        found = self._failures.setdefault(key, deque())
        while found and now - found[0] >= self.window:
            found.popleft()
        return found

    def blocked(self, *keys: str) -> bool:
        """Whether any of `keys` has used up its attempts."""
        now = self._clock()
        with self._lock:
            return any(len(self._recent(key, now)) >= self.limit for key in keys)

    def failed(self, *keys: str) -> None:
        """Count one failed login against each of `keys`."""
        now = self._clock()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def succeeded(self, *keys: str) -> None:
        """Forget the failures of `keys` after a successful login."""
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
