"""Shared test helpers."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.serving import make_server

from service import create_app
from tests.helpers import ROOT
from tests.helpers.screen_run import write_run

HERE = ROOT / "tests" / "pages"


AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"


RUN_ID = "20261120T0900Z-test"


def pages_app(tmp: Path, **config: Any) -> Flask:
    """An app with JWT verification off (CDS calls come from the tests), state and screening runs
    under tmp.
    """
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
