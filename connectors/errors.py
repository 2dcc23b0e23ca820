"""The errors every connector raises, so callers can tell transient from permanent failures."""

from __future__ import annotations


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
