"""Shared test helpers."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import orjson

AS_OF = date(2026, 10, 10)


# Small buckets, so that even this population spreads over several buckets and both workers.
BUCKET_BYTES = 150_000


def results(run_dir: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """A run's rows by (patient, trial)."""
    rows = [orjson.loads(line) for line in (run_dir / "results.ndjson").read_bytes().splitlines()]
    return {(r["patientId"], r["trialId"]): r for r in rows}
