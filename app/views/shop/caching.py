"""Storefront speed: guests' catalog and content pages from memory, HTTP validators (ETag, Last-Modified) on
them, and static files linked by a fingerprint of their content and cached by browsers for a year.

A page is cached for a guest only (no login, no cart, no pending message) and keyed by its URL and the site
version (`app.services.site_version`, rewritten by database triggers on any change of what the pages show),
so every app process drops it as soon as staff change anything, whichever process they used (within
STOREFRONT_VERSION_CHECK_SECONDS). Schedule-driven changes (a banner's or a promotion's end) are bounded by
STOREFRONT_CACHE_SECONDS. Parts of pages that are the same for everyone (the home page's catalog, banners and
promotions, a category, the menu) are kept the same way for logged-in customers (`fragment`). The per-visitor parts of a
page — the CSRF token of a form, the CSP nonce — are kept as placeholders and filled in for each request.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, request, session
from flask_wtf.csrf import generate_csrf
from itsdangerous import URLSafeTimedSerializer
from werkzeug.http import dump_cookie, http_date, parse_etags, quote_etag

from app.extensions import db
from app.services import site_version

CACHED_ENDPOINTS = frozenset(
    {
        "catalog.home",
        "catalog.category",
        "catalog.product",
        "content.page",
        "content.news",
        "content.news_item",
    }
)
CSRF_MARK = "\x1bcsrf-token\x1b"
NONCE_MARK = "\x1bcsp-nonce\x1b"
VISITOR_KEYS = ("_user_id", "cart_token", "_flashes")  # a session holding any of these is someone's


T = TypeVar("T")


@dataclass(frozen=True)
class Entry:
    body: Any  # a page's HTML, or a fragment's value
    stored_at: float
    changed_at: datetime
    headers: tuple[tuple[str, str], ...] | None = None  # a page's final headers, once seen (GuestPages)


class PageCache:
    """A bounded LRU of rendered pages, safe across the threads of one process."""

    def __init__(self, seconds: int, entries: int) -> None:
        self.seconds = seconds
        self.entries = entries
        self._pages: OrderedDict[tuple, Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Entry | None:
        with self._lock:
            entry = self._pages.get(key)
            if entry is None:
                return None
            if time.monotonic() - entry.stored_at > self.seconds:
                del self._pages[key]
                return None
            self._pages.move_to_end(key)
            return entry

    def put(self, key: tuple, entry: Entry) -> None:
        with self._lock:
            self._pages[key] = entry
            self._pages.move_to_end(key)
            while len(self._pages) > self.entries:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()


def request_version() -> site_version.Version | None:
    """The site version for this request (read once per request, or reused per STOREFRONT_VERSION_CHECK_SECONDS)."""
    if "site_version" not in g:
        g.site_version = site_version.current(
            db.session, max_age=current_app.config["STOREFRONT_VERSION_CHECK_SECONDS"]
        )
    return g.site_version


def fragment(name: str, render: Callable[[], T], *key: object) -> T:
    """A part of a page that is the same for every visitor (rendered HTML, or plain values — never ORM objects),
    kept like a guest's page: per process, keyed by the site version, for STOREFRONT_CACHE_SECONDS at most."""
    cache: PageCache = current_app.extensions["fragment_cache"]
    if cache.seconds <= 0:
        return render()
    version = request_version()
    if version is None:
        return render()
    cache_key = (name, *key, version.token)
    entry = cache.get(cache_key)
    if entry is None:
        entry = Entry(body=render(), stored_at=time.monotonic(), changed_at=version.changed_at)
        cache.put(cache_key, entry)
    return entry.body


def _guest_page_request(app: Flask) -> bool:
    if request.method != "GET" or request.endpoint not in CACHED_ENDPOINTS:
        return False
    if any(key in session for key in VISITOR_KEYS):
        return False
    if request.cookies.get(app.config["REMEMBER_COOKIE_NAME"]) or request.headers.get("Authorization"):
        return False
    return not request.headers.get(app.config.get("SECURITY_TOKEN_AUTHENTICATION_HEADER", "Authentication-Token"))


