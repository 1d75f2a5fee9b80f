"""`python -m service screen`: plain progress lines when not on a terminal, a summary table, and
errors that name the cause.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from service.cli.main import main


def test_screen_prints_progress_lines_and_a_summary(population_dir: Path, tmp_path: Path) -> None:
    """Off a terminal, progress comes as plain lines (buckets, patients) and the end prints a
    table per trial.
    """
    result = CliRunner().invoke(
        main,
        [
            "screen",
            "--trials",
            "NCT06761417",
            "--as-of",
            "2026-10-10",
            "--ndjson",
            str(population_dir),
            "--out",
            str(tmp_path / "run"),
            "--workers",
            "1",
            "--bucket-mb",
            "0.2",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "evaluate: " in result.output
    assert " buckets, " in result.output
    assert "NCT06761417" in result.output
    assert "insufficient-data" in result.output
    assert (tmp_path / "run" / "trials" / "NCT06761417" / "worklist.csv").exists()


def test_screen_with_an_unreadable_input_exits_naming_it(tmp_path: Path) -> None:
    """A missing input directory exits 2 with a message naming it, before any cluster starts."""
    result = CliRunner().invoke(
        main,
        [
            "screen",
            "--as-of",
            "2026-10-10",
            "--ndjson",
            str(tmp_path / "nowhere"),
            "--out",
            str(tmp_path / "run"),
        ],
    )
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_screen_needs_exactly_one_input(tmp_path: Path) -> None:
    """Neither --ndjson nor --fhir-base-url is a usage error."""
    result = CliRunner().invoke(
        main, ["screen", "--as-of", "2026-10-10", "--out", str(tmp_path / "run")]
    )
    assert result.exit_code == 2
    assert "exactly one of --ndjson or --fhir-base-url" in result.output
