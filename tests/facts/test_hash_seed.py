"""The same record gives the same report in every process, whatever PYTHONHASHSEED is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers.records import bundle, day, lab

QTCB, QTCF, QTC_ANY, ANC = "76635-2", "76634-5", "8636-3", "751-8"
SCRIPT = """
import json, sys
from datetime import date
from service.evaluation.evaluate import evaluate_trial
from service.records.bundle import record_from_bundle
from service.rulebook.book import load_rulebook
book = load_rulebook()
record = record_from_bundle(json.load(open(sys.argv[1])))
day = date.fromisoformat(sys.argv[2])
reports = [evaluate_trial(book, book.trials[t], record, day).to_json() for t in sorted(book.trials)]
print(json.dumps(reports, sort_keys=True))
"""


def test_same_day_conflicts_give_one_report_under_every_hash_seed(tmp_path: Path) -> None:
    """Same-time QTc corrections and same-day ANCs are evaluated identically under four hash
    seeds.
    """
    ecg = day(3) + "T10:00:00+08:00"
    record = bundle(
        lab(QTCB, 462, "ms", effectiveDateTime=ecg),
        lab(QTCF, 441, "ms", effectiveDateTime=ecg),
        lab(QTC_ANY, 455, "ms", effectiveDateTime=ecg),
        lab(ANC, 1.4, "10*9/L", effectiveDateTime=day(1)),
        lab(ANC, 1.6, "10*9/L", effectiveDateTime=day(1)),
    )
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record))
    outputs = set()
    for seed in ("0", "1", "2", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", SCRIPT, str(path), day(0)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            timeout=120,
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1
    assert '"criteria"' in next(iter(outputs))
