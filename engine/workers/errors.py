"""What the task queue reports: the broker cannot be reached (exit 3), or is not configured."""

from __future__ import annotations

import re

from ..errors import ConfigError, SystemUnavailable

_USERINFO = re.compile(r"//[^/@\s]*@")


class QueueNotConfigured(ConfigError):
    """A queue command without `queue:` in mapper.yaml."""

    def __init__(self, path: str) -> None:
        super().__init__(
            f"{path}: no `queue:` configured: add the broker's URL (queue: redis://…) to run "
            "workers, or run the jobs in-process with `mapper schedule`"
        )


class QueueUnavailable(SystemUnavailable):
    """The broker does not answer. The message names where its URL came from, never the URL."""

    def __init__(self, label: str, error: BaseException) -> None:
        lines = str(error).strip().splitlines()
        reason = _USERINFO.sub("//", lines[0]) if lines else type(error).__name__
        super().__init__(f"cannot reach {label}: {reason} (is the Redis broker running?)")
