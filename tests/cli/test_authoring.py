"""The author's loop: `rules explain` shows a criterion with all it reads; `rules test` runs a trial's cases as a table."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
from click.testing import CliRunner

from service.cli.authoring import explain, run_cases
from service.cli.main import main
from service.rulebook.book import Rulebook
from tests.helpers import FIXTURES

TRIAL = "NCT06761417"


def test_explain_shows_the_logic_in_infix_and_each_definition_with_its_window_and_absence(
    book: Rulebook,
) -> None:
    """inc-7a reads creatinine ×ULN: its infix logic, the definition's value set (with size), window and why are printed."""
    text = explain(
        book, book.trials[TRIAL], next(c for c in book.trials[TRIAL].criteria if c.id == "inc-7a")
    )
    assert "Logic: creatinine_x_uln <= 1.5" in text
    assert "creatinine_x_uln (ulnRatio)" in text
    assert "valueSet: creatinine — " in text
    assert " codes" in text
    assert "lookbackDays: 14" in text
    assert "windowSource: chosen" in text


def test_explain_follows_definitions_through_their_inputs(book: Rulebook) -> None:
    """A derived definition's inputs are explained too (creatinine ×ULN reads the age)."""
    text = explain(
        book, book.trials[TRIAL], next(c for c in book.trials[TRIAL].criteria if c.id == "inc-7a")
    )
    assert "  age_years (age)" in text
    assert text.index("creatinine_x_uln (ulnRatio)") < text.index("age_years (age)")


def test_explain_of_a_review_criterion_gives_the_reason_a_person_decides(book: Rulebook) -> None:
    """A criterion with no logic says it is for a person, and why."""
    criterion = next(c for c in book.trials[TRIAL].criteria if c.formula is None)
    text = explain(book, book.trials[TRIAL], criterion)
    assert f"Review by a person: {criterion.review}" in text


def test_rules_test_passes_every_case_of_a_trial(book: Rulebook) -> None:
    """On the committed rules and fixtures every case of the trial gives what its manifest expects."""
    results = run_cases(book, book.trials[TRIAL], FIXTURES)
    assert len(results) > 20
    assert [r.name for r in results if not r.passed] == []


def test_rules_test_names_a_case_whose_expectation_differs_and_exits_1(tmp_path: Path) -> None:
    """A manifest pinning a wrong status: the table says DIFFERS with expected → actual, and the command exits 1."""
    fixtures = tmp_path / "fixtures"
    shutil.copytree(FIXTURES / TRIAL, fixtures / TRIAL)
    manifest_path = fixtures / TRIAL / "manifest.json"
    manifest = orjson.loads(manifest_path.read_bytes())
    manifest["patients"]["eligible"]["expect"]["statuses"]["inc-7a"] = "not-met"
    manifest_path.write_bytes(orjson.dumps(manifest))
    result = CliRunner(env={"COLUMNS": "200"}).invoke(
        main, ["rules", "test", TRIAL, "--fixtures-dir", str(fixtures), "--failures-only"]
    )
    assert result.exit_code == 1
    assert "DIFFERS" in result.stdout
    assert "inc-7a: not-met → met" in result.stdout


def test_rules_explain_names_an_unknown_criterion() -> None:
    """An unknown criterion id is a usage error listing the trial's criteria."""
    result = CliRunner().invoke(main, ["rules", "explain", TRIAL, "inc-99"])
    assert result.exit_code == 2
    assert "has no criterion 'inc-99'" in result.output
