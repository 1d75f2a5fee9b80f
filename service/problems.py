"""RFC 9457 problem details: the one shape of every error body the service sends (also written by
the gunicorn hooks).
"""

from __future__ import annotations

from http import HTTPStatus

import orjson

PROBLEM_JSON = "application/problem+json"
# The problem type URIs are URNs: stable identifiers, not pages to fetch (RFC 9457 section 3.1.1
# allows any URI).
TYPE_PREFIX = "urn:trial-eligibility:problem:"


def title_for(status: int) -> str:
    """The HTTP reason phrase of a status, as the problem's title."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem(status: int, code: str, detail: str, details: object = None) -> dict[str, object]:
    """Build a problem body: type, title, status, detail, plus the service's stable `error` code
    (and `message`, the same text as `detail`).
    """
    body: dict[str, object] = {
        "type": TYPE_PREFIX + code,
        "title": title_for(status),
        "status": status,
        "detail": detail,
        "error": code,
        "message": detail,
    }
    if details is not None:
        body["details"] = details
    return body


def problem_bytes(status: int, code: str, detail: str) -> bytes:
    """A problem body serialised, for writers outside Flask (gunicorn's own errors)."""
    return orjson.dumps(problem(status, code, detail))
