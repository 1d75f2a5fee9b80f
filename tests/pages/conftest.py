"""Fixtures for the pages: an app with a hand-made screening run, served on 127.0.0.1 by a real
server, and Debian's Chromium.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.pages import HERE, LiveServer, pages_app

OUTPUT = HERE / "output"
CHROMIUM = "/usr/bin/chromium"
# GUIDE.md §2 "Pages": without the background-networking flags Chromium floods this closed network
# with refused connections.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app served on 127.0.0.1 (the CDS public URL is the server's own, so card links point
    back at it).
    """
    tmp = tmp_path_factory.mktemp("pages-live")
    with LiveServer(pages_app(tmp)) as server:
        server.server.app.extensions["cds_service"].report_base = server.url
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium under Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh desktop-width page; CSP is bypassed only so the test can inject axe-core (the app
    itself allows no script).
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def output() -> Path:
    """The folder screenshots and PDFs go to, for a person to look at."""
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT
