"""Telegram: the Bot API client (sendMessage, getUpdates over `requests`), linking a chat to a customer, bot updates.

Linking: the profile creates a one-time token (stored hashed, expiring); the customer opens
https://t.me/<bot>?start=<token>; the bot's update "/start <token>" (webhook or polling) binds the chat.
"/stop" from the chat unlinks it. A chat that blocked the bot is unlinked at the first refused message.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from app.models import Channel, TelegramLink, TelegramLinkToken, TelegramUpdateOffset
from app.services.errors import ValidationError
from app.services.messaging import notifications
from app.services.shoptime import now

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096  # Bot API limit of one message


class TelegramError(Exception):
    """A Bot API call failed. `permanent`: retrying cannot help; `retry_after`: seconds the API asked to wait."""

    def __init__(
        self, message: str, *, permanent: bool = False, retry_after: int | None = None, chat_gone: bool = False
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after
        self.chat_gone = chat_gone  # the chat blocked the bot or no longer exists: unlink it


def _config(name: str) -> str:
    value = current_app.config.get(name)
    if not value:
        raise TelegramError(f"Telegram не настроен: не задан {name}.", permanent=True)
    return str(value)


def api_call(method: str, payload: dict, *, timeout: float | None = None) -> dict | list | bool:
    """POST one Bot API method; returns `result`, raises TelegramError with the API's own reason."""
    base = current_app.config.get("TELEGRAM_API_BASE", "https://api.telegram.org").rstrip("/")
    url = f"{base}/bot{_config('TELEGRAM_BOT_TOKEN')}/{method}"
    try:
        response = requests.post(url, json=payload, timeout=timeout or current_app.config.get("TELEGRAM_TIMEOUT", 10))
    except requests.RequestException as exc:
        raise TelegramError(f"Telegram недоступен: {exc.__class__.__name__}") from exc
    try:
        data = response.json()
    except ValueError:
        data = {}
    if response.status_code == 200 and data.get("ok"):
        return data.get("result")
    description = data.get("description") or f"HTTP {response.status_code}"
    code = data.get("error_code") or response.status_code
    if code == 429:
        retry_after = (data.get("parameters") or {}).get("retry_after")
        raise TelegramError(f"Telegram 429: {description}", retry_after=int(retry_after or 30))
    if code >= 500:
        raise TelegramError(f"Telegram {code}: {description}")
    gone = code == 403 or (code == 400 and "chat not found" in description.lower())
    raise TelegramError(f"Telegram {code}: {description}", permanent=True, chat_gone=gone)


def send_message(chat_id: int | str, text: str) -> dict:
    return api_call(
        "sendMessage",
        {"chat_id": chat_id, "text": text[:TEXT_LIMIT], "disable_web_page_preview": True},
    )  # type: ignore[return-value]


def get_updates(offset: int | None, *, timeout: int = 0) -> list[dict]:
    payload: dict = {"timeout": timeout, "allowed_updates": ["message"]}
    if offset is not None:
        payload["offset"] = offset
    return api_call("getUpdates", payload, timeout=timeout + 10)  # type: ignore[return-value]


def set_webhook(url: str, secret: str) -> bool:
    return bool(api_call("setWebhook", {"url": url, "secret_token": secret, "allowed_updates": ["message"]}))


# --- Linking ---------------------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class LinkInvite:
    token: str
    url: str
    expires_at: datetime


def bot_username() -> str:
    return (current_app.config.get("TELEGRAM_BOT_USERNAME") or "").lstrip("@")


def create_link_token(session: Session, *, customer_id: int) -> LinkInvite:
    """A fresh one-time token for the deep link; earlier unused tokens of the customer stop working."""
    if not bot_username():
        raise ValidationError("Подключение Telegram временно недоступно.")
    session.execute(
        sa.delete(TelegramLinkToken).where(
            TelegramLinkToken.customer_id == customer_id, TelegramLinkToken.used_at.is_(None)
        )
    )
    token = secrets.token_urlsafe(24)
    expires = now() + timedelta(minutes=int(current_app.config.get("TELEGRAM_LINK_TTL_MINUTES", 30)))
    session.add(TelegramLinkToken(token_hash=_hash(token), customer_id=customer_id, expires_at=expires))
    session.flush()
    return LinkInvite(token=token, url=f"https://t.me/{bot_username()}?start={token}", expires_at=expires)


