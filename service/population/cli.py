"""``python -m service screen``: screen a population, with a progress bar on a terminal and a
summary table per trial.
"""

from __future__ import annotations

import sys
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from service.config import DEFAULTS
from service.errors import EligibilityError
from service.evaluation.report import Verdict
from service.population.run import Progress as RunProgress
from service.population.run import ScreenOptions, run_screen
from service.settings import load_config, parse_fhir


class Reporter:
    """Show progress: a rich bar on a terminal, else a plain line per phase and at most every few
    seconds.
    """

    def __init__(self, console: Console, interval: float = 5.0) -> None:
        self.console = console
        self.interval = interval
        self.bar: Progress | None = None
        self.task: Any = None
        self._last = (0.0, "")
        self._lock = threading.Lock()

    def __call__(self, p: RunProgress) -> None:
        """Show one progress report."""
        with self._lock:
            if self.console.is_terminal:
                self._bar(p)
            else:
                self._line(p)

    def _text(self, p: RunProgress) -> str:
        return f"{p.patients} patients, {p.rate():.0f}/s" + (f" — {p.note}" if p.note else "")

    def _bar(self, p: RunProgress) -> None:
        if self.bar is None:
            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("buckets"),
                TextColumn("{task.fields[info]}"),
                TimeRemainingColumn(),
                console=self.console,
                transient=False,
            )
            self.bar.start()
            self.task = self.bar.add_task("screen", total=None, info="")
        self.bar.update(
            self.task,
            description=p.phase,
            completed=p.buckets_done,
            total=p.buckets or None,
            info=self._text(p),
        )
        if p.phase == "done":
            self.bar.stop()

    def _line(self, p: RunProgress) -> None:
        now = time.monotonic()
        if p.phase == self._last[1] and now - self._last[0] < self.interval:
            return
        self._last = (now, p.phase)
        eta = ""
        if p.buckets_done and p.buckets and p.phase == "evaluate":
            per = (now - p.started) / p.buckets_done
            eta = f", ETA {per * (p.buckets - p.buckets_done):.0f} s"
        self.console.print(
            f"{p.phase}: {p.buckets_done}/{p.buckets} buckets, {self._text(p)}{eta}",
            highlight=False,
        )

    def close(self) -> None:
        """Stop the bar if a run failed before finishing."""
        if self.bar is not None:
            self.bar.stop()


def summary_table(manifest: dict[str, Any]) -> Table:
    """Return the per-trial verdict counts of a finished run."""
    table = Table(
        title=f"run {manifest['runId']} as of {manifest['asOf']}: "
        f"{manifest['counts']['patients']} patients"
    )
    verdicts = [verdict.value for verdict in Verdict]
    for column in ("trial", *verdicts, "worklist"):
        table.add_column(column, justify="left" if column in ("trial", "worklist") else "right")
    for trial, counts in manifest.get("summary", {}).items():
        table.add_row(trial, *(str(counts[v]) for v in verdicts), f"trials/{trial}/worklist.csv")
    return table


@click.command("screen")
@click.option(
    "--trials", default="all", show_default=True, help="all, or NCT ids separated by commas"
)
@click.option("--as-of", "as_of", required=True, help="Evaluation date YYYY-MM-DD")
@click.option(
    "--ndjson",
    default=None,
    help="Directory or fsspec URL of Bulk Data NDJSON files (Type.ndjson, Type.N.ndjson, .gz)",
)
@click.option(
    "--fhir-base-url",
    default=None,
    help="FHIR server to $export from (auth from ELIGIBILITY_FHIR_*)",
)
@click.option(
    "--group", default=None, help="Group id: export Group/{id}/$export instead of Patient/$export"
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False),
    help="Run directory (a rerun in it resumes)",
)
@click.option(
    "--scheduler",
    default=None,
    help="Dask scheduler address (default: ELIGIBILITY_DASK_SCHEDULER, else a LocalCluster)",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 512),
    default=None,
    help="LocalCluster worker processes (default: one per core)",
)
@click.option(
    "--since-previous",
    "since_previous",
    default=None,
    type=click.Path(file_okay=False, exists=True),
    help="Previous run directory",
)
@click.option(
    "--bucket-mb",
    type=click.FloatRange(0.01, 4096),
    default=32,
    show_default=True,
    help="Input megabytes per bucket (bounds memory)",
)
@click.option("--rules-dir", default=DEFAULTS["RULES_DIR"], type=click.Path(file_okay=False))
def screen(
    trials: str,
    as_of: str,
    ndjson: str | None,
    fhir_base_url: str | None,
    group: str | None,
    out: str,
    scheduler: str | None,
    workers: int | None,
    since_previous: str | None,
    bucket_mb: float,
    rules_dir: str,
) -> None:
    """Screen every patient of a Bulk Data export against the trials; write results, attrition,
    worklists and Groups.
    """
    if (ndjson is None) == (fhir_base_url is None):
        raise click.UsageError("give exactly one of --ndjson or --fhir-base-url")
    try:
        day = date.fromisoformat(as_of)
    except ValueError as exc:
        raise click.BadParameter("must be a date YYYY-MM-DD", param_hint="--as-of") from exc
    console = Console(stderr=True)
    reporter = Reporter(console)
    # The ELIGIBILITY_FHIR_* settings, read and checked as the app reads them, for the server named
    # here.
    try:
        fhir = parse_fhir(load_config({"FHIR_BASE_URL": fhir_base_url})) if fhir_base_url else None
    except EligibilityError as exc:
        reporter.close()
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
    options = ScreenOptions(
        out=Path(out),
        as_of=day,
        trials=None if trials == "all" else [t.strip() for t in trials.split(",") if t.strip()],
        ndjson=ndjson,
        fhir_base_url=fhir_base_url,
        group=group,
        scheduler=scheduler,
        workers=workers,
        since_previous=Path(since_previous) if since_previous else None,
        rules_dir=rules_dir,
        bucket_bytes=int(bucket_mb * 1024 * 1024),
        fhir=fhir,
    )
    try:
        manifest = run_screen(options, reporter)
    except EligibilityError as exc:
        reporter.close()
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
    Console().print(summary_table(manifest))
    counts = manifest["counts"]
    click.echo(
        f"{counts['resources']} resources read; {counts['unattributed']} unattributed, "
        f"{counts['unreadable']} unreadable lines; "
        f"{len(manifest['failedPatients'])} patients failed; {manifest['durationSeconds']} s; "
        f"{Path(out) / 'manifest.json'}"
    )
