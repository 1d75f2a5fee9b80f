"""The author's loop: `rules explain` a criterion, `rules test` a trial's cases, `rules new-case`
scaffold a case.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from fhir_fixtures import engine
from service.cli.authoring import NewCaseError, explain, new_case, run_cases
from service.cli.main import main
from service.rulebook.book import Rulebook
from tests.helpers import FIXTURES

TRIAL = "NCT06761417"


def test_explain_shows_the_logic_in_infix_and_each_definition_with_its_window_and_absence(
    book: Rulebook,
) -> None:
    """inc-7a reads creatinine ×ULN: its infix logic, the definition's value set (with size),
    window and why are printed.
    """
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
    """On the committed rules and fixtures every case of the trial gives what its manifest
    expects.
    """
    results = run_cases(book, book.trials[TRIAL], FIXTURES)
    assert len(results) > 20
    assert [r.name for r in results if not r.passed] == []


def test_rules_test_names_a_case_whose_expectation_differs_and_exits_1(tmp_path: Path) -> None:
    """A manifest pinning a wrong status: the table says DIFFERS with expected → actual, and the
    command exits 1.
    """
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


def _data_copy(tmp_path: Path) -> Path:
    """A fixtures folder holding a copy of the trial's data file (new-case edits it)."""
    (tmp_path / "cases").mkdir()
    shutil.copy(FIXTURES / "cases" / f"{TRIAL}.yaml", tmp_path / "cases")
    return tmp_path / "cases" / f"{TRIAL}.yaml"


def test_new_case_appends_a_copy_of_the_named_cases_change_and_says_what_next(
    tmp_path: Path,
) -> None:
    """rules new-case … --from age-5: the data file gains the case, built like age-5, with an
    expectation to fill in.
    """
    data_file = _data_copy(tmp_path)
    result = CliRunner().invoke(
        main,
        [
            "rules",
            "new-case",
            TRIAL,
            "age-5-again",
            "--from",
            "age-5",
            "--fixtures-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"python -m fhir_fixtures build {TRIAL}" in result.output
    assert f"rules test {TRIAL}" in result.output
    data = engine.load(data_file)
    new, source = data.cases[-1], next(c for c in data.cases if c.name == "age-5")
    assert new.name == "age-5-again"
    assert new.expect == {"verdict": "TODO", "fails": []}
    built = orjson.dumps(engine.bundle(data, new)).replace(b"age-5-again", b"age-5")
    assert built == orjson.dumps(engine.bundle(data, source))


def test_new_case_keeps_the_files_comments(tmp_path: Path) -> None:
    """The case is appended as text: the header comments of the data file stay."""
    data_file = _data_copy(tmp_path)
    before = data_file.read_text(encoding="utf-8")
    new_case(data_file, "copy-of-base", None, "the base again")
    after = data_file.read_text(encoding="utf-8")
    assert after.startswith(before.rstrip("\n"))
    assert engine.load(data_file).cases[-1].change == {}


def test_new_case_refuses_a_taken_name_an_unknown_source_and_a_bad_name(tmp_path: Path) -> None:
    """Each refusal names the problem; the file is left as it was."""
    data_file = _data_copy(tmp_path)
    before = data_file.read_text(encoding="utf-8")
    for name, source, message in [
        ("age-5", None, "already has a case"),
        ("fresh", "no-such-case", "has no case"),
        ("Bad Name", None, "lower-case"),
    ]:
        with pytest.raises(NewCaseError, match=message):
            new_case(data_file, name, source, None)
    assert data_file.read_text(encoding="utf-8") == before


def test_new_case_without_a_data_file_is_a_usage_error(tmp_path: Path) -> None:
    """An installed copy (no fhir_fixtures/cases/) gets a message, exit 1, not a traceback."""
    result = CliRunner().invoke(
        main, ["rules", "new-case", TRIAL, "x", "--fixtures-dir", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "no data file" in result.output
