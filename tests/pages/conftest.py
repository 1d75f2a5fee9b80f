"""Fixtures for the pages: an app with a hand-made screening run, served on 127.0.0.1 by a real server, and Debian's Chromium."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from service import create_app
from tests.pages.screen_run import write_run

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "output"
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
# GUIDE.md §2 "Pages": without the background-networking flags Chromium floods this closed network with refused connections.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RUN_ID = "20261120T0900Z-test"


def pages_app(tmp: Path, **config: Any) -> Flask:
    """An app with JWT verification off (CDS calls come from the tests), state and screening runs under tmp."""
    screens = tmp / "screens"
    write_run(screens, RUN_ID)
    return create_app(
        {
            "TESTING": True,
            "CDS_JWT_VERIFY": False,
            "CDS_FEEDBACK_DB": str(tmp / "cds.sqlite3"),
            "SCREENS_DIR": str(screens),
            **config,
        }
    )


class LiveServer:
    """A werkzeug server for an app on 127.0.0.1 in a thread."""

    def __init__(self, app: Flask) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(5)
        self.server.server_close()


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app served on 127.0.0.1 (the CDS public URL is the server's own, so card links point back at it)."""
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
    """A fresh desktop-width page; CSP is bypassed only so the test can inject axe-core (the app itself allows no script)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def output() -> Path:
    """The folder screenshots and PDFs go to, for a person to look at."""
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT
