"""Write a screening run directory by hand, in the run-directory format of service/population
(manifest, results, trials/).
"""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any

import orjson

AS_OF = "2026-11-20"
TRIAL = "NCT03890068"
# Real fixture patients of TRIAL, so a worklist link opens a report the fixtures can serve.
CANDIDATES = [
    (
        "nct03890068-eligible",
        "MRN-0001",
        "eligible",
        0,
        15,
        "",
        "Informed consent is obtained; Expected survival is a clinician's estimate",
    ),
    (
        "nct03890068-creatinine-high-no-weight",
        "MRN-0002",
        "insufficient-data",
        1,
        15,
        "Body weight",
        "Informed consent is obtained",
    ),
    (
        "nct03890068-ast-missing",
        "<b>MRN-0003</b>",
        "insufficient-data",
        1,
        15,
        "AST",
        '=HYPERLINK("http://x")',
    ),
]
FUNNEL = [("inc-2", 990), ("inc-3", 940), ("inc-8b", 700), ("exc-3a", 655)]


def write_run(
    root: Path,
    run_id: str = "20261120T0900Z-test",
    rows: list[tuple[Any, ...]] | None = None,
    population: int = 1000,
    trials: tuple[str, ...] = (TRIAL, "NCT02021825"),
) -> Path:
    """Write manifest.json, results.ndjson and, per trial, attrition.json, worklist.csv and
    group.json; return the run directory.
    """
    rows = CANDIDATES if rows is None else rows
    run = root / run_id
    run.mkdir(parents=True, exist_ok=True)
    manifest = {
        "runId": run_id,
        "status": "completed",
        "rulesVersion": "sha256:test",
        "valueSetVersions": {},
        "asOf": AS_OF,
        "trials": list(trials),
        "input": {"kind": "ndjson", "url": "file:///data/export"},
        "counts": {
            "patients": population,
            "resources": population * 40,
            "unattributed": 2,
            "unreadable": 1,
        },
        "failedPatients": [{"patientKey": "p-broken", "reason": "no Patient resource"}],
        "startedAt": "2026-11-20T09:00:00Z",
        "finishedAt": "2026-11-20T09:01:30Z",
        "durationSeconds": 90,
        "engine": {"name": "dask", "scheduler": "local", "workers": 2},
        "progress": {"bucketsDone": 8, "buckets": 8, "patientsEvaluated": population},
    }
    (run / "manifest.json").write_bytes(orjson.dumps(manifest))
    with (run / "results.ndjson").open("wb") as out:
        for patient_id, mrn, verdict, unknown, review, obtain, _reasons in rows:
            out.write(
                orjson.dumps(
                    {
                        "patientId": patient_id,
                        "mrn": mrn,
                        "trialId": trials[0],
                        "verdict": verdict,
                        "counts": {"met": 20, "not-met": 18, "unknown": unknown, "review": review},
                        "failed": [],
                        "unknown": [],
                        "review": [],
                        "toObtain": [x for x in obtain.split("; ") if x],
                        "newestEvidence": "2026-11-17",
                        "validUntil": "2026-12-01",
                    }
                )
                + b"\n"
            )
    for trial_id in trials:
        folder = run / "trials" / trial_id
        folder.mkdir(parents=True, exist_ok=True)
        funnel = [
            {
                "id": cid,
                "remaining": round(left * population / 1000),
                "percent": round(100 * left / 1000, 1),
                "blockedOnlyByUnknown": 3,
            }
            for cid, left in FUNNEL
        ]
        attrition = {
            "trialId": trial_id,
            "unit": "persons",
            "population": population,
            "criteria": [
                {
                    "id": cid,
                    "kind": "inclusion" if cid.startswith("inc") else "exclusion",
                    "text": f"criterion {cid}",
                    "met": 1,
                    "not-met": 1,
                    "unknown": 1,
                    "review": 0,
                }
                for cid, _left in FUNNEL
            ],
            "funnel": funnel,
        }
        (folder / "attrition.json").write_bytes(orjson.dumps(attrition))
        with (folder / "worklist.csv").open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(
                [
                    "rank",
                    "patientId",
                    "mrn",
                    "verdict",
                    "unknownCount",
                    "reviewCount",
                    "toObtain",
                    "reviewReasons",
                    "newestEvidence",
                ]
            )
            for rank, (patient_id, mrn, verdict, unknown, review, obtain, reasons) in enumerate(
                rows, start=1
            ):
                writer.writerow(
                    [rank, patient_id, mrn, verdict, unknown, review, obtain, reasons, "2026-11-17"]
                )
        (folder / "group.json").write_bytes(
            orjson.dumps(
                {
                    "resourceType": "Group",
                    "type": "person",
                    "actual": True,
                    "member": [{"entity": {"reference": f"Patient/{r[0]}"}} for r in rows],
                }
            )
        )
    return run


def synthetic_rows(n: int, seed: int = 7) -> list[tuple[Any, ...]]:
    """Return n worklist candidates with made-up ids, ranked as the contract says (fewest
    unknowns first).
    """
    rng = random.Random(seed)
    labs = ["ANC", "Platelets", "Haemoglobin", "AST", "ALT", "Serum creatinine", "ECOG", "LVEF"]
    rows = []
    for i in range(n):
        unknown = rng.choice([0, 0, 1, 1, 2, 3])
        obtain = "; ".join(sorted(rng.sample(labs, unknown)))
        rows.append(
            (
                f"syn-{i:06d}",
                f"MRN{i:07d}",
                "eligible" if unknown == 0 else "insufficient-data",
                unknown,
                rng.randint(5, 16),
                obtain,
                "Informed consent is obtained; Expected survival is a clinician's estimate",
            )
        )
    return sorted(rows, key=lambda r: (r[3], r[4], r[0]))
