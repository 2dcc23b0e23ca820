"""`mapper -v …` / `-vv …`: mapper's own log on stderr, for an operator who wants to see more.

Without `-v` the log is off: what a person must know is the command's own output (one line
per failed shop and system), so a retry that gave up is not told twice. `-v` shows mapper's
INFO lines and warnings (a retried call that gave up, re-reads, new sessions), `-vv` its DEBUG
lines too (every attempt of a retried call, every request with its status and time). A line
reads `WARNING mapper.connectors.retry: PrestaShop: … (gave up after 5 attempts)`.

Only the `mapper` loggers are turned up. The libraries beneath stay at WARNING whatever the
verbosity: zeep logs whole SOAP envelopes at DEBUG (Yuki's access key is in the Authenticate
call) and httpx/httpcore/urllib3 log request lines and headers. mapper's own log lines name
systems, orders and statuses, never a credential (connectors scrub secrets from messages).
"""

from __future__ import annotations

import logging
import sys

LOGGER = "mapper"
QUIET_LIBRARIES = ("zeep", "httpx", "httpcore", "urllib3", "requests")
FORMAT = "%(levelname)s %(name)s: %(message)s"


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time (a test runner swaps it per run)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def configure_logging(verbosity: int) -> None:
    """Set mapper's log up for `-v` × `verbosity`: 0 off, 1 INFO, 2 or more DEBUG.

    Records still propagate to the root logger, so a program (or a test) that embeds the CLI
    and has logging of its own keeps receiving them; only Python's last-resort printing of
    warnings is replaced, by nothing (0) or by one line per record on stderr.
    """
    logger = logging.getLogger(LOGGER)
    for handler in [h for h in logger.handlers if isinstance(h, StderrHandler | Off)]:
        logger.removeHandler(handler)  # a second run in the same process starts afresh
    if verbosity <= 0:
        logger.addHandler(Off())  # a handler is found: the last-resort one prints nothing
        logger.setLevel(logging.NOTSET)
        return
    handler = StderrHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbosity == 1 else logging.DEBUG)
    for name in QUIET_LIBRARIES:
        if logging.getLogger(name).getEffectiveLevel() < logging.WARNING:
            logging.getLogger(name).setLevel(logging.WARNING)


class Off(logging.NullHandler):
    """mapper's log while no `-v` was given."""
