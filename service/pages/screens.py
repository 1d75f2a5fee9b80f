"""Read population-screen run directories (docs/SCREEN_CONTRACT.md): manifests, attrition and
worklists, for the pages.
"""

from __future__ import annotations

import csv
import io
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from service.errors import BadRequest, EligibilityError
from service.evaluation.report import Verdict

RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
TRIAL_ID = re.compile(r"^NCT[0-9]{8}$")
WORKLIST_COLUMNS = (
    "rank",
    "patientId",
    "mrn",
    "verdict",
    "unknownCount",
    "reviewCount",
    "toObtain",
    "reviewReasons",
    "newestEvidence",
)
NUMERIC = frozenset({"rank", "unknownCount", "reviewCount"})
PAGE_SIZE = 50
CACHE_SIZE = 8


class UnknownRun(EligibilityError):
    """No screening run (or no such trial in the run) under the screens directory."""

    status = 404
    code = "unknown-run"


@dataclass(frozen=True)
class WorklistQuery:
    """How the worklist is sorted, filtered and paged (from the page's query parameters)."""

    sort: str = "rank"
    descending: bool = False
    q: str = ""
    verdict: str = ""
    max_unknown: int | None = None
    page: int = 1


def run_dir(root: Path, run_id: str) -> Path:
    """Return a run's directory; refuse ids that are not URL-safe (no path traversal) and runs
    that do not exist.
    """
    if not RUN_ID.fullmatch(run_id) or ".." in run_id:
        raise BadRequest("a run id is letters, digits, '.', '_' and '-' only")
    path = root / run_id
    if not (path / "manifest.json").is_file():
        raise UnknownRun(f"no screening run {run_id!r}")
    return path


def _json(path: Path) -> Any:
    try:
        return orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None


def list_runs(root: Path) -> list[dict[str, Any]]:
    """Return every readable run manifest, newest start first."""
    if not root.is_dir():
        return []
    runs = [
        m
        for p in root.iterdir()
        if RUN_ID.fullmatch(p.name) and isinstance(m := _json(p / "manifest.json"), dict)
    ]
    return sorted(runs, key=lambda m: str(m.get("startedAt") or ""), reverse=True)


def manifest(path: Path) -> dict[str, Any]:
    """Return a run's manifest."""
    data = _json(path / "manifest.json")
    if not isinstance(data, dict):
        raise UnknownRun(f"the manifest of run {path.name!r} cannot be read")
    return data


def trial_of(data: dict[str, Any], trial_id: str | None) -> str | None:
    """Return the requested trial if the run screened it, else the run's first trial (None when
    it has none).
    """
    trials = [str(t) for t in data.get("trials") or []]
    if trial_id is None or trial_id == "":
        return trials[0] if trials else None
    if not TRIAL_ID.fullmatch(trial_id) or trial_id not in trials:
        raise UnknownRun(f"trial {trial_id!r} is not part of run {data.get('runId')!r}")
    return trial_id


def attrition(path: Path, trial_id: str) -> dict[str, Any] | None:
    """Return the trial's attrition.json, or None while it is not written."""
    data = _json(path / "trials" / trial_id / "attrition.json")
    return data if isinstance(data, dict) else None


class WorklistCache:
    """Parsed worklist.csv files, keyed by path, size and mtime, so a page view does not re-read
    10,000 rows.
    """

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._items: OrderedDict[tuple[str, int, int], list[dict[str, Any]]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def rows(self, path: Path, trial_id: str) -> list[dict[str, Any]] | None:
        """Return the worklist rows (numbers parsed), or None while the file is not written."""
        csv_path = path / "trials" / trial_id / "worklist.csv"
        try:
            stat = csv_path.stat()
        except OSError:
            return None
        key = (str(csv_path), stat.st_size, stat.st_mtime_ns)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        rows = _parse(csv_path.read_text(encoding="utf-8"))
        with self._lock:
            self._items[key] = rows
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return rows


def _parse(text: str) -> list[dict[str, Any]]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    # Columns by the header's names (a writer may order them differently); one missing is read as
    # empty.
    where = [header.index(col) if col in header else None for col in WORKLIST_COLUMNS]
    numeric = [col in NUMERIC for col in WORKLIST_COLUMNS]
    rows = []
    for raw in reader:
        row: dict[str, Any] = {}
        for col, index, number in zip(WORKLIST_COLUMNS, where, numeric, strict=True):
            value = raw[index] if index is not None and index < len(raw) else ""
            row[col] = (int(value) if value.isdigit() else 0) if number else value
        rows.append(row)
    return rows


def parse_query(args: Any) -> WorklistQuery:
    """Return the worklist query from request args; a bad value is a 400 naming it."""
    sort = args.get("sort") or "rank"
    if sort not in WORKLIST_COLUMNS:
        raise BadRequest(f"'sort' must be one of {list(WORKLIST_COLUMNS)}")
    direction = args.get("dir") or "asc"
    if direction not in ("asc", "desc"):
        raise BadRequest("'dir' must be 'asc' or 'desc'")
    verdict = args.get("verdict") or ""
    if verdict and verdict not in {v for v in Verdict if v.is_candidate}:
        raise BadRequest("'verdict' must be 'eligible' or 'insufficient-data'")
    return WorklistQuery(
        sort,
        direction == "desc",
        (args.get("q") or "").strip()[:100],
        verdict,
        _int(args, "maxUnknown", 0),
        _int(args, "page", 1) or 1,
    )


def _int(args: Any, name: str, floor: int) -> int | None:
    value = args.get(name)
    if value in (None, ""):
        return None
    if not str(value).isdigit() or int(value) < floor or int(value) > 10**9:
        raise BadRequest(f"'{name}' must be a whole number ≥ {floor}")
    return int(value)


def select(rows: list[dict[str, Any]], query: WorklistQuery) -> list[dict[str, Any]]:
    """Return the rows that pass the filters, sorted."""
    needle = query.q.lower()
    chosen = [
        r
        for r in rows
        if (not query.verdict or r["verdict"] == query.verdict)
        and (query.max_unknown is None or r["unknownCount"] <= query.max_unknown)
        and (
            not needle
            or needle in r["patientId"].lower()
            or needle in r["mrn"].lower()
            or needle in r["toObtain"].lower()
        )
    ]
    # Ties keep the worklist's rank order, so a sort by verdict is still "closest to eligible" first
    # within it.
    return sorted(
        chosen,
        key=lambda r: (r[query.sort], r["rank"]) if query.sort != "rank" else r["rank"],
        reverse=query.descending,
    )


def page_of(
    rows: list[dict[str, Any]], page: int, size: int = PAGE_SIZE
) -> tuple[list[dict[str, Any]], int, int]:
    """Return one page of rows, the page number (clamped) and the number of pages."""
    pages = max(1, -(-len(rows) // size))
    page = min(max(page, 1), pages)
    return rows[(page - 1) * size : page * size], page, pages


def to_csv(rows: list[dict[str, Any]]) -> str:
    """Return rows as CSV with the contract's header."""
    out = io.StringIO()
    writer = csv.DictWriter(out, WORKLIST_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        # A cell starting with = + - @ would run as a formula in a spreadsheet; quote it as text.
        writer.writerow(
            {
                k: ("'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v)
                for k, v in row.items()
            }
        )
    return out.getvalue()
