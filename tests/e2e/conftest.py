"""Browser tests: the real app served on loopback, driven by Playwright in Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The combined app (shop + /admin) on a free loopback port, in a thread, for this test."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def page(browser) -> Iterator:  # noqa: ANN001
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and "favicon" not in msg.text and "404" not in msg.text
            else None
        ),
    )
    page.js_errors = errors  # type: ignore[attr-defined]
    yield page
    context.close()


def open_account_menu(page) -> None:  # noqa: ANN001
    """The customer's links (orders, projects, companies, profile) live in the «Личный кабинет» menu."""
    # The toggle is in the DOM before Bootstrap's script has run; a click that early opens nothing,
    # so wait for the page's scripts and click again if the menu did not open.
    page.wait_for_load_state("load")
    menu = page.locator('ul[aria-labelledby="account-menu"]')
    for _ in range(3):
        page.locator("#account-menu").click()
        try:
            menu.wait_for(state="visible", timeout=2000)
            return
        except PlaywrightTimeout:
            continue
    menu.wait_for(state="visible", timeout=1000)
