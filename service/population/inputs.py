"""Find the Bulk Data NDJSON files of an input directory or fsspec URL (``Type.ndjson``,
``Type.N.ndjson``, ``.gz``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import fsspec

from service.errors import EligibilityError

# Bulk Data output names: the resource type, an optional sequence number, .ndjson, optionally
# compressed.
NDJSON_NAME = re.compile(r"(?P<type>[A-Z][A-Za-z]+)(?:\.(?P<seq>\d+))?\.ndjson(?P<gz>\.gz)?")


class InputError(EligibilityError):
    """The input URL cannot be read, or holds no Bulk Data NDJSON file."""

    status = 400
    code = "invalid-input"


# An uncompressed file larger than this is read by several map tasks, a byte range each (one
# Observation.ndjson is most of an export: read by one task, it would keep the map phase on one
# core).
PIECE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class InputFile:
    """One NDJSON file (or a byte range of one): its URL (as workers open it), resource type and
    size in bytes.

    A range holds the lines that start at ``start`` or after it and before ``end``.
    """

    url: str
    resource_type: str
    size: int
    start: int = 0
    end: int | None = None

    @property
    def name(self) -> str:
        """Return the file name, for messages and counts."""
        return self.url.rstrip("/").rsplit("/", 1)[-1]


def list_inputs(url: str, wanted: set[str] | None = None) -> list[InputFile]:
    """List the NDJSON files under a URL (only ``wanted`` types when given); InputError naming
    the cause otherwise.
    """
    try:
        fs, root = fsspec.core.url_to_fs(url)
        if not fs.exists(root):
            raise InputError(f"the input {url!r} does not exist")
        entries = fs.ls(root, detail=True) if fs.isdir(root) else [fs.info(root)]
    except InputError:
        raise
    except (OSError, ValueError, ImportError) as exc:
        raise InputError(f"the input {url!r} cannot be read: {type(exc).__name__}: {exc}") from exc
    files = []
    for entry in entries:
        name = str(entry["name"]).rstrip("/").rsplit("/", 1)[-1]
        match = NDJSON_NAME.fullmatch(name)
        if entry.get("type") == "directory" or match is None:
            continue
        if wanted is not None and match["type"] not in wanted:
            continue
        files.append(
            InputFile(
                fs.unstrip_protocol(entry["name"]), match["type"], int(entry.get("size") or 0)
            )
        )
    if not files:
        raise InputError(
            f"the input {url!r} holds no Bulk Data NDJSON file (Type.ndjson, Type.N.ndjson, .gz)"
        )
    return sorted(files, key=lambda f: f.url)


def split_inputs(files: list[InputFile], piece_bytes: int = PIECE_BYTES) -> list[InputFile]:
    """Cut each uncompressed file larger than ``piece_bytes`` into byte ranges (gzip cannot be
    read from the middle).
    """
    pieces: list[InputFile] = []
    for item in files:
        if item.url.endswith(".gz") or item.size <= piece_bytes:
            pieces.append(item)
            continue
        pieces.extend(
            InputFile(
                item.url, item.resource_type, item.size, start, min(start + piece_bytes, item.size)
            )
            for start in range(0, item.size, piece_bytes)
        )
    return pieces
