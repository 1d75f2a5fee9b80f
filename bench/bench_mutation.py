"""Bench: wrongly typed FHIR fields over every fixture Bundle (REST) and Synthea records as CDS
prefetch; counts 5xx answers.

Run: python bench/bench_mutation.py [--rest 3000] [--cds 500] [--seed 1]
Each mutant replaces one element of one document by a value of another JSON type. Prints the counts,
the first failing mutants, and ends with one JSON line {"rest": n, "rest_5xx": k, "cds": n,
"cds_5xx": k, "decided_from_set_aside": k}.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service import create_app  # noqa: E402
from tests.helpers.cds import (  # noqa: E402
    SERVICE_URL,
    hook_request,
    prefetch_for,  # noqa: E402
)
from tests.helpers.mutants import cited_references, paths, replaced, wrong_for  # noqa: E402

SYNTHEA = Path(os.environ.get("SYNTHEA_DIR") or ROOT.parent / "shared" / "fhir" / "synthea")


def mutant(rng: random.Random, document: Any) -> tuple[Any, tuple[str | int, ...], Any]:
    """Return a copy of a document with one random element retyped, the path and the value."""
    path = rng.choice(list(paths(document)))
    node = document
    for step in path:
        node = node[step]
    value = rng.choice(wrong_for(node))
    return replaced(document, path, value), path, value


def main() -> None:
    """Run the sweep and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rest", type=int, default=3000)
    parser.add_argument("--cds", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "TESTING": True,
                "CDS_JWT_VERIFY": False,
                "CDS_FEEDBACK_DB": str(Path(tmp) / "cds.sqlite3"),
            }
        )
        client = app.test_client()
        fixtures = sorted(
            p for p in (ROOT / "fhir_fixtures").glob("*/*.json") if p.name != "manifest.json"
        )
        failures: list[str] = []
        rest_5xx = decided = 0
        for _ in range(args.rest):
            case = rng.choice(fixtures)
            bundle, path, value = mutant(rng, orjson.loads(case.read_bytes()))
            response = client.post(
                f"/trials/{case.parent.name}/eligibility",
                json={"bundle": bundle, "asOf": "2026-11-20"},
            )
            if response.status_code >= 500:
                rest_5xx += 1
                failures.append(
                    f"REST {response.status_code} {case.relative_to(ROOT)} {path} = {value!r}"
                )
            elif response.status_code == 200:
                report = response.get_json()
                if {n["reference"] for n in report.get("dataQuality", [])} & cited_references(
                    report
                ):
                    decided += 1
                    failures.append(
                        f"decided from a set-aside resource: {case.relative_to(ROOT)} {path} = "
                        f"{value!r}"
                    )
        templates = client.get("/cds-services").get_json()["services"][0]["prefetch"]
        records = sorted(SYNTHEA.glob("*.json"))
        cds_5xx = cds_done = 0
        for _ in range(args.cds if records else 0):
            bundle = orjson.loads(rng.choice(records).read_bytes())
            patient = next(
                e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
            )
            prefetch, path, value = mutant(rng, prefetch_for(bundle, templates))
            response = client.post(SERVICE_URL, json=hook_request(patient["id"], prefetch))
            cds_done += 1
            if response.status_code >= 500:
                cds_5xx += 1
                failures.append(f"CDS {response.status_code} {path} = {value!r}")
    print(
        f"REST: {args.rest} mutated fixture Bundles, {rest_5xx} answered 5xx, {decided} decided "
        "a criterion from a resource set aside"
    )
    print(f"CDS Hooks: {cds_done} mutated Synthea prefetches, {cds_5xx} answered 5xx")
    for line in failures[:10]:
        print("  " + line)
    print(
        json.dumps(
            {
                "rest": args.rest,
                "rest_5xx": rest_5xx,
                "cds": cds_done,
                "cds_5xx": cds_5xx,
                "decided_from_set_aside": decided,
            }
        )
    )


if __name__ == "__main__":
    main()