def link_of(session: Session, customer_id: int) -> TelegramLink | None:
    return session.get(TelegramLink, customer_id)


def link_chat(session: Session, *, token: str, chat_id: int, username: str = "") -> int:
    """Bind the chat to the token's customer; returns the customer id. ValidationError for a bad token."""
    found = session.scalar(
        sa.select(TelegramLinkToken).where(TelegramLinkToken.token_hash == _hash(token)).with_for_update()
    )
    if found is None or found.used_at is not None:
        raise ValidationError("Ссылка недействительна или уже использована. Получите новую в профиле на сайте.")
    if found.expires_at <= now():
        raise ValidationError("Срок действия ссылки истёк. Получите новую в профиле на сайте.")
    found.used_at = now()
    # One chat, one customer: the chat moves to whoever proved the token.
    session.execute(
        sa.delete(TelegramLink).where(
            (TelegramLink.chat_id == chat_id) | (TelegramLink.customer_id == found.customer_id)
        )
    )
    session.flush()
    session.add(TelegramLink(customer_id=found.customer_id, chat_id=chat_id, username=username[:100]))
    session.flush()
    notifications.queue(
        session, channel=Channel.telegram, event=notifications.TELEGRAM_LINKED, customer_id=found.customer_id
    )
    return found.customer_id


def unlink_customer(session: Session, *, customer_id: int) -> bool:
    deleted = session.execute(sa.delete(TelegramLink).where(TelegramLink.customer_id == customer_id)).rowcount  # type: ignore[attr-defined]
    session.flush()
    return bool(deleted)


def unlink_chat(session: Session, *, chat_id: int) -> bool:
    deleted = session.execute(sa.delete(TelegramLink).where(TelegramLink.chat_id == chat_id)).rowcount  # type: ignore[attr-defined]
    session.flush()
    return bool(deleted)


def _reply(session: Session, chat_id: int, text_key: str) -> None:
    notifications.queue(
        session,
        channel=Channel.telegram,
        event=notifications.TELEGRAM_REPLY,
        recipient=str(chat_id),
        payload={"reply": text_key},
    )


def handle_update(session: Session, update: dict) -> str:
    """Act on one bot update: "/start <token>" links, "/stop" unlinks. Returns what was done (for logs)."""
    message = update.get("message") or {}
    chat = message.get("chat") or {}
    text = (message.get("text") or "").strip()
    chat_id = chat.get("id")
    if not isinstance(chat_id, int) or chat.get("type", "private") != "private" or not text.startswith("/"):
        return "ignored"
    command, _, argument = text.partition(" ")
    command = command.split("@", 1)[0].lower()
    if command == "/start":
        if not argument.strip():
            _reply(session, chat_id, "start_without_token")
            return "start-without-token"
        try:
            link_chat(
                session,
                token=argument.strip(),
                chat_id=chat_id,
                username=(message.get("from") or {}).get("username", "") or "",
            )
        except ValidationError:
            _reply(session, chat_id, "bad_token")
            return "bad-token"
        return "linked"
    if command == "/stop":
        unlinked = unlink_chat(session, chat_id=chat_id)
        _reply(session, chat_id, "stopped" if unlinked else "not_linked")
        return "unlinked" if unlinked else "not-linked"
    _reply(session, chat_id, "help")
    return "help"


def poll_updates(session: Session) -> int:
    """One getUpdates pass from the stored offset; handles the updates and stores the new offset."""
    state = session.get(TelegramUpdateOffset, 1, with_for_update=True)
    offset = state.last_update_id + 1 if state is not None else None
    updates = get_updates(offset)
    for update in updates:
        handle_update(session, update)
    if updates:
        last = max(u["update_id"] for u in updates)
        if state is None:
            session.add(TelegramUpdateOffset(id=1, last_update_id=last))
        else:
            state.last_update_id = last
        session.flush()
    return len(updates)
