"""The errors every connector raises, so callers can tell transient from permanent failures,
and `connection_problem`: what a failed connection came down to, in a few plain words."""

from __future__ import annotations

import socket
import ssl


class ConnectorError(Exception):
    """A failure talking to an external system. `transient` failures may succeed when retried."""

    transient = False

    def __init__(self, system: str, message: str, *, status: int | None = None) -> None:
        super().__init__(f"{system}: {message}")
        self.system = system
        self.message = message
        self.status = status


class AuthenticationError(ConnectorError):
    """The credentials were refused; retrying will not help."""


class NotFoundError(ConnectorError):
    """The resource asked for does not exist."""


class ProtocolError(ConnectorError):
    """The system answered with something it never sends (not its format, cut short)."""


class AmbiguousMatchError(ProtocolError):
    """More than one record of the system fits what was asked for (split carts share an order
    number): about that one order, not a failure of the system."""


class RejectedError(ConnectorError):
    """The system understood the request and refused it (validation, business rule)."""


class TransientError(ConnectorError):
    """Timeouts, 5xx answers, connection resets: worth trying again after a pause."""

    transient = True


class RateLimitedError(TransientError):
    """The system asked us to slow down (HTTP 429 or a call budget)."""

    def __init__(
        self,
        system: str,
        message: str,
        *,
        status: int | None = 429,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(system, message, status=status)
        self.retry_after = retry_after


class ConfigurationError(ValueError):
    """A connector cannot start: a credential or setting it needs is missing or wrong. Not a
    failure of the system itself, so the engine reports it as bad configuration."""


class QuotaExceededError(ConnectorError):
    """A budget that will not refill soon (e.g. Yuki's daily call limit): stop for today."""


# The OS errors under a failed connection, most specific first, as a person would say them.
_CONNECTION_WORDS: tuple[tuple[type[BaseException], str], ...] = (
    (ConnectionRefusedError, "connection refused"),
    (ConnectionResetError, "connection reset"),
    (socket.gaierror, "host name not found"),
    (ssl.SSLCertVerificationError, "its TLS certificate was not accepted"),
    (ssl.SSLError, "the TLS handshake failed"),
    (TimeoutError, "no answer in time"),
)


def connection_problem(error: BaseException) -> str | None:
    """What the connection failure under `error` came down to ("connection refused", "host
    name not found", …), found in its chain of causes; None when it was no connection failure.

    Clients raise their ConnectorError `from None`; the original stays in `__context__`.
    """
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        for kind, words in _CONNECTION_WORDS:
            if isinstance(current, kind):
                return words
        if isinstance(current, OSError) and current.errno is not None:
            return (current.strerror or "network error").lower()
        linked = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        linked += [arg for arg in current.args if isinstance(arg, BaseException)]
        pending.extend(e for e in linked if isinstance(e, BaseException))
    return None


class NotSentError(TransientError):
    """The request never reached the system (no connection): safe to send again."""


class OutcomeUnknownError(TransientError):
    """A create was sent but its answer was lost: look before creating again."""
