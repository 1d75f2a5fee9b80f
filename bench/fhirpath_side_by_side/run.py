"""Side by side: this engine against FHIRPath engines on the same 12 NCT06761417 criteria and the
same Bundle.

Run (with the service's venv): python bench/fhirpath_side_by_side/run.py [--runs 20] [--peer-runs 3]
The Bundle is Fletcher_Hyatt's Synthea record (1,111 entries) plus bench_cds_hook's 8 recent labs,
as of today. The peers run in their own environments, created here on first use and never the
service's: fhirpathpy in bench/.venv-peers (requirements.txt), fhirpath.js from package.json in this
folder (npm, when node is installed). Each engine compiles its expressions once; the time is CPU per
patient (all 12 criteria), min and median. The FHIRPath expressions (expressions.py) do less than
the engine: no evidence, no three-valued logic, no unit conversion beyond g/dL. Prints a table,
whether each engine's 12 answers agree with this engine's, and ends with one JSON line.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(HERE))

from bench_cds_hook import ADDED_LABS, LOINC, SYNTHEA  # noqa: E402
from expressions import CRITERIA, answer, expressions  # noqa: E402

from service.evaluation.evaluate import evaluate_criterion  # noqa: E402
from service.facts import FactSet  # noqa: E402
from service.records.bundle import record_from_bundle  # noqa: E402
from service.rulebook.book import load_rulebook  # noqa: E402

PEER_VENV = ROOT / "bench" / ".venv-peers"
TRIAL = "NCT06761417"


def bundle(as_of: date) -> dict[str, Any]:
    """Fletcher_Hyatt's Bundle plus recent labs, so the lab criteria are decided."""
    found = orjson.loads(next(SYNTHEA.glob("Fletcher_Hyatt*.json")).read_bytes())
    patient = next(
        e["resource"] for e in found["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    day = (as_of - timedelta(days=3)).isoformat()
    for code, display, value, unit in ADDED_LABS:
        found["entry"].append(
            {
                "resource": {
                    "resourceType": "Observation",
                    "id": f"bench-{code}",
                    "status": "final",
                    "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
                    "subject": {"reference": f"Patient/{patient['id']}"},
                    "effectiveDateTime": f"{day}T09:00:00+00:00",
                    "valueQuantity": {
                        "value": value,
                        "unit": unit,
                        "system": "http://unitsofmeasure.org",
                        "code": unit,
                    },
                }
            }
        )
    return found


def engine(data: dict[str, Any], as_of: date, runs: int) -> tuple[list[float], dict[str, str]]:
    """Time this engine: record building, facts and the 12 criteria's evaluation, CPU ms per
    patient.
    """
    book = load_rulebook()
    trial = book.trial(TRIAL)
    assert trial is not None  # noqa: S101 - a bench
    criteria = [c for c in trial.criteria if c.id in CRITERIA]
    samples, statuses = [], {}
    for _ in range(runs + 3):
        start = time.process_time()
        facts = FactSet(record_from_bundle(data), as_of, book)
        statuses = {c.id: evaluate_criterion(c, facts).status.value for c in criteria}
        samples.append((time.process_time() - start) * 1000)
    return sorted(samples[3:]), statuses


def peer_python() -> Path:
    """Return the peers' Python, creating bench/.venv-peers from requirements.txt on first use."""
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        # S603: fixed arguments
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)  # noqa: S603
    subprocess.run(  # noqa: S603
        [str(python), "-m", "pip", "install", "-q", "-r", str(HERE / "requirements.txt")],
        check=True,
    )
    return python


def node_ready() -> str | None:
    """Return node's path with fhirpath installed in this folder (npm install on first use), or
    None without node.
    """
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        return None
    if not (HERE / "node_modules" / "fhirpath").exists():
        subprocess.run(  # noqa: S603
            [npm, "install", "--no-audit", "--no-fund", "--silent"], cwd=HERE, check=True
        )
    return node


def main() -> None:
    """Run every engine, print the table and the JSON line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20, help="runs of this engine")
    parser.add_argument("--peer-runs", type=int, default=3, help="runs of each FHIRPath engine")
    args = parser.parse_args()
    as_of = date.today()
    data = bundle(as_of)
    book = load_rulebook()
    exprs = expressions(book, as_of)
    ours_ms, ours = engine(data, as_of, args.runs)
    results: dict[str, dict[str, Any]] = {"this engine": {"ms": ours_ms, "answers": ours}}
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "bundle.json").write_bytes(orjson.dumps(data))
        (Path(tmp) / "expressions.json").write_bytes(orjson.dumps(exprs))
        files = [
            str(Path(tmp) / "bundle.json"),
            str(Path(tmp) / "expressions.json"),
            str(args.peer_runs),
        ]
        out = subprocess.run(  # noqa: S603
            [str(peer_python()), str(HERE / "peer_fhirpathpy.py"), *files],
            check=True,
            capture_output=True,
        )
        found = orjson.loads(out.stdout.splitlines()[-1])
        results["fhirpathpy"] = {
            "ms": found["ms"],
            "answers": {k: answer(v) for k, v in found["answers"].items()},
        }
        node = node_ready()
        if node:
            out = subprocess.run(  # noqa: S603
                [node, str(HERE / "peer_fhirpath.js"), *files],
                check=True,
                capture_output=True,
                cwd=HERE,
            )
            found = orjson.loads(out.stdout.splitlines()[-1])
            results["fhirpath.js"] = {
                "ms": found["ms"],
                "answers": {k: answer(v) for k, v in found["answers"].items()},
            }
    base = statistics.median(ours_ms)
    print(
        f"{TRIAL}, {len(CRITERIA)} criteria, Bundle of {len(data['entry'])} entries, as of "
        f"{as_of}; CPU ms per patient"
    )
    print(f"{'engine':14} {'min':>10} {'median':>10} {'x engine':>9}  answers")
    for name, result in results.items():
        agree = (
            "same as this engine"
            if result["answers"] == ours
            else "DIFFER: "
            + ", ".join(
                f"{k} {result['answers'].get(k)} vs {ours[k]}"
                for k in CRITERIA
                if result["answers"].get(k) != ours[k]
            )
        )
        median = statistics.median(result["ms"])
        print(f"{name:14} {result['ms'][0]:10.2f} {median:10.2f} {median / base:9.0f}  {agree}")
    if "fhirpath.js" not in results:
        print("(fhirpath.js skipped: node/npm not found)")
    print(
        orjson.dumps(
            {
                "bench": "fhirpath_side_by_side",
                "trial": TRIAL,
                "criteria": len(CRITERIA),
                "entries": len(data["entry"]),
                **{
                    f"{name.replace(' ', '_').replace('.', '_')}_ms": round(
                        statistics.median(r["ms"]), 3
                    )
                    for name, r in results.items()
                },
                "same_answers": {
                    name: r["answers"] == ours
                    for name, r in results.items()
                    if name != "this engine"
                },
                "answers": ours,
            }
        ).decode()
    )


if __name__ == "__main__":
    main()
