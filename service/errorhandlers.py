"""Map every error to one HTTP status and a JSON body; never a stack trace to the caller."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from service.errors import EligibilityError, PayloadTooLarge

log = logging.getLogger(__name__)


def register(app: Flask) -> None:
    """Install the JSON error handlers on an app."""

    @app.errorhandler(EligibilityError)
    def eligibility_error(exc: EligibilityError) -> ResponseReturnValue:
        return jsonify(exc.to_json()), exc.status

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc: RequestEntityTooLarge) -> ResponseReturnValue:
        error = PayloadTooLarge(f"the request body is larger than the limit of {app.config['MAX_CONTENT_LENGTH']} bytes")
        return jsonify(error.to_json()), error.status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        code = (exc.name or "error").lower().replace(" ", "-")
        return jsonify({"error": code, "message": exc.description}), exc.code or 500

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> ResponseReturnValue:
        # Logged without the request body: it holds patient data.
        log.exception("unexpected error: %s", type(exc).__name__)
        return jsonify({"error": "internal-error", "message": "an unexpected error occurred; it has been logged"}), 500
