"""Configuration defaults; overridden by ELIGIBILITY_* environment variables, then by a test mapping."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

DEFAULTS: dict[str, Any] = {
    # Where the rule documents live (baked into the image at /app/rules).
    "RULES_DIR": str(ROOT / "rules"),
    # Patients served by id when no FHIR server is configured (the embedded default).
    "FIXTURES_DIR": str(ROOT / "fhir_fixtures"),
    # Largest request body accepted, in bytes (a 1,100-entry Synthea record is ~4 MB).
    "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
}


def read_secret(value: str | None, path: str | None) -> str | None:
    """Return a secret given as a value or as a file path (the file wins, stripped of whitespace)."""
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return value
