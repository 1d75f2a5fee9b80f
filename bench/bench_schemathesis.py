"""Fuzz: schemathesis over every operation of openapi.yaml, against the app with CDS JWT
verification on and off; count 5xx.

Run: python bench/bench_schemathesis.py [--examples 80]
Generated requests are derandomized (the same every run). Prints the statuses per mode and every
5xx; the last line is one JSON object with the figures (requests and 5xx per mode).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service import create_app  # noqa: E402
from tests.helpers.schemathesis_run import fuzz  # noqa: E402


def main() -> None:
    """Fuzz both modes and print the figures."""
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument(
        "--examples",
        type=int,
        default=80,
        help="generated requests per operation and mode (at most)",
    )
    args = parser.parse_args()
    # The refusals are expected by the thousand; their log lines are not the point here.
    logging.disable(logging.WARNING)
    figures: dict[str, object] = {"bench": "schemathesis", "examplesPerOperation": args.examples}
    for mode, verify in (("jwtOn", True), ("jwtOff", False)):
        with tempfile.TemporaryDirectory() as tmp:
            app = create_app({"CDS_FEEDBACK_DB": f"{tmp}/cds.sqlite3", "CDS_JWT_VERIFY": verify})
            started = time.monotonic()
            statuses, errors, undocumented = fuzz(app, args.examples)
        requests = sum(statuses.values())
        print(
            f"{mode}: {requests} requests in {time.monotonic() - started:.0f} s, statuses "
            f"{dict(sorted(statuses.items()))}, "
            f"5xx {len(errors)}, undocumented {len(undocumented)}"
        )
        for error in errors + undocumented:
            print("  " + error)
        figures[f"{mode}Requests"] = requests
        figures[f"{mode}ServerErrors"] = len(errors)
        figures[f"{mode}Undocumented"] = len(undocumented)
    print(orjson.dumps(figures).decode())


if __name__ == "__main__":
    main()
