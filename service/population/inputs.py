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


@dataclass(frozen=True)
class InputFile:
    """One NDJSON file: its URL (as workers open it), resource type and size in bytes."""

    url: str
    resource_type: str
    size: int

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
