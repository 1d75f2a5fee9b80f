"""Write every report and card for the Synthea records and fixture Bundles to one file, to check an
optimisation changes none.

Run: python bench/same_reports.py OUT.json  (then compare two runs' files byte for byte: `cmp
before.json after.json`) Covers the 11 Synthea records ($SYNTHEA_DIR) and every fixture Bundle, as
of three dates, against all five trials, and the CDS cards (ineligible ones included) of each
evaluation.
"""

from __future__ import annotations

import hashlib
import os
import sys
from datetime import date
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.cds.cards import cards_for  # noqa: E402
from service.evaluation.evaluate import evaluate_trials  # noqa: E402
from service.records.bundle import record_from_bundle  # noqa: E402
from service.rulebook.book import load_rulebook  # noqa: E402

SYNTHEA = Path(os.environ.get("SYNTHEA_DIR") or ROOT.parent / "shared" / "fhir" / "synthea")
AS_OF = (date(2020, 6, 1), date(2026, 11, 20), date(1990, 1, 1))


def main() -> None:
    """Evaluate every Bundle on every date and write the reports and cards, sorted keys, one line
    each.
    """
    book = load_rulebook()
    trials = list(book.trials.values())
    urls = {t.id: t.url for t in trials}
    paths = sorted(SYNTHEA.glob("*.json")) + sorted((ROOT / "fhir_fixtures").glob("NCT*/*.json"))
    lines = []
    for path in paths:
        bundle = orjson.loads(path.read_bytes())
        if bundle.get("resourceType") != "Bundle":
            continue
        for as_of in AS_OF:
            reports = evaluate_trials(book, trials, record_from_bundle(bundle), as_of)
            cards = cards_for(
                reports, "same-reports", urls, show_ineligible=True, report_base="http://x"
            )
            lines.append(
                orjson.dumps(
                    {
                        "path": path.name,
                        "asOf": as_of.isoformat(),
                        "reports": [r.to_json() for r in reports],
                        "cards": cards,
                    },
                    option=orjson.OPT_SORT_KEYS,
                )
            )
    data = b"\n".join(lines)
    Path(sys.argv[1]).write_bytes(data)
    print(
        f"{len(lines)} evaluations of {len(paths)} Bundles; sha256 "
        f"{hashlib.sha256(data).hexdigest()}"
    )


if __name__ == "__main__":
    main()
