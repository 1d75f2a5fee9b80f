"""Shared test helpers."""

from __future__ import annotations

from typing import Any

import orjson
import pytest


def log_lines(capsys: pytest.CaptureFixture[str]) -> tuple[str, list[dict[str, Any]]]:
    """Everything written to stderr since the last call, raw and as parsed JSON lines (every line
    must be JSON).
    """
    raw = capsys.readouterr().err
    return raw, [orjson.loads(line) for line in raw.splitlines() if line.strip()]


def request_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The per-request lines among the log lines."""
    return [
        line
        for line in lines
        if line.get("event") == "request" and line.get("logger") == "service.request"
    ]
