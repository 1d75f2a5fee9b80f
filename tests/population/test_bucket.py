"""A worker keeps one Screen per rulebook, trial set and as-of date, so its memos carry from
bucket to bucket.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from service.population.bucket import (
    candidates_path,
    evaluate_bucket,
    result_path,
    stats_path,
    worker_screen,
)
from service.population.inputs import list_inputs
from service.population.partition import partition_file
from service.rulebook.book import DEFAULT_RULES_DIR


def test_a_worker_reuses_its_screen_for_the_same_run() -> None:
    """Two buckets of one run get the same Screen; another as-of date gets its own."""
    rules, trials = str(DEFAULT_RULES_DIR), ("NCT06761417",)
    first = worker_screen(rules, trials, date(2026, 10, 10))
    again = worker_screen(rules, trials, date(2026, 10, 10))
    other = worker_screen(rules, trials, date(2026, 10, 11))
    assert (again is first, other is first, other.as_of) == (True, False, date(2026, 10, 11))


def test_a_finished_bucket_leaves_its_checkpoint_and_is_skipped_after(
    population_dir: Path, tmp_path: Path
) -> None:
    """A bucket writes its results, candidates and stats and keeps its input (a rerun may need
    it); a second call skips it.
    """
    parts, results, buckets = tmp_path / "parts", tmp_path / "results", 2
    for task, source in enumerate(list_inputs(str(population_dir))):
        partition_file(source, task, str(parts), buckets)
    call = (
        0,
        str(parts),
        str(results),
        str(DEFAULT_RULES_DIR),
        ["NCT06761417"],
        "2026-10-10",
        buckets,
    )
    stats = evaluate_bucket(*call)
    assert stats["patients"] > 0
    assert sum(stats["tally"]["NCT06761417"]["verdicts"].values()) == stats["patients"]
    assert (parts / "b00000").is_dir()
    for path in (result_path(results, 0), candidates_path(results, 0), stats_path(results, 0)):
        assert path.is_file()
    again = evaluate_bucket(*call)
    assert again == {**stats, "skipped": True}
