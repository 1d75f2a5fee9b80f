"""Helpers the tests share: paths, servers, fakes and builders. Test modules import from here,
never from each other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURES = ROOT / "fhir_fixtures"


def load_json(path: Path) -> Any:
    """Read a JSON file."""
    return orjson.loads(path.read_bytes())
