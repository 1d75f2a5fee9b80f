"""Small file helpers for run directories: atomic writes and JSON reads."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import orjson


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old content or the whole new one, never a part (the
    checkpoint rule).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, value: Any) -> None:
    """Write indented JSON atomically."""
    write_atomic(
        path, orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    )


def read_json(path: Path) -> Any:
    """Read a JSON file."""
    return orjson.loads(path.read_bytes())


def ndjson_lines(rows: list[dict[str, Any]]) -> bytes:
    """Render rows as NDJSON."""
    return b"".join(orjson.dumps(row) + b"\n" for row in rows)
