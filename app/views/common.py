"""What the views of both apps share: running a service call in the request's transaction, ids bounded to the
database's range in URLs and forms, the security headers, and the Russian error pages."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Generic, TypeVar

from flask import Flask, Response, abort, flash, g, request
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map

from app.extensions import db
from app.services.errors import DomainError, NotFound

T = TypeVar("T")

# Every id column is a signed 64-bit integer (BIGINT on PostgreSQL, INTEGER on SQLite); ids start at 1.
MAX_ID = 2**63 - 1


def parse_id(value: object) -> int | None:
    """An id as typed into a URL, a query or a form: digits only, 1 … 2^63−1; anything else is None."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = str(value or "").strip()
        if not text.isascii() or not text.isdigit() or len(text) > 19:
            return None
        number = int(text)
    return number if 1 <= number <= MAX_ID else None


class IdConverter(IntegerConverter):
    """`<int:…>` in a route: 1 … 2^63−1, so an id out of range is a 404 and never reaches the database."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def bound_ids_in_urls(app: Flask, *, view_args: tuple[str, ...] = ()) -> None:
    """Every `<int:…>` route of the app takes ids in range; `view_args` names string arguments that are ids too
    (Flask-AppBuilder's own `show/edit/delete/<pk>` routes, and its `?pk=` queries), checked before the view runs."""
    app.url_map.converters["int"] = IdConverter
    if not view_args:
        return

    @app.before_request
    def _ids_in_range() -> None:
        for name in view_args:
            for value in ((request.view_args or {}).get(name), request.args.get(name)):
                if value is not None and parse_id(value) is None:
                    abort(404)


def report_period(
    args: Mapping[str, str], *, today: date, default_start: Callable[[date], date], max_days: int
) -> tuple[date, date]:
    """A report's period from `?start=…&end=…` (ISO days): an absent or unreadable day takes its default (the end:
    today; the start: `default_start(end)`), the ends are put in order and the span is cut to `max_days`."""

    def day(value: str | None) -> date | None:
        try:
            return date.fromisoformat((value or "").strip())
        except ValueError:
            return None

    end = day(args.get("end")) or today
    start = day(args.get("start")) or default_start(end)
    if start > end:
        start, end = end, start
    return max(start, end - timedelta(days=max_days)), end


# ---------------------------------------------------------------------------------------------- running a service


@dataclass
class Outcome(Generic[T]):
    """What a service call gave: its result, or the refusal it raised (already rolled back and shown)."""

    result: T | None = None
    error: DomainError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def act(
    run: Callable[[], T],
    *,
    success: str | Callable[[T], str] | None = None,
    form: FlaskForm | None = None,
    flash_error: bool = True,
    missing_is_404: bool = False,
) -> Outcome[T]:
    """Run a service call and commit; or roll back and show the `DomainError` message.

    The message is flashed (unless `flash_error` is off: the page shows it itself) and, with a `form`,
    also put beside the field it names. `missing_is_404` answers 404 when the service says «not found».
    """
    try:
        result = run()
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        if missing_is_404 and isinstance(exc, NotFound):
            abort(404)
        if form is not None:
            field_error(form, exc)
        if flash_error:
            flash(exc.message, "danger")
        return Outcome(error=exc)
    if success is not None:
        flash(success if isinstance(success, str) else success(result), "success")
    return Outcome(result=result)


def field_error(form: FlaskForm, exc: DomainError) -> None:
    """Show a refusal beside the form field it is about (when the form has that field)."""
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None and hasattr(target, "errors"):
        target.errors = [*target.errors, exc.message]


def form_error(form: FlaskForm) -> str:
    """The first message of a form that did not validate, for the alert at the top of the page."""
    for errors in form.errors.values():
        for message in errors if isinstance(errors, list) else [errors]:
            if isinstance(message, str):
                return message
    return "Проверьте поля, отмеченные красным."


def error_field(form: FlaskForm) -> str | None:
    return next(iter(form.errors), None)


# ------------------------------------------------------------------------------------------------ security headers


def add_security_headers(app: Flask, *, inline_styles: bool = False) -> None:
    """One policy for both apps: everything from our own origin (no CDN), scripts only from files or with the
    request's nonce, no framing, no sniffing, no referrer to other sites.

    `inline_styles`: Flask-AppBuilder's widgets carry `style=` attributes, so the back office allows them.
    """

    @app.before_request
    def _nonce() -> None:
        g.csp_nonce = secrets.token_urlsafe(16)

    # A global, not a context processor: Flask-AppBuilder renders its widgets with the bare Jinja environment.
    app.jinja_env.globals["csp_nonce"] = lambda: g.get("csp_nonce", "")
    styles = "'self' 'unsafe-inline'" if inline_styles else "'self'"

    @app.after_request
    def _headers(response: Response) -> Response:
        nonce = g.get("csp_nonce", "")
        response.headers.setdefault(
            "Content-Security-Policy",
            f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src {styles}; "
            "img-src 'self' data:; font-src 'self' data:; object-src 'none'; base-uri 'self'; "
            "form-action 'self'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


# ----------------------------------------------------------------------------------------------------- error pages

ERROR_TEXTS = {
    400: ("Неверный запрос", "Форма заполнена неверно. Вернитесь назад и попробуйте ещё раз."),
    403: ("Доступ запрещён", "У вас нет доступа к этой странице."),
    404: ("Страница не найдена", "Такой страницы нет или она недоступна."),
    405: ("Так нельзя", "Эта страница не принимает такой запрос."),
    429: ("Слишком много попыток", "Подождите минуту и попробуйте снова."),
    500: ("Ошибка на сервере", "Что-то пошло не так. Попробуйте ещё раз через минуту."),
}
CSRF_TEXT = ("Форма устарела", "Страница устарела, обновите её и повторите.")


def same_site_referrer() -> str | None:
    """The page of this app the visitor came from: an error page's way back."""
    referrer = request.referrer or ""
    same_page = referrer == request.url and request.method == "GET"  # a refused POST goes back to its form
    return referrer if referrer.startswith(request.root_url) and not same_page else None


def register_error_pages(app: Flask, render: Callable[[int, str, str], Any], extra: dict | None = None) -> None:
    """Russian pages for 400 (a stale form: «Страница устарела»), 403, 404, 405, 429 and 500, drawn by `render`
    in the app's own layout; `extra` adds or replaces (code → (title, text))."""
    texts = ERROR_TEXTS | (extra or {})

    def page(exc: Exception) -> Any:
        code = 500
        if isinstance(exc, CSRFError):
            code, (title, text) = 400, CSRF_TEXT
        else:
            if isinstance(exc, HTTPException) and exc.code is not None and exc.code in texts:
                code = exc.code
            title, text = texts[code]
        if code == 500:
            db.session.rollback()
        return render(code, title, text), code

    for code in texts:
        app.register_error_handler(code, page)
    app.register_error_handler(CSRFError, page)
