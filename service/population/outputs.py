"""Write a run's outputs from its bucket results: results.ndjson, and per trial attrition.json,
worklist.csv, group.json; diff.json.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from service.evaluation.report import Verdict
from service.population.attrition import Attrition
from service.population.files import write_atomic, write_json
from service.population.group import candidate_group
from service.population.rescreen import diff, read_rows
from service.population.worklist import is_candidate, worklist_csv
from service.rulebook.book import Rulebook

SLIM = ("patientId", "trialId", "verdict", "failed")


def _rows(paths: Iterable[Path]) -> Iterator[dict[str, Any]]:
    for path in paths:
        yield from read_rows(path)


def write_outputs(
    run_dir: Path,
    book: Rulebook,
    trial_ids: list[str],
    run_id: str,
    as_of: str,
    bucket_results: list[Path],
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
    attrition = {t: Attrition(book.trials[t]) for t in trial_ids}
    candidates: dict[str, list[dict[str, Any]]] = {t: [] for t in trial_ids}
    verdicts = {t: {v.value: 0 for v in Verdict} for t in trial_ids}
    after: list[dict[str, Any]] = []
    carried = 0
    sources: list[Iterable[dict[str, Any]]] = [_rows(bucket_results)]
    if previous_dir is not None and reevaluated is not None:
        # Patients the re-screen did not touch keep the previous run's rows (same rules, facts still
        # valid).
        old = (
            r
            for r in read_rows(previous_dir / "results.ndjson")
            if r["patientId"] not in reevaluated and r["trialId"] in attrition
        )
        sources.append(old)
    tmp = run_dir / "results.ndjson.part"
    with tmp.open("wb") as out:
        for index, source in enumerate(sources):
            for row in source:
                carried += index  # rows of the second source are the carried-over ones
                out.write(orjson.dumps(row) + b"\n")
                attrition[row["trialId"]].add(row)
                verdicts[row["trialId"]][row["verdict"]] += 1
                if is_candidate(row):
                    candidates[row["trialId"]].append(row)
                if previous is not None:
                    after.append({k: row[k] for k in SLIM})
    tmp.replace(run_dir / "results.ndjson")
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
        if evaluated is None:
            evaluated = reevaluated if reevaluated is not None else {r["patientId"] for r in after}
        write_json(
            run_dir / "diff.json", diff(previous["runId"], before, after, evaluated, trial_ids)
        )
        extra["outputs"]["diff"] = "diff.json"
        extra["carriedOverRows"] = carried
    return extra
