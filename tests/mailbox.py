"""A real SMTP server for the tests (aiosmtpd on loopback): the app sends through smtplib as in production, and
the tests read back what arrived, parsed as a mail program would.

The app sends mail from background jobs, and tests run with no job runner (JOBS_RUNNER = "off"). Reading the mailbox
(`mails`, `to`, `last_to`) first runs the jobs that are due in the test's apps, as a site's runner does within
seconds of the page: a person who checks their mail finds it there. `received` reads without running anything, for
the tests of what happens before the jobs run."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

_LINK = re.compile(r"https?://[^\s<>\"]+")


@dataclass(frozen=True)
class Mail:
    """One delivered message: envelope recipients and the parsed message."""

    recipients: tuple[str, ...]
    message: EmailMessage

    @property
    def to(self) -> str:
        return str(self.message["To"])

    @property
    def subject(self) -> str:
        return str(self.message["Subject"]).strip()  # a long folded subject parses with a leading space

    @property
    def text(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(preferencelist=("html",)).get_content()

    @property
    def links(self) -> list[str]:
        """Every web address in the plain-text part, in order."""
        return _LINK.findall(self.text)


class Mailbox:
    """What the server received since the last `clear()`; thread-safe (the server runs in its own thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._mails: list[Mail] = []
        self.refuse: set[str] = set()  # recipients the server answers with 550
        self._runners: list[Callable[[], object]] = []

    def deliver_from(self, run_jobs: Callable[[], object]) -> None:
        """Run `run_jobs` (an app's due jobs) before each read of the mailbox."""
        self._runners.append(run_jobs)

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list):  # noqa: ANN201, N802 - aiosmtpd's hook
        if address.lower() in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's hook
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        with self._lock:
            self._mails.append(Mail(tuple(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    @property
    def received(self) -> list[Mail]:
        """What arrived so far, without running the jobs that would send more."""
        with self._lock:
            return list(self._mails)

    @property
    def mails(self) -> list[Mail]:
        """What arrived once the due jobs have run."""
        for run_jobs in reversed(self._runners):  # the app a test built last is the one it uses
            run_jobs()
        return self.received

    def to(self, address: str) -> list[Mail]:
        return [mail for mail in self.mails if address.lower() in (r.lower() for r in mail.recipients)]

    def last_to(self, address: str) -> Mail:
        mails = self.to(address)
        assert mails, f"no mail to {address}; got mail to {[m.recipients for m in self.mails]}"
        return mails[-1]

    def clear(self) -> None:
        with self._lock:
            self._mails.clear()
        self.refuse.clear()
        self._runners.clear()


class _Hooks:
    """aiosmtpd's handler: it looks the hooks up with `inspect.getmembers`, which would read the mailbox's
    properties (and run jobs) from the server's thread, so the server gets this object instead."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.handle_RCPT = mailbox.handle_RCPT
        self.handle_DATA = mailbox.handle_DATA


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_smtp_server() -> tuple[Controller, Mailbox]:
    mailbox = Mailbox()
    controller = Controller(_Hooks(mailbox), hostname="127.0.0.1", port=_free_port())
    controller.start()
    return controller, mailbox


def mail_config(controller: Controller) -> dict[str, object]:
    """The app settings that send through this server."""
    return {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": controller.port,
        "MAIL_USE_TLS": False,
        "MAIL_BACKEND": "smtp",
        "MAIL_DEFAULT_SENDER": "KAM course <noreply@example.org>",
    }
