"""Command line: evaluate a patient Bundle against a trial, and check the rule files."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

import click
import orjson
from rich.console import Console
from rich.table import Table
from rich.text import Text

from service import create_app
from service.api.requests import patient_source
from service.cli.authoring import NewCaseError, explain, new_case, run_cases
from service.cli.rules_doc import render as render_rules_doc
from service.config import DEFAULTS
from service.errors import BadRequest, EligibilityError
from service.evaluation.evaluate import evaluate_trial
from service.evaluation.report import CriterionResult, Status, TrialReport
from service.rulebook.book import Rulebook, Trial, load_rulebook
from service.web.requests import as_of_date

# Colour says what a status means for the patient: a criterion that bars them is red (an exclusion
# met), one that lets them through green (an exclusion not met is good news); the undecided ones by
# their status.
STATUS_STYLE = {Status.UNKNOWN: "yellow", Status.REVIEW: "cyan"}


@click.group()
@click.version_option(package_name="trial-eligibility", prog_name="trial-eligibility")
def main() -> None:
    """trial-eligibility: clinical-trial eligibility from FHIR data."""


@main.command("check-rules")
@click.option(
    "--rules-dir",
    default=DEFAULTS["RULES_DIR"],
    show_default=True,
    type=click.Path(file_okay=False),
)
def check_rules(rules_dir: str) -> None:
    """Load and check every rule file; exit 1 naming the file, criterion and problem."""
    try:
        book = load_rulebook(rules_dir)
    except EligibilityError as exc:
        click.echo(f"rules are invalid: {exc.message}", err=True)
        sys.exit(1)
    for trial in book.trials.values():
        click.echo(f"{trial.id}: {trial.counts()}")
    click.echo(
        f"ok: {len(book.trials)} trials, {len(book.definitions)} definitions, "
        f"{len(book.value_sets)} value sets ({book.version})"
    )


@main.command("rules-doc")
@click.option("--rules-dir", default=DEFAULTS["RULES_DIR"], type=click.Path(file_okay=False))
@click.option(
    "--stdout",
    "to_stdout",
    is_flag=True,
    help="Print the document instead of writing <rules-dir>/README.md",
)
def rules_doc(rules_dir: str, to_stdout: bool) -> None:
    """Write <rules-dir>/README.md, generated from the rule files (a test fails when the
    committed one is stale).
    """
    text = render_rules_doc(load_rulebook(rules_dir))
    if to_stdout:
        click.echo(text, nl=False)
        return
    target = Path(rules_dir) / "README.md"
    target.write_text(text, encoding="utf-8")
    click.echo(f"wrote {target}")


@main.group("rules")
def rules() -> None:
    """The rule author's tools: explain a criterion, run a trial's fixture cases, scaffold a
    case.
    """


@rules.command("explain")
@click.argument("trial_id")
@click.argument("criterion_id")
@click.option("--rules-dir", default=DEFAULTS["RULES_DIR"], type=click.Path(file_okay=False))
def rules_explain(trial_id: str, criterion_id: str, rules_dir: str) -> None:
    """Print a criterion in readable infix with the definitions it reads, their windows, absence
    policies and value sets.
    """
    book = load_rulebook(rules_dir)
    trial = _known_trial(book, trial_id)
    criterion = next((c for c in trial.criteria if c.id == criterion_id), None)
    if criterion is None:
        raise click.BadParameter(
            f"{trial_id} has no criterion {criterion_id!r}; it has "
            f"{[c.id for c in trial.criteria]}",
            param_hint="CRITERION_ID",
        )
    click.echo(explain(book, trial, criterion), nl=False)


@rules.command("test")
@click.argument("trial_id")
@click.option("--rules-dir", default=DEFAULTS["RULES_DIR"], type=click.Path(file_okay=False))
@click.option("--fixtures-dir", default=DEFAULTS["FIXTURES_DIR"], type=click.Path(file_okay=False))
@click.option(
    "--failures-only", is_flag=True, help="List only the cases that do not give what they expect"
)
def rules_test(trial_id: str, rules_dir: str, fixtures_dir: str, failures_only: bool) -> None:
    """Run a trial's fixture cases and print expected against actual; exit 1 when any case
    differs.
    """
    book = load_rulebook(rules_dir)
    results = run_cases(book, _known_trial(book, trial_id), Path(fixtures_dir))
    table = Table(
        title=f"{trial_id}: {sum(r.passed for r in results)} of {len(results)} cases as expected"
    )
    for column in (
        "case",
        "verdict expected",
        "verdict",
        "fails expected",
        "fails",
        "statuses that differ",
        "",
    ):
        table.add_column(column, overflow="fold")
    for r in results:
        if failures_only and r.passed:
            continue
        wrong = ", ".join(
            f"{cid}: {want} → {got}" for cid, (want, got) in sorted(r.wrong_statuses.items())
        )
        table.add_row(
            r.name,
            r.expected_verdict,
            r.verdict,
            " ".join(r.expected_fails),
            " ".join(r.fails),
            wrong,
            Text("ok", style="green") if r.passed else Text("DIFFERS", style="bold red"),
        )
    Console().print(table)
    if not all(r.passed for r in results):
        sys.exit(1)


@rules.command("new-case")
@click.argument("trial_id")
@click.argument("name")
@click.option("--from", "from_case", help="The case whose change to copy (default: the base case)")
@click.option("--description", help="What the case changes and tests (default: a TODO)")
@click.option("--fixtures-dir", default=DEFAULTS["FIXTURES_DIR"], type=click.Path(file_okay=False))
def rules_new_case(
    trial_id: str, name: str, from_case: str | None, description: str | None, fixtures_dir: str
) -> None:
    """Append a case to <fixtures-dir>/cases/TRIAL_ID.yaml (another case's change, an expectation
    to fill in).
    """
    try:
        click.echo(
            new_case(
                Path(fixtures_dir) / "cases" / f"{trial_id}.yaml", name, from_case, description
            ),
            nl=False,
        )
    except NewCaseError as error:
        raise click.ClickException(str(error)) from error


def _known_trial(book: Rulebook, trial_id: str, hint: str = "TRIAL_ID") -> Trial:
    """The trial of that id, or a usage error (on the parameter ``hint``) listing the known ones."""
    trial = book.trial(trial_id)
    if trial is None:
        raise click.BadParameter(
            f"no trial {trial_id!r}; known: {sorted(book.trials)}", param_hint=hint
        )
    return trial


@main.command()
@click.option("--trial", "trial_id", required=True, help="Trial id, e.g. NCT06761417")
@click.option(
    "--bundle",
    "bundle_path",
    default=None,
    type=click.Path(exists=True, dir_okay=False),
    help="FHIR Bundle JSON file",
)
@click.option(
    "--patient-id",
    default=None,
    help="Patient id: fetched from the FHIR server, else looked up in the bundled fixtures",
)
@click.option(
    "--fhir-base-url",
    default=None,
    help="FHIR R4 base URL (default: ELIGIBILITY_FHIR_BASE_URL); auth from ELIGIBILITY_FHIR_*",
)
@click.option("--as-of", "as_of", default=None, help="Evaluation date YYYY-MM-DD (default: today)")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report")
@click.option("--rules-dir", default=DEFAULTS["RULES_DIR"], type=click.Path(file_okay=False))
def evaluate(
    trial_id: str,
    bundle_path: str | None,
    patient_id: str | None,
    fhir_base_url: str | None,
    as_of: str | None,
    as_json: bool,
    rules_dir: str,
) -> None:
    """Evaluate one patient (a Bundle file, or an id) against one trial."""
    if (bundle_path is None) == (patient_id is None):
        raise click.UsageError("give exactly one of --bundle or --patient-id")
    try:
        # A person reads this stderr: only errors are logged (as JSON) unless ELIGIBILITY_LOG_LEVEL
        # asks for more.
        overrides: dict[str, object] = {
            "RULES_DIR": rules_dir,
            "LOG_LEVEL": os.environ.get("ELIGIBILITY_LOG_LEVEL") or "ERROR",
        }
        if fhir_base_url:
            overrides["FHIR_BASE_URL"] = fhir_base_url
        app = create_app(overrides)
        book = app.extensions["rulebook"]
        trial = _known_trial(book, trial_id, "--trial")
        day = as_of_date({"asOf": as_of}, date.today())
        if bundle_path is not None:
            try:
                body = {"bundle": orjson.loads(Path(bundle_path).read_bytes())}
            except orjson.JSONDecodeError as exc:
                raise BadRequest(f"{bundle_path} is not valid JSON: {exc}") from exc
        else:
            body = {"patientId": patient_id}
        record = patient_source(body, app.extensions["patients"]).record([trial], day)
        report = evaluate_trial(book, trial, record, day)
    except (EligibilityError, ValueError) as exc:
        click.echo(f"error: {getattr(exc, 'message', exc)}", err=True)
        sys.exit(2)
    if as_json:
        click.echo(orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2).decode())
        return
    render(report)


def render(report: TrialReport) -> None:
    """Print a report as a table, one row per criterion, with its evidence."""
    # Rich sizes the table to the terminal (COLUMNS when set; 80 when the output is not a terminal).
    console = Console()
    console.print(
        Text(
            f"{report.trial_id}  as of {report.as_of.isoformat()}  verdict: "
            f"{report.verdict_text}  {counts_text(report)}",
            style="bold",
        )
    )
    wanted = report.to_obtain
    if wanted:
        console.print(Text("To obtain: " + ", ".join(wanted), style="yellow"))
    table = Table(show_lines=True)
    for column in ("id", "status", "criterion", "reason / evidence"):
        table.add_column(column, overflow="fold")
    for item in report.criteria:
        cited = "\n".join(
            "• "
            + " ".join(
                str(part)
                for part in (e.reference, e.display, e.value, e.unit, e.date, e.note)
                if part not in (None, "")
            )
            for e in item.evidence[:4]
        )
        # Report text is data, not Rich markup: '[rule: …]' must print as written.
        reason = (item.reason or "") + ("\n" + cited if cited else "")
        table.add_row(
            item.id,
            Text(item.status.value, style=status_style(item)),
            Text(item.text),
            Text(reason),
        )
    console.print(table)


def counts_text(report: TrialReport) -> str:
    """The criteria counted by status, as the heading has always printed them: {'met': 3,
    'not-met': 0, …}.
    """
    return str({status.value: n for status, n in report.counts.items()})


def status_style(item: CriterionResult) -> str:
    """The colour of a criterion's status, by what it means for the patient (see STATUS_STYLE)."""
    if item.bars:
        return "red"
    return "green" if item.passes else STATUS_STYLE[item.status]


main.add_command(
    __import__("service.population.cli", fromlist=["screen"]).screen
)  # population screening (branch population)


if __name__ == "__main__":  # pragma: no cover
    main()
