"""A whole run on a LocalCluster: the same rows as per-patient evaluation, counts, outputs,
checkpoints, and clear failures.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import orjson
import pytest

from service.evaluation.evaluate import evaluate_trials
from service.population.engine import EngineError
from service.population.inputs import InputError
from service.population.run import ScreenOptions, run_screen
from service.population.screen import row_from_report
from service.records.bundle import record_from_bundle
from service.rulebook.book import Rulebook
from tests.helpers.population import AS_OF, BUCKET_BYTES, results

ROW_KEYS = ("verdict", "counts", "failed", "unknown", "review", "toObtain")


def test_every_row_equals_per_patient_evaluation(
    local_run: Path, population_bundles: list[dict[str, Any]], book: Rulebook
) -> None:
    """Each patient × trial row of the run has the verdict, statuses, labs and date of evaluating
    that patient's Bundle alone.
    """
    rows = results(local_run)
    expected = {}
    for bundle in population_bundles:
        record = record_from_bundle(bundle)
        for report in evaluate_trials(book, list(book.trials.values()), record, AS_OF):
            full = row_from_report(report)
            expected[(record.patient_id, report.trial_id)] = {k: full[k] for k in ROW_KEYS}
    assert len(expected) == len(population_bundles) * len(book.trials)
    assert {k: {f: r[f] for f in ROW_KEYS} for k, r in rows.items()} == expected


def test_manifest_counts_every_line(
    local_run: Path, population_bundles: list[dict[str, Any]]
) -> None:
    """The manifest counts the patients, the unreadable line (with file and line) and the orphan
    resource; the run completed on 2 workers.
    """
    manifest = orjson.loads((local_run / "manifest.json").read_bytes())
    assert manifest["status"] == "completed"
    assert manifest["engine"] == {"name": "dask", "scheduler": "local", "workers": 2}
    assert manifest["counts"]["patients"] == len(population_bundles)
    assert (manifest["counts"]["unreadable"], manifest["counts"]["unattributed"]) == (1, 1)
    assert [i["file"] for i in manifest["inputIssues"] if i["kind"] == "unreadable"] == [
        "Observation.ndjson"
    ]
    assert manifest["progress"]["bucketsDone"] == manifest["progress"]["buckets"] > 2
    assert manifest["failedPatients"] == []


def test_outputs_exist_per_trial(local_run: Path, book: Rulebook) -> None:
    """Each trial has attrition.json over the whole population, a worklist and a Group."""
    manifest = orjson.loads((local_run / "manifest.json").read_bytes())
    assert len(book.trials) == 5
    for trial_id in book.trials:
        attrition = orjson.loads((local_run / "trials" / trial_id / "attrition.json").read_bytes())
        assert attrition["population"] == manifest["counts"]["patients"]
        assert (
            (local_run / "trials" / trial_id / "worklist.csv")
            .read_text()
            .startswith("rank,patientId,mrn,")
        )
        group = orjson.loads((local_run / "trials" / trial_id / "group.json").read_bytes())
        summary = manifest["summary"][trial_id]
        assert group["quantity"] == summary["eligible"] + summary["insufficient-data"]


def test_a_completed_run_leaves_no_partitioned_input(local_run: Path) -> None:
    """parts/ is deleted once every bucket is done (while the outputs are written), the results
    kept.
    """
    assert orjson.loads((local_run / "manifest.json").read_bytes())["status"] == "completed"
    assert not (local_run / "parts").exists()
    assert list((local_run / "results").glob("bucket-?????.ndjson"))


@pytest.mark.parametrize("lost_file", ["bucket-{:05d}.ndjson", "bucket-{:05d}.candidates.ndjson"])
def test_rerun_completes_only_the_lost_bucket(
    local_run: Path, population_dir: Path, tmp_path: Path, lost_file: str
) -> None:
    """A rerun in the same run directory skips finished buckets and recomputes one that lost its
    results or its candidates file, giving the same rows, attrition and worklists.
    """
    import shutil

    run = tmp_path / "rerun"
    shutil.copytree(local_run, run)
    before = results(run)
    outputs = {
        p: p.read_bytes()
        for p in (run / "trials").glob("*/*")
        if p.suffix != ".json" or p.name == "attrition.json"
    }
    buckets = sorted((run / "results").glob("bucket-?????.ndjson"))
    lost_bucket = next(b for b in buckets if b.stat().st_size)
    lost = lost_bucket.with_name(lost_file.format(int(lost_bucket.stem.split("-")[1])))
    recomputed_stamp = lost_bucket.stat().st_mtime_ns
    lost.unlink()
    stamps = {b: b.stat().st_mtime_ns for b in buckets if b != lost_bucket}
    run_screen(
        ScreenOptions(
            out=run, as_of=AS_OF, ndjson=str(population_dir), workers=1, bucket_bytes=BUCKET_BYTES
        )
    )
    assert lost.exists()
    assert lost_bucket.stat().st_mtime_ns != recomputed_stamp  # the bucket ran again
    assert {b: b.stat().st_mtime_ns for b in stamps} == stamps
    assert results(run) == before
    assert len(outputs) >= 2
    assert {p: p.read_bytes() for p in outputs} == outputs


def test_unreachable_scheduler_stops_with_its_address(population_dir: Path, tmp_path: Path) -> None:
    """A scheduler nobody listens on stops the run with a message naming it; the manifest says
    failed.
    """
    with pytest.raises(EngineError, match=re.escape("tcp://127.0.0.1:9 cannot be reached")):
        run_screen(
            ScreenOptions(
                out=tmp_path / "r",
                as_of=AS_OF,
                ndjson=str(population_dir),
                scheduler="tcp://127.0.0.1:9",
                connect_timeout=1,
            )
        )
    assert orjson.loads((tmp_path / "r" / "manifest.json").read_bytes())["status"] == "failed"


def test_unreadable_input_stops_with_its_url(tmp_path: Path) -> None:
    """An input URL that does not exist stops the run naming it."""
    os.environ.pop("ELIGIBILITY_DASK_SCHEDULER", None)
    with pytest.raises(InputError, match="does not exist"):
        run_screen(
            ScreenOptions(
                out=tmp_path / "r", as_of=AS_OF, ndjson=str(tmp_path / "missing"), workers=1
            )
        )
