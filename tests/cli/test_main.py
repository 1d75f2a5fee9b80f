"""The command line: evaluate a Bundle against a trial (JSON or table), and check the rule files."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from service.cli.main import main
from service.evaluation.report import CriterionResult, Kind, Status
from service.rulebook.book import Rulebook
from tests.helpers import ROOT

TRIAL = "NCT06761417"
AS_OF = "2020-01-01"
# Thirty years old on the as-of date: fails NCT06761417's 6-24 age criterion.
BUNDLE = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {
            "resource": {
                "resourceType": "Patient",
                "id": "p1",
                "birthDate": "1990-01-01",
                "gender": "female",
            }
        }
    ],
}


@pytest.fixture
def bundle_file(tmp_path: Path) -> Path:
    """BUNDLE written to a file."""
    path = tmp_path / "bundle.json"
    path.write_bytes(orjson.dumps(BUNDLE))
    return path


def run(*args: str) -> Any:
    """Run the CLI in-process; return click's Result."""
    return CliRunner().invoke(main, list(args))


def test_evaluate_json_prints_the_report_with_its_verdict(bundle_file: Path) -> None:
    """`evaluate --json` prints the JSON report: the trial, the patient, the as-of date and the
    verdict.
    """
    result = run(
        "evaluate", "--trial", TRIAL, "--bundle", str(bundle_file), "--as-of", AS_OF, "--json"
    )
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.stdout)
    assert (report["trialId"], report["patientId"], report["asOf"], report["verdict"]) == (
        TRIAL,
        "p1",
        AS_OF,
        "ineligible",
    )
    assert next(c for c in report["criteria"] if c["id"] == "inc-2a")["status"] == "not-met"


def test_evaluate_table_prints_every_criterion_id(bundle_file: Path, book: Rulebook) -> None:
    """`evaluate` without --json prints the verdict and a table row for each criterion of the
    trial.
    """
    result = run("evaluate", "--trial", TRIAL, "--bundle", str(bundle_file), "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "verdict: ineligible" in result.stdout
    for criterion in book.trials[TRIAL].criteria:
        assert criterion.id in result.stdout


def test_evaluate_table_says_no_barrier_found_and_what_to_obtain(tmp_path: Path) -> None:
    """The table reads an eligible report with review items as 'no barrier found — N items to
    confirm' and names tests to obtain.
    """
    eligible = tmp_path / "eligible.json"
    shutil.copy(ROOT / "fhir_fixtures" / TRIAL / "eligible.json", eligible)
    result = run("evaluate", "--trial", TRIAL, "--bundle", str(eligible), "--as-of", "2026-11-20")
    assert result.exit_code == 0, result.output
    assert "verdict: no barrier found — 9 items to confirm" in result.stdout
    girl = tmp_path / "girl.json"
    shutil.copy(ROOT / "fhir_fixtures" / TRIAL / "girl-17-no-pregnancy-test.json", girl)
    result = run("evaluate", "--trial", TRIAL, "--bundle", str(girl), "--as-of", "2026-11-20")
    assert "To obtain: pregnancy test" in result.stdout


def test_evaluate_by_patient_id_reads_the_bundled_fixture(monkeypatch: pytest.MonkeyPatch) -> None:
    """`evaluate --patient-id` with no FHIR server configured evaluates the bundled fixture
    patient of that id.
    """
    monkeypatch.delenv("ELIGIBILITY_FHIR_BASE_URL", raising=False)
    result = run(
        "evaluate",
        "--trial",
        TRIAL,
        "--patient-id",
        "nct06761417-eligible",
        "--as-of",
        "2026-11-20",
        "--json",
    )
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.stdout)
    assert (report["patientId"], report["verdict"]) == ("nct06761417-eligible", "eligible")


