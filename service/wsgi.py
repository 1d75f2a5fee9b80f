"""The WSGI app gunicorn serves (`service.wsgi:serve_app()`): refuses to start while it could serve patient data with no API auth chosen."""

from __future__ import annotations

from flask import Flask

from service import create_app
from service.auth import ApiAuth


def serve_app() -> Flask:
    """Build the app from the environment, and stop start-up if ELIGIBILITY_API_AUTH must be chosen and is not."""
    app = create_app()
    auth: ApiAuth = app.extensions["api_auth"]
    auth.require_decided()
    return app

