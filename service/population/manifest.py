"""A run directory's manifest.json: created running, updated with progress, finished completed,
failed or cancelled.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from service.population.files import read_json, write_json
from service.rulebook.book import Rulebook

RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")


def new_run_id(now: datetime | None = None) -> str:
    """Return a URL-safe run id: the UTC minute and four random hex digits
    (``20261201T2140Z-3f2a``).
    """
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%MZ}-{secrets.token_hex(2)}"


def utc_now() -> str:
    """Return the current UTC instant with a Z (the only form sekmet's _since compares
    correctly).
    """
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def value_set_versions(book: Rulebook) -> dict[str, str]:
    """Return a content digest per value set (the rule files carry no version numbers of their
    own).
    """
    return {
        name: "sha256:"
        + hashlib.sha256(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)).hexdigest()[:12]
        for name, doc in sorted(book.value_set_documents.items())
    }


class Manifest:
    """The manifest of one run directory, rewritten atomically on every change."""

    def __init__(self, run_dir: Path, body: dict[str, Any]) -> None:
        self.path = run_dir / "manifest.json"
        self.body = body
        self._clock = time.monotonic()

    @classmethod
    def start(
        cls,
        run_dir: Path,
        run_id: str,
        book: Rulebook,
        as_of: str,
        trials: list[str],
        input_: dict[str, Any],
        previous: str | None,
    ) -> Manifest:
        """Create (or, on a rerun, reopen) the manifest with status running."""
        path = run_dir / "manifest.json"
        old = read_json(path) if path.exists() else {}
        body: dict[str, Any] = {
            "runId": run_id,
            "status": "running",
            "rulesVersion": book.version,
            "valueSetVersions": value_set_versions(book),
            "asOf": as_of,
            "trials": trials,
            "input": {**old.get("input", {}), **input_},
            "counts": {"patients": 0, "resources": 0, "unattributed": 0, "unreadable": 0},
            "failedPatients": [],
            "startedAt": old.get("startedAt") or utc_now(),
            "finishedAt": None,
            "durationSeconds": None,
            "engine": {"name": "dask", "scheduler": None, "workers": 0},
            "progress": {"bucketsDone": 0, "buckets": 0, "patientsEvaluated": 0},
        }
        if previous:
            body["previousRun"] = previous
        manifest = cls(run_dir, body)
        manifest.save()
        return manifest

    def update(self, **parts: Any) -> None:
        """Merge top-level members and save."""
        self.body.update(parts)
        self.save()

    def finish(self, status: str, error: str | None = None) -> None:
        """Mark the run completed, failed or cancelled, with its end time and duration."""
        self.body.update(
            status=status,
            finishedAt=utc_now(),
            durationSeconds=round(time.monotonic() - self._clock, 2),
        )
        if error:
            self.body["error"] = error
        self.save()

    def save(self) -> None:
        """Write the manifest atomically."""
        write_json(self.path, self.body)
