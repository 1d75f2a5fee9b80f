"""Time fhirpathpy on the side-by-side's expressions (runs in bench/.venv-peers, never the service's
venv).

Run by run.py: python peer_fhirpathpy.py BUNDLE.json EXPRESSIONS.json RUNS; prints one JSON line.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import orjson
from fhirpathpy import compile as compile_path


def main() -> None:
    """Compile each expression once, then evaluate all of them over the Bundle RUNS times."""
    bundle = orjson.loads(Path(sys.argv[1]).read_bytes())
    expressions = orjson.loads(Path(sys.argv[2]).read_bytes())
    runs = int(sys.argv[3])
    compiled = {cid: compile_path(expr) for cid, expr in expressions.items()}
    samples, answers = [], {}
    for _ in range(runs):
        start = time.process_time()
        answers = {cid: fn(bundle) for cid, fn in compiled.items()}
        samples.append((time.process_time() - start) * 1000)
    print(
        orjson.dumps(
            {
                "engine": "fhirpathpy",
                "ms": sorted(samples),
                "answers": {k: list(v) for k, v in answers.items()},
            }
        ).decode()
    )


if __name__ == "__main__":
    main()