def _validated(response: Response, body: str, changed_at: datetime, *, per_visitor: bool) -> Response:
    """ETag of the page as sent; Last-Modified only for a page without a per-visitor token (a client that
    revalidates by date alone must not keep a stale form token). Browsers revalidate on every visit."""
    response.set_etag(_etag(body.encode()))
    if not per_visitor:
        response.last_modified = changed_at
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Cookie")
    response.make_conditional(request)
    return response


def init_page_cache(app: Flask) -> None:
    """Serve guests' pages from memory; register after the security headers' nonce is made."""
    cache = PageCache(app.config["STOREFRONT_CACHE_SECONDS"], app.config["STOREFRONT_CACHE_ENTRIES"])
    app.extensions["page_cache"] = cache
    app.extensions["fragment_cache"] = PageCache(app.config["STOREFRONT_CACHE_SECONDS"], 200)
    if cache.seconds <= 0:
        return

    @app.before_request
    def _cached_page() -> Response | None:
        if not _guest_page_request(app):
            return None
        version = request_version()
        if version is None:
            return None
        key = (page_key(request.environ), version.token)
        g.page_cache = (key, version)
        entry = cache.get(key)
        if entry is None:
            return None
        g.page_cache_hit = True
        body = entry.body.replace(NONCE_MARK, g.get("csp_nonce", ""))
        per_visitor = CSRF_MARK in body
        if per_visitor:
            body = body.replace(CSRF_MARK, generate_csrf())
        return _validated(Response(body, mimetype="text/html"), body, entry.changed_at, per_visitor=per_visitor)

    @app.after_request
    def _store_page(response: Response) -> Response:
        state = g.get("page_cache")
        if state is None or g.get("page_cache_hit"):
            return response
        if response.status_code != 200 or response.mimetype != "text/html" or response.direct_passthrough:
            return response
        if any(key in session for key in VISITOR_KEYS):  # the page made the guest someone (a message, a cart)
            return response
        key, version = state
        body = response.get_data(as_text=True)
        template = body
        token = g.get("csrf_token")
        if token:
            template = template.replace(token, CSRF_MARK)
        nonce = g.get("csp_nonce")
        if nonce:
            template = template.replace(nonce, NONCE_MARK)
        cache.put(key, Entry(body=template, stored_at=time.monotonic(), changed_at=version.changed_at))
        request.environ[PENDING] = (key, template, version.changed_at, nonce or "")
        return _validated(response, body, version.changed_at, per_visitor=bool(token))

    app.wsgi_app = GuestPages(app, cache, app.wsgi_app)  # type: ignore[method-assign]


PENDING = "printshop.page_cache"
SKIPPED_HEADERS = frozenset({"content-length", "etag", "last-modified", "cache-control", "vary", "set-cookie", "date"})


def page_key(environ: dict) -> str:
    return f"{environ.get('PATH_INFO', '')}?{environ.get('QUERY_STRING', '')}"


def _etag(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=16).hexdigest()


