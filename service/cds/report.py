"""Report what clinicians did with the cards, per trial and verdict; purge old comments. Run: python -m service.cds.report --help.

It reads the CDS SQLite file directly, so it needs shell access to the host (it is not served over HTTP: no new open door).
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import orjson

from service.cds.feedback import FeedbackStore
from service.cds.issued import IssuedCards
from service.config import DEFAULTS

# Each card counts once per outcome: the latest feedback on it (a clinician may override, then accept).
_RATES = """
WITH latest AS (
    SELECT card, outcome FROM (
        SELECT card, outcome, ROW_NUMBER() OVER (PARTITION BY card ORDER BY outcome_timestamp DESC, id DESC) AS n FROM feedback
    ) WHERE n = 1
)
SELECT c.trial_id AS trial, c.verdict AS verdict, COUNT(*) AS issued,
       SUM(l.outcome IS NOT NULL) AS answered,
       SUM(l.outcome = 'accepted') AS accepted,
       SUM(l.outcome = 'overridden') AS overridden
FROM issued_card c LEFT JOIN latest l ON l.card = c.card
WHERE c.issued_at >= ?
GROUP BY c.trial_id, c.verdict
ORDER BY c.trial_id, c.verdict
"""


def feedback_rates(path: str | Path, since: str = "") -> list[dict[str, Any]]:
    """Per trial and verdict: cards issued, answered, accepted and overridden, with the rates among answered cards."""
    # Both tables exist from here on, even in a file that has seen cards but no feedback yet.
    FeedbackStore(path).count()
    IssuedCards(path, None).get("")
    with closing(sqlite3.connect(path)) as connection:
        connection.row_factory = sqlite3.Row
        rows = [dict(row) for row in connection.execute(_RATES, (since,))]
    for row in rows:
        answered = row["answered"]
        row["acceptedRate"] = round(row["accepted"] / answered, 3) if answered else None
        row["overriddenRate"] = round(row["overridden"] / answered, 3) if answered else None
    return rows


@click.group()
def main() -> None:
    """CDS Hooks card feedback: rates per trial, and the userComment purge."""


@main.command()
@click.option("--db", "db", default=DEFAULTS["CDS_FEEDBACK_DB"], type=click.Path(dir_okay=False, exists=True), help="the CDS SQLite file")
@click.option("--since", default="", help="only cards issued on or after this date (YYYY-MM-DD)")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def rates(db: str, since: str, as_json: bool) -> None:
    """Print accepted / overridden rates per trial and verdict (each card's latest feedback counts)."""
    rows = feedback_rates(db, since)
    if as_json:
        click.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    click.echo(f"{'trial':<14} {'verdict':<18} {'issued':>7} {'answered':>9} {'accepted':>9} {'overridden':>11}")
    for row in rows:
        click.echo(f"{row['trial']:<14} {row['verdict']:<18} {row['issued']:>7} {row['answered']:>9} {row['accepted']:>9} {row['overridden']:>11}")


@main.command()
@click.option("--db", "db", default=DEFAULTS["CDS_FEEDBACK_DB"], type=click.Path(dir_okay=False, exists=True), help="the CDS SQLite file")
@click.option("--older-than-days", type=float, default=DEFAULTS["CDS_COMMENT_RETENTION_DAYS"], show_default=True)
def purge(db: str, older_than_days: float) -> None:
    """Erase the userComment of feedback received more than the given number of days ago."""
    erased = FeedbackStore(db).purge_comments(datetime.now(UTC), older_than_days)
    click.echo(f"erased {erased} comment(s)")


if __name__ == "__main__":  # pragma: no cover
    main()
