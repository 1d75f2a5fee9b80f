"""Write a run's outputs from its bucket results: results.ndjson, and per trial attrition.json,
worklist.csv, group.json; diff.json.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import orjson

from service.population.files import write_atomic, write_json
from service.population.group import candidate_group
from service.population.rescreen import diff, read_rows
from service.population.tally import BucketShare, Tally
from service.population.worklist import worklist_csv
from service.rulebook.book import Rulebook

SLIM = ("patientId", "trialId", "verdict", "failed")


def write_outputs(
    run_dir: Path,
    book: Rulebook,
    trial_ids: list[str],
    run_id: str,
    as_of: str,
    shares: list[BucketShare],
    previous: dict[str, Any] | None,
    previous_dir: Path | None,
    reevaluated: set[str] | None,
    evaluated: set[str] | None = None,
) -> dict[str, Any]:
    """Merge the buckets (and, re-screening, the previous run's untouched rows) and write every
    output; return manifest members.

    ``reevaluated``: the patients a ``_since`` re-screen evaluated (the others' rows are carried
    from the previous run); ``evaluated``: those a directory re-screen evaluated (its buckets
    carried the others), for the diff.
    """
    tally = Tally([book.trials[t] for t in trial_ids])
    carried = 0
    tmp = run_dir / "results.ndjson.part"
    with tmp.open("wb") as out:
        for share in shares:
            # The buckets' rows are copied as written and their counts merged: no row is parsed
            # again but the candidates'.
            with share.results.open("rb") as rows:
                shutil.copyfileobj(rows, out)
            tally.merge(share.counts, list(read_rows(share.candidates)))
        if previous_dir is not None and reevaluated is not None:
            # Patients the re-screen did not touch keep the previous run's rows (same rules, facts
            # still valid).
            for row in read_rows(previous_dir / "results.ndjson"):
                if row["patientId"] not in reevaluated and row["trialId"] in tally.attrition:
                    carried += 1
                    out.write(orjson.dumps(row) + b"\n")
                    tally.add(row)
    tmp.replace(run_dir / "results.ndjson")
    attrition, candidates, verdicts = tally.attrition, tally.candidates, tally.verdicts
    for trial_id in trial_ids:
        folder = run_dir / "trials" / trial_id
        write_json(folder / "attrition.json", attrition[trial_id].to_json())
        write_atomic(
            folder / "worklist.csv",
            worklist_csv(book.trials[trial_id], candidates[trial_id]).encode(),
        )
        write_json(
            folder / "group.json", candidate_group(trial_id, run_id, as_of, candidates[trial_id])
        )
    extra: dict[str, Any] = {
        "outputs": {
            "results": "results.ndjson",
            "trials": {
                t: {
                    "attrition": f"trials/{t}/attrition.json",
                    "worklist": f"trials/{t}/worklist.csv",
                    "group": f"trials/{t}/group.json",
                }
                for t in trial_ids
            },
        },
        "summary": verdicts,
    }
    if previous is not None and previous_dir is not None:
        before = ({k: r[k] for k in SLIM} for r in read_rows(previous_dir / "results.ndjson"))
        after = [{k: r[k] for k in SLIM} for r in read_rows(run_dir / "results.ndjson")]
        if evaluated is None:
            evaluated = reevaluated if reevaluated is not None else {r["patientId"] for r in after}
        write_json(
            run_dir / "diff.json", diff(previous["runId"], before, after, evaluated, trial_ids)
        )
        extra["outputs"]["diff"] = "diff.json"
        extra["carriedOverRows"] = carried
    return extra
