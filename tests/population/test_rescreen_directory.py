"""Re-screening an NDJSON directory with --since-previous: only changed, new and expiring
patients are evaluated.
"""

from __future__ import annotations

import gzip
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from service.population.rescreen import expiring_patients, read_rows
from service.population.run import ScreenOptions, run_screen
from tests.helpers.population import AS_OF, BUCKET_BYTES, rescreen_directory, results

# What a row says about a patient × trial (its digest and MRN are the same whichever run wrote it).
COMPARED = (
    "verdict",
    "counts",
    "failed",
    "unknown",
    "review",
    "toObtain",
    "newestEvidence",
    "validUntil",
    "dataErrors",
    "dataDigest",
)
# A birth date that makes anyone a child of 3 or 4: every trial's age criterion then fails (the
# youngest any trial admits is 6, NCT06761417). 2020 made a 6-year-old, still a candidate there.
CHILD_BIRTH_DATE = "2022-06-01"


def _manifest(run: Path) -> dict[str, Any]:
    """Read a run's manifest."""
    result: dict[str, Any] = orjson.loads((run / "manifest.json").read_bytes())
    return result


def _compared(run: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """A run's rows by (patient, trial), reduced to what a re-screen must reproduce."""
    return {key: {f: row.get(f) for f in COMPARED} for key, row in results(run).items()}


def _make_child(source: Path, dest: Path, candidates: set[str]) -> str:
    """Copy an NDJSON directory, giving its first Patient among the candidates a child's birth
    date; return that patient's id.
    """
    shutil.copytree(source, dest)
    path = dest / "Patient.ndjson"
    lines = path.read_bytes().splitlines()
    at = next(i for i, line in enumerate(lines) if orjson.loads(line)["id"] in candidates)
    patient = orjson.loads(lines[at])
    patient["birthDate"] = CHILD_BIRTH_DATE
    lines[at] = orjson.dumps(patient)
    path.write_bytes(b"\n".join(lines) + b"\n")
    return str(patient["id"])


@pytest.fixture(scope="module")
def changed_dir(
    population_dir: Path, local_run: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str]:
    """The population with one patient's data changed (a candidate for some trial made a child),
    and that patient's id.
    """
    candidates = {
        r["patientId"]
        for r in read_rows(local_run / "results.ndjson")
        if r["verdict"] != "ineligible"
    }
    dest = tmp_path_factory.mktemp("changed") / "ndjson"
    return dest, _make_child(population_dir, dest, candidates)


@pytest.fixture(scope="module")
def rescreen_run(
    local_run: Path, changed_dir: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The changed population re-screened against the first run, on the same as-of date."""
    out = tmp_path_factory.mktemp("rescreen") / "run"
    rescreen_directory(out, changed_dir[0], local_run)
    return out


def _is_patient(line: bytes, patient_id: str) -> bool:
    """Say whether a line is that Patient (an unreadable line is kept as it was)."""
    try:
        resource = orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return bool(resource.get("resourceType") == "Patient" and resource.get("id") == patient_id)


def _drop_first_patient(source: Path, dest: Path) -> str:
    """Copy an NDJSON directory without its first Patient and every line pointing at it; return
    that patient's id.
    """
    shutil.copytree(source, dest)
    patient_id = str(orjson.loads((dest / "Patient.ndjson").read_bytes().splitlines()[0])["id"])
    mine = (f'"Patient/{patient_id}"').encode()
    for path in dest.iterdir():
        zipped = path.suffix == ".gz"
        data = gzip.decompress(path.read_bytes()) if zipped else path.read_bytes()
        kept = b"".join(
            line + b"\n"
            for line in data.splitlines()
            if mine not in line and not _is_patient(line, patient_id)
        )
        path.write_bytes(gzip.compress(kept) if zipped else kept)
    return patient_id


def test_a_patient_who_left_the_input_is_named(
    local_run: Path, population_dir: Path, tmp_path: Path
) -> None:
    """A patient no longer in the export is listed as having left it, and their candidacies as
    dropped out for that reason.
    """
    gone = _drop_first_patient(population_dir, tmp_path / "ndjson")
    rescreen_directory(tmp_path / "run", tmp_path / "ndjson", local_run)
    diff = orjson.loads((tmp_path / "run" / "diff.json").read_bytes())
    was_candidate = {
        r["trialId"]
        for r in read_rows(local_run / "results.ndjson")
        if r["patientId"] == gone and r["verdict"] != "ineligible"
    }
    assert diff["leftInput"] == [gone]
    assert {d["trialId"] for d in diff["droppedOut"] if d["why"] == "no longer in the input"} == (
        was_candidate
    )


def test_only_the_changed_patient_is_reevaluated(
    rescreen_run: Path, changed_dir: tuple[Path, str]
) -> None:
    """On the same date with the same rules, the diff and manifest name exactly the patient whose
    data changed.
    """
    diff = orjson.loads((rescreen_run / "diff.json").read_bytes())
    assert diff["reevaluatedPatients"] == [changed_dir[1]]


def test_the_manifest_says_why_each_was_reevaluated(rescreen_run: Path, local_run: Path) -> None:
    """The manifest counts one changed patient and carries over everyone else."""
    rescreen = _manifest(rescreen_run)["rescreen"]
    patients = _manifest(local_run)["counts"]["patients"]
    assert rescreen == {
        "mode": "data digests",
        "carriedPatients": patients - 1,
        "reevaluatedPatients": {"changed": 1, "expiring": 0, "new": 0},
    }


def test_the_diff_says_the_changed_patient_dropped_out(
    rescreen_run: Path, changed_dir: tuple[Path, str], local_run: Path
) -> None:
    """The child is no longer a candidate for any trial it was one for; the diff names it with
    the failed criteria.
    """
    before = {
        r["trialId"]
        for r in read_rows(local_run / "results.ndjson")
        if r["patientId"] == changed_dir[1] and r["verdict"] != "ineligible"
    }
    diff = orjson.loads((rescreen_run / "diff.json").read_bytes())
    dropped = {d["trialId"] for d in diff["droppedOut"] if d["patientId"] == changed_dir[1]}
    assert before
    assert dropped == before


def test_rescreen_rows_equal_a_full_screen(
    rescreen_run: Path, changed_dir: tuple[Path, str], tmp_path: Path
) -> None:
    """Carried-over and re-evaluated rows together are exactly the rows of screening the changed
    input from scratch.
    """
    full = tmp_path / "full"
    run_screen(
        ScreenOptions(
            out=full, as_of=AS_OF, ndjson=str(changed_dir[0]), workers=1, bucket_bytes=BUCKET_BYTES
        )
    )
    assert _compared(rescreen_run) == _compared(full)


def test_a_later_date_reevaluates_the_expiring_patients(
    local_run: Path, population_dir: Path, tmp_path: Path
) -> None:
    """Unchanged data a year later: exactly the patients a result of which stops holding by then
    are evaluated again.
    """
    manifest = rescreen_directory(tmp_path / "later", population_dir, local_run, days_later=365)
    expiring = expiring_patients(
        read_rows(local_run / "results.ndjson"), AS_OF + timedelta(days=365)
    )
    diff = orjson.loads((tmp_path / "later" / "diff.json").read_bytes())
    assert expiring
    assert set(diff["reevaluatedPatients"]) == expiring
    assert manifest["rescreen"]["reevaluatedPatients"]["expiring"] == len(expiring)


def test_a_new_rules_version_reevaluates_everyone(
    local_run: Path, population_dir: Path, tmp_path: Path
) -> None:
    """When the previous run had other rules, every patient is evaluated and the manifest says
    why.
    """
    previous = tmp_path / "previous"
    shutil.copytree(local_run, previous)
    body = _manifest(previous)
    body["rulesVersion"] = "an-older-version"
    (previous / "manifest.json").write_bytes(orjson.dumps(body))
    manifest = rescreen_directory(tmp_path / "new-rules", population_dir, previous)
    diff = orjson.loads((tmp_path / "new-rules" / "diff.json").read_bytes())
    assert manifest["rescreen"] == {"mode": "everyone", "why": "the rulesVersion changed"}
    assert len(diff["reevaluatedPatients"]) == body["counts"]["patients"]
