"""Server-rendered pages under /ui/: trials, patient reports, Bundle uploads and population
screens.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.typing import ResponseReturnValue

from service.pages.blueprint import blueprint, root_redirect


def register(
    app: Flask, before_request: Callable[[], ResponseReturnValue | None] | None = None
) -> None:
    """Register the pages on an app, with an optional hook run before every page (the API's
    authentication).
    """
    app.register_blueprint(blueprint)
    app.add_url_rule("/", "root", root_redirect)
    if before_request is not None:
        # Per app, not on the module-level blueprint: each create_app() gets exactly its own hook.
        app.before_request_funcs.setdefault(blueprint.name, []).append(before_request)


__all__ = ["blueprint", "register"]
