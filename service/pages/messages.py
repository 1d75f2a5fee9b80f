"""The pages' user-facing strings, read from one messages file so a translation could follow."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent


@cache
def catalogue(lang: str = "en") -> dict[str, str]:
    """Return the message catalogue for a language (messages.<lang>.json beside this module)."""
    data: dict[str, str] = orjson.loads((HERE / f"messages.{lang}.json").read_bytes())
    return data


def t(key: str, **fields: Any) -> str:
    """Return the message for key with its {fields} filled; a missing key is a bug, so it raises
    KeyError.
    """
    text = catalogue()[key]
    return text.format(**fields) if fields else text


def tn(key: str, n: int, **fields: Any) -> str:
    """Return the singular (key.one) or plural (key.other) message for a count n."""
    return t(f"{key}.{'one' if n == 1 else 'other'}", n=n, **fields)
