"""Map every error to one HTTP status and an RFC 9457 problem body; never a stack trace to the
caller; refusals are logged.
"""

from __future__ import annotations

import logging

import orjson
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from service.errors import EligibilityError, PayloadTooLarge, frames_of
from service.problems import PROBLEM_JSON, problem

log = logging.getLogger(__name__)


def problem_response(body: dict[str, object], headers: dict[str, str] | None = None) -> Response:
    """A problem+json response for a problem body."""
    response = Response(orjson.dumps(body), status=int(str(body["status"])), mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _log_refusal(status: int, code: str, reason: str, message: str | None) -> None:
    """Log a refused call: method, route template (never the raw path or query) and why; messages
    only where they cannot hold patient data.
    """
    suffix = f": {message}" if message else ""
    log.warning(
        "refused %s %s -> %d %s (%s)%s", request.method, _route(), status, code, reason, suffix
    )


def _route() -> str:
    """The matched URL rule, or <unmatched>: a raw path can hold anything the caller typed
    (service/observability logs the same).
    """
    return request.url_rule.rule if request.url_rule is not None else "<unmatched>"


def register(app: Flask) -> None:
    """Install the problem+json error handlers on an app."""

    @app.errorhandler(EligibilityError)
    def eligibility_error(exc: EligibilityError) -> Response:
        if exc.status >= 500:
            # The message of a FHIR failure may quote the server's text, which can echo patient
            # data.
            log.error(
                "failed %s %s -> %d %s (%s)",
                request.method,
                _route(),
                exc.status,
                exc.code,
                exc.reason(),
            )
        else:
            _log_refusal(
                exc.status, exc.code, exc.reason(), exc.message if exc.log_message else None
            )
        return problem_response(exc.to_json(), exc.headers())

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc: RequestEntityTooLarge) -> Response:
        return eligibility_error(
            PayloadTooLarge(
                "the request body is larger than the limit of "
                f"{app.config['MAX_CONTENT_LENGTH']} bytes"
            )
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        code = (exc.name or "error").lower().replace(" ", "-")
        _log_refusal(status, code, code, None)
        # Keep the exception's own headers (405's Allow), but not its HTML content type.
        headers = {
            name: value for name, value in exc.get_headers() if name.lower() != "content-type"
        }
        return problem_response(problem(status, code, exc.description or code), headers)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        # Logged without the request body and without the exception's message (str(exc) of a
        # KeyError or ValueError can quote a value from the record); the frames say where it
        # happened.
        log.error(
            "unexpected error: %s\n%s",
            type(exc).__name__,
            frames_of(exc),
        )
        return problem_response(
            problem(500, "internal-error", "an unexpected error occurred; it has been logged")
        )
