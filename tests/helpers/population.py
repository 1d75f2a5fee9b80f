"""Shared test helpers."""

from __future__ import annotations

from datetime import date, timedelta
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


def rescreen_directory(
    out: Path, ndjson: Path, previous: Path, days_later: int = 0
) -> dict[str, Any]:
    """Re-screen an NDJSON directory against a previous run on one worker; return the manifest."""
    # PLC0415: the helpers stay importable without the population engine loaded
    from service.population.run import ScreenOptions, run_screen  # noqa: PLC0415

    return run_screen(
        ScreenOptions(
            out=out,
            as_of=AS_OF + timedelta(days=days_later),
            ndjson=str(ndjson),
            workers=1,
            bucket_bytes=BUCKET_BYTES,
            since_previous=previous,
        )
    )
