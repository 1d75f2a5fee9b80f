"""Tests for service.pages.screens and funnel: run directories per docs/SCREEN_CONTRACT.md, worklist
queries, funnel layout.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from service.errors import BadRequest
from service.pages import screens
from service.pages.funnel import layout
from tests.helpers.screen_run import TRIAL, synthetic_rows, write_run


@pytest.fixture
def run(tmp_path: Path) -> Path:
    """A 120-candidate run written by hand from the contract."""
    return write_run(tmp_path, "run-1", synthetic_rows(120))


def test_runs_are_listed_newest_first_and_unreadable_ones_skipped(tmp_path: Path) -> None:
    """list_runs returns each readable manifest, newest start first, and skips a folder with a
    broken manifest.
    """
    write_run(tmp_path, "old")
    newer = write_run(tmp_path, "new")
    manifest = (
        (newer / "manifest.json")
        .read_text()
        .replace("2026-11-20T09:00:00Z", "2026-11-21T09:00:00Z")
    )
    (newer / "manifest.json").write_text(manifest)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "manifest.json").write_text("{not json")
    assert [m["runId"] for m in screens.list_runs(tmp_path)] == ["new", "old"]


@pytest.mark.parametrize("run_id", ["..", "a/b", "", ".hidden", "x" * 200])
def test_unsafe_run_ids_are_refused(tmp_path: Path, run_id: str) -> None:
    """A run id that could leave the screens directory is a 400, before any file is read."""
    with pytest.raises(BadRequest):
        screens.run_dir(tmp_path, run_id)


def test_worklist_filters_by_verdict_and_unknowns(run: Path) -> None:
    """Filters keep only the rows with that verdict and at most that many unknowns, in rank
    order.
    """
    rows = screens.WorklistCache().rows(run, TRIAL) or []
    query = screens.parse_query(MultiDict({"verdict": "insufficient-data", "maxUnknown": "1"}))
    chosen = screens.select(rows, query)
    assert {(r["verdict"], r["unknownCount"]) for r in chosen} == {("insufficient-data", 1)}
    assert [r["rank"] for r in chosen] == sorted(r["rank"] for r in chosen)


def test_worklist_sorts_by_a_number_column_descending(run: Path) -> None:
    """A numeric column sorts as numbers (10 after 9), descending on request."""
    rows = screens.WorklistCache().rows(run, TRIAL) or []
    chosen = screens.select(
        rows, screens.parse_query(MultiDict({"sort": "reviewCount", "dir": "desc"}))
    )
    counts = [r["reviewCount"] for r in chosen]
    assert counts == sorted(counts, reverse=True)
    assert max(counts) >= 10


def test_pages_are_clamped(run: Path) -> None:
    """Page 99 of 120 rows at 50 a page is the last page, with its 20 rows."""
    rows = screens.WorklistCache().rows(run, TRIAL) or []
    shown, page, pages = screens.page_of(rows, 99)
    assert (len(shown), page, pages) == (20, 3, 3)


def test_cache_rereads_a_rewritten_worklist(run: Path) -> None:
    """A worklist rewritten by a later run is read again, not served stale from the cache."""
    cache = screens.WorklistCache()
    before = len(cache.rows(run, TRIAL) or [])
    write_run(run.parent, "run-1", synthetic_rows(7))
    csv_path = run / "trials" / TRIAL / "worklist.csv"
    os.utime(csv_path, ns=(1, 1))  # a different mtime even within the clock's resolution
    assert (before, len(cache.rows(run, TRIAL) or [])) == (120, 7)


def test_missing_worklist_is_none(tmp_path: Path) -> None:
    """A trial whose worklist is not written yet (a running screen) has no rows, not an error."""
    run = write_run(tmp_path, "r")
    (run / "trials" / TRIAL / "worklist.csv").unlink()
    assert screens.WorklistCache().rows(run, TRIAL) is None


def test_csv_quotes_formula_cells() -> None:
    """A cell a spreadsheet would run as a formula is written as text."""
    row = {
        "rank": 1,
        "patientId": "p",
        "mrn": "=cmd()",
        "verdict": "eligible",
        "unknownCount": 0,
        "reviewCount": 0,
        "toObtain": "",
        "reviewReasons": "",
        "newestEvidence": "",
    }
    assert screens.to_csv([row]).splitlines()[1].split(",")[2] == "'=cmd()"


def test_funnel_bars_scale_with_remaining_and_carry_count_and_percent() -> None:
    """Each bar's width is proportional to who remains, and its label gives the count and %."""
    bars, height = layout(
        {
            "population": 2000,
            "criteria": [{"id": "inc-1", "text": "Age"}],
            "funnel": [
                {"id": "inc-1", "remaining": 500, "percent": 25.0, "blockedOnlyByUnknown": 4}
            ],
        }
    )
    assert [(b.step, b.label, round(b.width / bars[0].width, 2)) for b in bars] == [
        ("Population", "2,000 (100%)", 1.0),
        ("inc-1", "500 (25%)", 0.25),
    ]
    assert bars[1].unknown == 4
    assert height > bars[1].y


def test_empty_population_draws_no_bar_widths() -> None:
    """A run with no patients draws zero-width bars instead of dividing by zero."""
    bars, _height = layout({"population": 0, "funnel": [{"id": "inc-1", "remaining": 0}]})
    assert [b.width for b in bars] == [0.0, 0.0]
