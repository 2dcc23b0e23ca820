"""The e-mail channel: one message to the shop's recipients over SMTP (smtplib), STARTTLS
unless turned off, a login when a username is configured, a timeout on every socket operation.

Failures are connector errors, so `send` retries what is worth retrying: no connection, a
dropped one or a 4xx answer is a TransientError; a refused login is an AuthenticationError; a
5xx answer (recipient unknown, message refused) a RejectedError. No message quotes the
password, and a refused login does not even quote the server's answer.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from ...connectors.errors import (
    AuthenticationError,
    RejectedError,
    TransientError,
    connection_problem,
)
from ...connectors.http import tls_context
from .messages import Message
from .settings import EmailSettings

log = logging.getLogger(__name__)

SYSTEM = "smtp"
MAX_ANSWER = 200


def email_of(settings: EmailSettings, message: Message) -> EmailMessage:
    """The e-mail as it is sent: plain text, the event in `X-Mapper-Event`."""
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = settings.sender
    mail["To"] = ", ".join(settings.to)
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    mail["X-Mapper-Event"] = message.event
    mail["X-Mapper-Shop"] = message.shop
    mail.set_content(message.text)
    return mail


def send_email(settings: EmailSettings, message: Message) -> None:
    """Send `message` once; raises a ConnectorError saying why it was not accepted."""
    try:
        mail = email_of(settings, message)
    except ValueError as error:  # a header that cannot be written (a newline in an address)
        raise RejectedError(SYSTEM, f"cannot write the e-mail: {error}") from None
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            if settings.starttls:
                smtp.starttls(context=tls_context())
            if settings.username:
                password = settings.password.reveal() if settings.password else ""
                smtp.login(settings.username, password)
            refused = smtp.send_message(mail)
    except smtplib.SMTPAuthenticationError as error:
        raise AuthenticationError(
            SYSTEM,
            f"refused the login of {settings.username} (code {error.smtp_code}); "
            "check username and password in the shop's notify.email section",
        ) from None
    except smtplib.SMTPNotSupportedError:
        raise RejectedError(
            SYSTEM,
            "the server does not offer STARTTLS (or the login the configuration asks for); "
            "use the server's submission port, or set starttls: false only for a server on "
            "this machine",
        ) from None
    except smtplib.SMTPRecipientsRefused as error:
        refused_all = ", ".join(sorted(error.recipients))
        raise RejectedError(SYSTEM, f"refused every recipient: {refused_all}") from None
    except smtplib.SMTPResponseException as error:
        answer = _answer(error.smtp_error)
        kind = TransientError if 400 <= error.smtp_code < 500 else RejectedError
        raise kind(SYSTEM, f"answered {error.smtp_code} {answer}".rstrip()) from None
    except (smtplib.SMTPException, OSError) as error:
        reason = connection_problem(error) or _answer(str(error)) or type(error).__name__
        raise TransientError(SYSTEM, f"cannot connect ({reason})") from None
    if refused:
        log.warning(
            "%s refused some recipients of the %s message: %s",
            settings.label,
            message.event,
            ", ".join(sorted(refused)),
        )


def _answer(text: bytes | str) -> str:
    """A server's answer on one line, cut short."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    line = " ".join(text.split())
    return line if len(line) <= MAX_ANSWER else line[: MAX_ANSWER - 1] + "…"