def test_evaluate_needs_exactly_one_of_bundle_or_patient_id(bundle_file: Path) -> None:
    """Neither or both of --bundle and --patient-id is a usage error (exit 2) saying so."""
    for args in ([], ["--bundle", str(bundle_file), "--patient-id", "p1"]):
        result = run("evaluate", "--trial", TRIAL, *args)
        assert result.exit_code == 2
        assert "exactly one of --bundle or --patient-id" in result.output


def test_evaluate_with_an_unreachable_fhir_server_exits_2_without_a_trace() -> None:
    """--fhir-base-url pointing at a closed port: exit 2 with a one-line error, no traceback."""
    result = run(
        "evaluate",
        "--trial",
        TRIAL,
        "--patient-id",
        "p1",
        "--fhir-base-url",
        "http://127.0.0.1:9/fhir",
        "--as-of",
        AS_OF,
    )
    assert result.exit_code == 2
    assert "Patient read" in result.output
    assert "Traceback" not in result.output


def test_evaluate_unknown_trial_exits_non_zero_naming_it(bundle_file: Path) -> None:
    """`evaluate --trial` with an unknown id exits non-zero with a message naming the id."""
    result = run(
        "evaluate", "--trial", "NCT99999999", "--bundle", str(bundle_file), "--as-of", AS_OF
    )
    assert result.exit_code != 0
    assert "NCT99999999" in result.stderr


@pytest.mark.parametrize(
    ("content", "says"),
    [
        # Not JSON: orjson's message, with the position.
        (b"{nope", "line 1 column 2"),
        # JSON, but no Patient.
        (
            orjson.dumps({"resourceType": "Bundle", "type": "collection", "entry": []}),
            "exactly one Patient",
        ),
        # JSON, but not a Bundle.
        (orjson.dumps({"resourceType": "Patient"}), "not a FHIR Bundle"),
    ],
)
def test_evaluate_unusable_bundle_exits_2_with_a_message(
    tmp_path: Path, content: bytes, says: str
) -> None:
    """`evaluate` with an unusable Bundle file exits 2 with a one-line error, not a traceback."""
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    result = run("evaluate", "--trial", TRIAL, "--bundle", str(path), "--as-of", AS_OF)
    assert result.exit_code == 2
    assert result.stderr.startswith("error:")
    assert says in result.stderr


