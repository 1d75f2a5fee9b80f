"""Shared helpers of the observability tests: the JSON log lines a test wrote to stderr."""

from __future__ import annotations
