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
from service.config import DEFAULTS
from service.errors import BadRequest, EligibilityError
from service.evaluate import evaluate_trial, verdict_text
from service.requests_in import as_of_date, patient_record
from service.rulebook import load_rulebook
from service.rules_doc import render as render_rules_doc

STATUS_STYLE = {"met": "green", "not-met": "red", "unknown": "yellow", "review": "cyan"}


@click.group()
def main() -> None:
    """trial-eligibility: clinical-trial eligibility from FHIR data."""


@main.command("check-rules")
@click.option("--rules-dir", default=DEFAULTS["RULES_DIR"], show_default=True, type=click.Path(file_okay=False))
def check_rules(rules_dir: str) -> None:
    """Load and check every rule file; exit 1 naming the file, criterion and problem."""
    try:
        book = load_rulebook(rules_dir)
    except EligibilityError as exc:
        click.echo(f"rules are invalid: {exc.message}", err=True)
        sys.exit(1)
    for trial in book.trials.values():
        click.echo(f"{trial.id}: {trial.counts()}")
    click.echo(f"ok: {len(book.trials)} trials, {len(book.definitions)} definitions, {len(book.value_sets)} value sets ({book.version})")


@main.command("rules-doc")
@click.option("--rules-dir", default=DEFAULTS["RULES_DIR"], type=click.Path(file_okay=False))
def rules_doc(rules_dir: str) -> None:
    """Print rules/README.md, generated from the rule files."""
    click.echo(render_rules_doc(load_rulebook(rules_dir)), nl=False)


@main.command()
@click.option("--trial", "trial_id", required=True, help="Trial id, e.g. NCT06761417")
@click.option("--bundle", "bundle_path", default=None, type=click.Path(exists=True, dir_okay=False), help="FHIR Bundle JSON file")
@click.option("--patient-id", default=None, help="Patient id: fetched from the FHIR server, else looked up in the bundled fixtures")
@click.option("--fhir-base-url", default=None, help="FHIR R4 base URL (default: ELIGIBILITY_FHIR_BASE_URL); auth from ELIGIBILITY_FHIR_*")
@click.option("--as-of", "as_of", default=None, help="Evaluation date YYYY-MM-DD (default: today)")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report")
@click.option("--rules-dir", default=DEFAULTS["RULES_DIR"], type=click.Path(file_okay=False))
def evaluate(trial_id: str, bundle_path: str | None, patient_id: str | None, fhir_base_url: str | None, as_of: str | None, as_json: bool,
             rules_dir: str) -> None:
    """Evaluate one patient (a Bundle file, or an id) against one trial."""
    if (bundle_path is None) == (patient_id is None):
        raise click.UsageError("give exactly one of --bundle or --patient-id")
    try:
        # A person reads this stderr: only errors are logged (as JSON) unless ELIGIBILITY_LOG_LEVEL asks for more.
        overrides: dict[str, object] = {"RULES_DIR": rules_dir, "LOG_LEVEL": os.environ.get("ELIGIBILITY_LOG_LEVEL") or "ERROR"}
        if fhir_base_url:
            overrides["FHIR_BASE_URL"] = fhir_base_url
        app = create_app(overrides)
        book = app.extensions["rulebook"]
        trial = book.trial(trial_id)
        if trial is None:
            raise click.BadParameter(f"no trial {trial_id!r}; known: {sorted(book.trials)}", param_hint="--trial")
        day = as_of_date({"asOf": as_of}, date.today())
        if bundle_path is not None:
            try:
                body = {"bundle": orjson.loads(Path(bundle_path).read_bytes())}
            except orjson.JSONDecodeError as exc:
                raise BadRequest(f"{bundle_path} is not valid JSON: {exc}") from exc
        else:
            body = {"patientId": patient_id}
        record = patient_record(body, app.extensions["patients"], [trial], day)
        report = evaluate_trial(book, trial, record, day)
    except (EligibilityError, ValueError) as exc:
        click.echo(f"error: {getattr(exc, 'message', exc)}", err=True)
        sys.exit(2)
    if as_json:
        click.echo(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
        return
    render(report)


def render(report: dict) -> None:
    """Print a report as a table, one row per criterion, with its evidence."""
    console = Console(width=160)
    console.print(Text(f"{report['trialId']}  as of {report['asOf']}  verdict: {verdict_text(report)}  {report['counts']}", style="bold"))
    wanted = sorted({lab for c in report["criteria"] if c["status"] == "unknown" for lab in c["missing"]})
    if wanted:
        console.print(Text("To obtain: " + ", ".join(wanted), style="yellow"))
    table = Table(show_lines=True)
    for column in ("id", "status", "criterion", "reason / evidence"):
        table.add_column(column, overflow="fold")
    for item in report["criteria"]:
        cited = "\n".join(
            "• " + " ".join(str(part) for part in (e["reference"], e["display"], e["value"], e["unit"], e["date"], e["note"]) if part not in (None, ""))
            for e in item["evidence"][:4]
        )
        # Report text is data, not Rich markup: '[rule: …]' must print as written.
        reason = item["reason"] + ("\n" + cited if cited else "")
        table.add_row(item["id"], Text(item["status"], style=STATUS_STYLE[item["status"]]), Text(item["text"]), Text(reason))
    console.print(table)


main.add_command(__import__("service.population.cli", fromlist=["screen"]).screen)  # population screening (branch population)


if __name__ == "__main__":  # pragma: no cover
    main()
