"""Outgoing mail: every message in the recipient's language, as plain text and HTML, with no external images.

A message is a pair of templates, `mail/<name>.txt` and `mail/<name>.html`; the text one sets `subject`. They
render in the recipient's language whatever the request's language is. Flask-Mailman sends them: over SMTP when
MAIL_SERVER is set, else into files in the instance folder with the subject and links logged, so a laptop needs
no mail server and a developer can still follow a reset link.

Nothing here runs while a page waits: the account mails (course/auth/mails.py) and the notification mails are
queued in the database and sent by jobs, which retry what the server did not take (docs/operations.md).
"""

from __future__ import annotations

import contextlib
import re
import smtplib
from email.utils import parseaddr

from flask import Flask, current_app, render_template
from flask_babel import force_locale
from flask_mailman import EmailMultiAlternatives, Mail

from course.i18n import LANGUAGES

mail = Mail()

_LINK = re.compile(r"https?://\S+")


class MailError(RuntimeError):
    """The message could not be handed to the mail server (down, refused the address, wrong credentials).
    `unreachable`: the server did not answer (a sender leaves its other mails for later); `permanent`: the server
    refused this message for good (a 5xx for its address), so trying again cannot help."""

    def __init__(self, message: str, *, unreachable: bool = False, permanent: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable
        self.permanent = permanent


def _mail_error(error: Exception) -> MailError:
    # smtplib's errors are OSErrors too: only the connection's own (refused, timed out, dropped) mean "unreachable".
    unreachable = isinstance(error, (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected)) or not isinstance(
        error, smtplib.SMTPException
    )
    refused = isinstance(error, smtplib.SMTPRecipientsRefused) and all(
        code >= 500 for code, _message in error.recipients.values()
    )
    return MailError(f"{error.__class__.__name__}: {error}", unreachable=unreachable, permanent=refused)


def language_for(locale: str | None) -> str:
    """The language to write to an account in: its own, else the site's default."""
    return locale if locale in LANGUAGES else current_app.config["DEFAULT_LANGUAGE"]


def render(template: str, lang: str, **context: object) -> tuple[str, str, str]:
    """(subject, text, html) of a message in `lang`; tests read messages this way too."""
    with force_locale(lang):
        text_template = current_app.jinja_env.get_template(f"mail/{template}.txt")
        module = text_template.make_module({**context, "lang": lang})
        text = str(module).strip() + "\n"
        html = render_template(f"mail/{template}.html", **context, lang=lang, subject=module.subject)
    return str(module.subject).strip(), text, html


def undeliverable(address: str) -> bool:
    """An address no mail can reach: the reserved .invalid domain (RFC 2606) of erased accounts and of accounts an
    LMS made (LTI, SCORM) without an address of the person's."""
    return parseaddr(address)[1].lower().endswith(".invalid")


def send(to: str, template: str, lang: str, **context: object) -> None:
    """Send one message now; raises MailError when the server does not take it (the caller decides whether the
    person must hear about it, as an admin inviting does, or must not, as the password-reset page). A message to an
    undeliverable address is not sent at all."""
    if undeliverable(to):
        current_app.logger.info("Mail %s to %s not sent: the address cannot receive mail", template, to)
        return
    subject, text, html = render(template, lang, **context)
    # Our own connection, closed either way: Flask-Mailman closes the one it opens only after a success, so a
    # refused recipient would leave the SMTP connection open until garbage collection.
    connection = mail.get_connection()
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to], connection=connection)
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as error:
        raise _mail_error(error) from error
    finally:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            connection.close()
    if current_app.config["MAIL_BACKEND"] == "file":
        current_app.logger.info(
            "Mail to %s written to %s: %s %s",
            parseaddr(to)[1],
            current_app.config["MAIL_FILE_PATH"],
            subject,
            " ".join(_LINK.findall(text)),
        )


def init_app(app: Flask) -> None:
    mail.init_app(app)