class GuestPages:
    """In front of the storefront's WSGI app: a cached page for a visitor without any of the shop's cookies
    (a first visit, a campaign's traffic) is answered without the framework — the same body, headers and
    validators the app gave it, a fresh CSP nonce, and for a page with a form a new session holding the
    token's secret. Visitors with a session or a login, and a site version this process has not checked
    lately, go through the app as before."""

    def __init__(self, app: Flask, cache: PageCache, wsgi: Callable) -> None:
        self.app = app
        self.cache = cache
        self.wsgi = wsgi
        self.max_age = float(app.config["STOREFRONT_VERSION_CHECK_SECONDS"])
        self.cookies = (f"{app.config['SESSION_COOKIE_NAME']}=", f"{app.config['REMEMBER_COOKIE_NAME']}=")
        self.token_header = "HTTP_" + str(
            app.config.get("SECURITY_TOKEN_AUTHENTICATION_HEADER", "Authentication-Token")
        ).upper().replace("-", "_")

    def _someone(self, environ: dict) -> bool:
        cookie = environ.get("HTTP_COOKIE", "")
        if any(name in cookie for name in self.cookies):
            return True
        return bool(environ.get("HTTP_AUTHORIZATION") or environ.get(self.token_header))

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        if environ.get("REQUEST_METHOD") == "GET" and not self._someone(environ):
            version = site_version.trusted(self.max_age)
            if version is not None:
                entry = self.cache.get((page_key(environ), version.token))
                if entry is not None and entry.headers is not None:
                    return self._serve(entry, environ, start_response)
        seen: dict[str, Any] = {}

        def capture(status: str, headers: list, exc_info: Any = None) -> Any:
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        result = self.wsgi(environ, capture)
        pending = environ.get(PENDING)
        if pending and str(seen.get("status", "")).startswith("200"):
            key, template, changed_at, nonce = pending
            headers = tuple(
                (name, value.replace(nonce, NONCE_MARK) if nonce else value)
                for name, value in seen["headers"]
                if name.lower() not in SKIPPED_HEADERS
            )
            self.cache.put(
                key, Entry(body=template, stored_at=time.monotonic(), changed_at=changed_at, headers=headers)
            )
        return result

    def _new_session(self) -> tuple[str, str]:
        """A form token for a new visitor and the session cookie holding its secret, as Flask-WTF and Flask's
        session would make them (the next request of this visitor goes through the app and checks them)."""
        app = self.app
        raw = hashlib.sha1(os.urandom(64)).hexdigest()
        secret: str | bytes = app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key or ""
        token = URLSafeTimedSerializer(secret, salt="wtf-csrf-token").dumps(raw)
        interface = app.session_interface
        signer = interface.get_signing_serializer(app)  # type: ignore[attr-defined]
        cookie = dump_cookie(
            interface.get_cookie_name(app),
            signer.dumps({"csrf_token": raw}),
            path=interface.get_cookie_path(app),
            domain=interface.get_cookie_domain(app),
            secure=interface.get_cookie_secure(app),
            httponly=interface.get_cookie_httponly(app),
            samesite=interface.get_cookie_samesite(app),
        )
        return token, cookie

    def _serve(self, entry: Entry, environ: dict, start_response: Callable) -> list[bytes]:
        nonce = secrets.token_urlsafe(16)
        text = entry.body.replace(NONCE_MARK, nonce)
        headers = [(name, value.replace(NONCE_MARK, nonce)) for name, value in entry.headers or ()]
        per_visitor = CSRF_MARK in text
        if per_visitor:
            token, cookie = self._new_session()
            text = text.replace(CSRF_MARK, token)
            headers.append(("Set-Cookie", cookie))
        body = text.encode()
        etag = _etag(body)
        headers += [("ETag", quote_etag(etag)), ("Cache-Control", "no-cache"), ("Vary", "Cookie")]
        if not per_visitor:
            headers.append(("Last-Modified", http_date(entry.changed_at)))
        asked = environ.get("HTTP_IF_NONE_MATCH")
        if asked and parse_etags(asked).contains(etag):
            start_response("304 Not Modified", headers)
            return []
        start_response("200 OK", [*headers, ("Content-Length", str(len(body)))])
        return [body]


def init_static_fingerprints(app: Flask) -> None:
    """`url_for('static', …)` adds ?v=<hash of the file>; such URLs are cached for STATIC_MAX_AGE, immutable."""
    folder = Path(app.static_folder or "")
    digests: dict[str, str] = {}
    lock = threading.Lock()

    def digest(filename: str) -> str | None:
        with lock:
            if filename not in digests:
                path = folder / filename
                try:
                    digests[filename] = hashlib.blake2b(path.read_bytes(), digest_size=6).hexdigest()
                except OSError:
                    digests[filename] = ""
            return digests[filename] or None

    @app.url_defaults
    def _fingerprint(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            found = digest(values["filename"])
            if found:
                values["v"] = found

    max_age = app.config["STATIC_MAX_AGE"]

    @app.after_request
    def _static_headers(response: Response) -> Response:
        if request.endpoint == "static" and request.args.get("v") and response.status_code in (200, 304):
            response.cache_control.public = True
            response.cache_control.max_age = max_age
            response.cache_control.immutable = True
        return response