def test_evaluate_bad_as_of_exits_2(bundle_file: Path) -> None:
    """`evaluate --as-of` that is not a date exits 2 with an error."""
    result = run(
        "evaluate", "--trial", TRIAL, "--bundle", str(bundle_file), "--as-of", "2020-13-01"
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("error:")


def test_check_rules_passes_on_the_real_rules(book: Rulebook) -> None:
    """`check-rules` exits 0 on rules/, listing each trial and an ok line with the rules version."""
    result = run("check-rules")
    assert result.exit_code == 0, result.output
    for trial_id in book.trials:
        assert trial_id in result.stdout
    assert f"ok: {len(book.trials)} trials" in result.stdout
    assert book.version in result.stdout


def _rewrite(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    document = orjson.loads(path.read_bytes())
    change(document)
    path.write_bytes(orjson.dumps(document))


def _criterion(document: dict[str, Any], criterion_id: str) -> dict[str, Any]:
    criterion: dict[str, Any] = next(c for c in document["criteria"] if c["id"] == criterion_id)
    return criterion


def _not_json(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-10])


def _unknown_definition(path: Path) -> None:
    _rewrite(
        path,
        lambda d: _criterion(d, "inc-2a").update(logic={"<=": [6, {"var": "age_in_years"}, 24]}),
    )


def _misspelled_operator(path: Path) -> None:
    _rewrite(
        path, lambda d: _criterion(d, "inc-5a").update(logic={"grater": [{"var": "karnofsky"}, 50]})
    )


def _no_title(path: Path) -> None:
    _rewrite(path, lambda d: d.pop("title"))


def _unknown_value_set(path: Path) -> None:
    _rewrite(path, lambda d: d["definitions"]["anc"].update(valueSet="no-such-value-set"))


CORRUPTIONS = [
    # A trial file cut short.
    ("trials/NCT06761417.json", _not_json, ["NCT06761417.json", "not valid JSON"]),
    # A criterion reading a definition that does not exist.
    (
        "trials/NCT06761417.json",
        _unknown_definition,
        ["NCT06761417.json", "inc-2a", "age_in_years"],
    ),
    # A criterion with a misspelled JsonLogic operator.
    ("trials/NCT06761417.json", _misspelled_operator, ["NCT06761417.json", "inc-5a"]),
    # A trial file missing a required member.
    ("trials/NCT06761417.json", _no_title, ["NCT06761417.json", "title"]),
    # A definition naming a value set that does not exist.
    (
        "library/definitions.json",
        _unknown_value_set,
        ["definitions.json", "anc", "no-such-value-set"],
    ),
    # A value-set file cut short.
    ("valuesets/conditions.json", _not_json, ["conditions.json", "not valid JSON"]),
]


@pytest.mark.parametrize(
    ("relative", "corrupt", "says"),
    CORRUPTIONS,
    ids=[f"{c[0]}:{c[1].__name__}" for c in CORRUPTIONS],
)
def test_check_rules_fails_on_a_corrupted_copy_naming_the_file(
    tmp_path: Path, relative: str, corrupt: Callable[[Path], None], says: list[str]
) -> None:
    """`check-rules --rules-dir` on a corrupted copy of rules/ exits 1 with a message naming the
    file (and criterion).
    """
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    corrupt(rules / relative)
    result = run("check-rules", "--rules-dir", str(rules))
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("rules are invalid:")
    for fragment in says:
        assert fragment in result.stderr


def test_version_prints_the_package_version() -> None:
    """`--version` prints the program name and the installed package's version."""
    from importlib.metadata import version

    result = run("--version")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"trial-eligibility, version {version('trial-eligibility')}"


@pytest.mark.parametrize("columns", [80, 200])
def test_evaluate_table_fits_the_terminal_width(bundle_file: Path, columns: int) -> None:
    """The table is as wide as the terminal says (COLUMNS), never a fixed 160 columns."""
    result = CliRunner(env={"COLUMNS": str(columns)}).invoke(
        main, ["evaluate", "--trial", TRIAL, "--bundle", str(bundle_file), "--as-of", AS_OF]
    )
    assert result.exit_code == 0, result.output
    widths = {
        len(line) for line in result.stdout.splitlines() if line.startswith(("┏", "┃", "└", "│"))
    }
    assert max(widths) == columns


@pytest.mark.parametrize(
    ("kind", "status", "colour"),
    [
        ("inclusion", "met", "green"),
        ("inclusion", "not-met", "red"),
        ("exclusion", "met", "red"),
        ("exclusion", "not-met", "green"),
        ("exclusion", "unknown", "yellow"),
        ("inclusion", "review", "cyan"),
    ],
)
def test_status_colour_says_good_or_bad_news(kind: str, status: str, colour: str) -> None:
    """A met inclusion and an unmet exclusion are green (good news); a met exclusion and an unmet
    inclusion red.
    """
    from service.cli.main import status_style

    item = CriterionResult("c-1", Kind(kind), "1", "text", Status(status), "reason")
    assert status_style(item) == colour


def test_rules_doc_writes_the_readme_of_the_rules_dir(tmp_path: Path, book: Rulebook) -> None:
    """`rules-doc --rules-dir D` writes D/README.md (what the committed rules/README.md must
    equal); --stdout prints it.
    """
    from service.cli.rules_doc import render

    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    (rules / "README.md").unlink()
    result = run("rules-doc", "--rules-dir", str(rules))
    assert result.exit_code == 0, result.output
    assert (rules / "README.md").read_text(encoding="utf-8") == render(book)
    printed = run("rules-doc", "--rules-dir", str(rules), "--stdout")
    assert printed.stdout == render(book)
