"""Read what any surface's caller sends: the JSON body (bounded in size) and the as-of date."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import orjson
from flask import Request

from service.errors import BadRequest, PayloadTooLarge
from service.web.bundle_body import decode_bundle_body

MIN_AS_OF = date(1900, 1, 1)
MAX_AS_OF = date(2999, 12, 31)
_CHUNK = 65_536


def read_body(request: Request) -> bytes:
    """Read the whole body, refusing one over the size limit with 413 (a chunked body included,
    never cut short and parsed).
    """
    limit = request.max_content_length
    chunks, total = [], 0
    # A body of declared length is read in one call: gunicorn's reader keeps what it has read ahead
    # in one buffer and copies the rest of it on every read, so 64 KiB reads of a 1.5 MB Bundle
    # copied ~20 MB (~2 ms of CPU). A chunked body is read in pieces, counted against the limit.
    declared = request.content_length
    size = declared + 1 if declared is not None and (limit is None or declared <= limit) else _CHUNK
    # Werkzeug caps a chunked body (no Content-Length) at the limit and then reads it as complete;
    # counting here sees the excess.
    while chunk := request.stream.read(size):
        total += len(chunk)
        if limit is not None and total > limit:
            raise PayloadTooLarge(f"the request body is larger than the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def json_body(request: Request, bundle_key: str | None = None) -> dict[str, Any]:
    """Return the request's JSON object, or raise BadRequest naming the problem; with
    ``bundle_key``, the Bundle there has only the entries a record reads built (bundle_body).
    """
    raw = read_body(request)
    if not raw:
        raise BadRequest(
            "the request body is empty; send a JSON object with 'bundle' or 'patientId'"
        )
    try:
        body = decode_bundle_body(raw, bundle_key) if bundle_key else orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the request body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


def as_of_date(body: dict[str, Any], today: date) -> date:
    """Return the body's asOf date (YYYY-MM-DD), today when absent."""
    value = body.get("asOf")
    if value is None:
        return today
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise BadRequest("'asOf' must be a date string YYYY-MM-DD")
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise BadRequest(f"'asOf' {value!r} is not a date in the form YYYY-MM-DD") from exc
    if not MIN_AS_OF.year <= day.year <= MAX_AS_OF.year:
        # Lookback arithmetic near date.min would overflow; no patient data lies there anyway.
        raise BadRequest(
            f"'asOf' must be between {MIN_AS_OF.isoformat()} and {MAX_AS_OF.isoformat()}"
        )
    return day
