"""Email over SMTP (host, port, TLS, login from settings); without MAIL_SERVER the message is logged instead."""

from __future__ import annotations

import email.policy
import logging
import smtplib
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr

from flask import current_app

log = logging.getLogger(__name__)

# Python 3.11 drops the space between RFC 2047 encoded words when it folds a long Cyrillic header
# ("Приглашение в компанию«…»"); headers are therefore not folded (998 is RFC 5322's line limit) and the
# bodies go as quoted-printable, which keeps their own lines short.
POLICY = email.policy.default.clone(max_line_length=998)


class MailError(Exception):
    """Sending failed; `permanent` says whether a retry can help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def build_message(
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    sender: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: tuple[tuple[str, str, bytes], ...] = (),
) -> EmailMessage:
    msg = EmailMessage(policy=POLICY)
    name, address = parseaddr(sender or current_app.config["MAIL_DEFAULT_SENDER"])
    msg["From"] = formataddr((name, address))
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain=address.split("@")[-1] or "printshop.local")
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(text, cte="quoted-printable")
    if html:
        msg.add_alternative(html, subtype="html", cte="quoted-printable")
    for filename, content_type, data in attachments:
        maintype, _, subtype = content_type.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=filename)
    return msg


def send_message(msg: EmailMessage) -> None:
    """Deliver one message over SMTP; MailError(permanent=True) for a refused recipient."""
    config = current_app.config
    server = config.get("MAIL_SERVER")
    if not server:
        body = msg.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        log.info("Email (MAIL_SERVER not set, not sent) to %s: %s\n%s", msg["To"], msg["Subject"], text)
        return
    smtp_cls = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
    try:
        with smtp_cls(server, int(config.get("MAIL_PORT", 25)), timeout=config.get("MAIL_TIMEOUT", 10)) as smtp:
            if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            smtp.send_message(msg)
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(f"Адрес отклонён сервером: {exc.recipients}", permanent=True) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"SMTP: {exc}") from exc


def send_email(
    *, to: str, subject: str, text: str, html: str | None = None, headers: dict[str, str] | None = None
) -> None:
    send_message(build_message(to=to, subject=subject, text=text, html=html, headers=headers))
