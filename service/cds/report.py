"""Report what clinicians did with the cards, per trial and verdict; purge old comments. Run: python
-m service.cds.report --help.

It reads the CDS state directly (the SQLite file, or Redis), so it needs shell access to a host that
reaches it (it is not served over HTTP: no new open door).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import orjson

from service.cds.state import State, StateOptions, open_state
from service.config import DEFAULTS
from service.errors import ConfigError, ServiceUnavailable


def feedback_rates(state: State, since: datetime | None = None) -> list[dict[str, Any]]:
    """Per trial and verdict: cards issued, answered, accepted and overridden, with the rates
    among answered cards.
    """
    if state.issued is None:
        return []
    cards = state.issued.issued_since(since)
    # Each card counts once: its latest feedback (a clinician may override, then accept).
    latest = state.feedback.latest_outcomes(card for card, _, _ in cards)
    counts: dict[tuple[str, str], Counter[str]] = {}
    for card, trial, verdict in cards:
        tally = counts.setdefault((trial, verdict), Counter())
        tally["issued"] += 1
        if card in latest:
            tally["answered"] += 1
            tally[latest[card]] += 1
    rows = []
    for (trial, verdict), tally in sorted(counts.items()):
        answered = tally["answered"]
        rows.append(
            {
                "trial": trial,
                "verdict": verdict,
                "issued": tally["issued"],
                "answered": answered,
                "accepted": tally["accepted"],
                "overridden": tally["overridden"],
                "acceptedRate": round(tally["accepted"] / answered, 3) if answered else None,
                "overriddenRate": round(tally["overridden"] / answered, 3) if answered else None,
            }
        )
    return rows


def _state(state_url: str | None, db: str) -> State:
    """The stores --state-url names, else the SQLite file --db (which must exist: a report never
    creates an empty store).
    """
    if not state_url and not Path(db).is_file():
        raise click.BadParameter(f"no CDS SQLite file at {db}", param_hint="--db")
    try:
        return open_state(state_url, db, StateOptions())
    except ConfigError as exc:
        raise click.BadParameter(exc.message, param_hint="--state-url") from exc


def _since(text: str) -> datetime | None:
    """--since as an instant: a date is its midnight UTC; a time without an offset is read as
    UTC.
    """
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise click.BadParameter(
            "must be a date (YYYY-MM-DD) or an ISO 8601 instant", param_hint="--since"
        ) from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


_STATE_URL = click.option(
    "--state-url",
    envvar="ELIGIBILITY_STATE_URL",
    default=None,
    help="the CDS state: sqlite:///path or redis://host:port/db (default: ELIGIBILITY_STATE_URL, "
    "else --db)",
)
_DB = click.option(
    "--db",
    "db",
    envvar="ELIGIBILITY_CDS_FEEDBACK_DB",
    default=DEFAULTS["CDS_FEEDBACK_DB"],
    type=click.Path(dir_okay=False),
    help="the CDS SQLite file, when no --state-url is given",
)


@click.group()
def main() -> None:
    """CDS Hooks card feedback: rates per trial, and the userComment purge."""


@main.command()
@_STATE_URL
@_DB
@click.option(
    "--since", default="", help="only cards issued on or after this date (YYYY-MM-DD) or instant"
)
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def rates(state_url: str | None, db: str, since: str, as_json: bool) -> None:
    """Print accepted / overridden rates per trial and verdict (each card's latest feedback
    counts).
    """
    try:
        rows = feedback_rates(_state(state_url, db), _since(since))
    except ServiceUnavailable as exc:
        raise click.ClickException(exc.message) from exc
    if as_json:
        click.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    click.echo(
        f"{'trial':<14} {'verdict':<18} {'issued':>7} {'answered':>9} {'accepted':>9} "
        f"{'overridden':>11}"
    )
    for row in rows:
        click.echo(
            f"{row['trial']:<14} {row['verdict']:<18} {row['issued']:>7} {row['answered']:>9} "
            f"{row['accepted']:>9} {row['overridden']:>11}"
        )


@main.command()
@_STATE_URL
@_DB
@click.option(
    "--older-than-days",
    type=float,
    default=DEFAULTS["CDS_COMMENT_RETENTION_DAYS"],
    show_default=True,
)
def purge(state_url: str | None, db: str, older_than_days: float) -> None:
    """Erase the userComment of feedback received more than the given number of days ago."""
    try:
        erased = _state(state_url, db).feedback.purge_comments(datetime.now(UTC), older_than_days)
    except ServiceUnavailable as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"erased {erased} comment(s)")


if __name__ == "__main__":  # pragma: no cover
    main()
