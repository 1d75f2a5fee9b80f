"""Bench: the JWT replay check (remember()) on each CDS state back-end, SQLite (WAL,
synchronous=NORMAL) and a local Redis.

Run: python bench/bench_state.py [--calls 5000] [--threads 1] [--redis-url redis://127.0.0.1:6379/0]
Without --redis-url it starts its own redis-server on 127.0.0.1 (Debian package redis-server; no
persistence) in a temp dir. Each call remembers a fresh jti, as every accepted token does. Prints
the figures, then one JSON line {"calls": n, "threads": t, "sqlite_p50_ms": .., "sqlite_p99_ms": ..,
"redis_p50_ms": .., "redis_p99_ms": ..}.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.cds.state import State, StateOptions, open_state  # noqa: E402
from tests.helpers.redis_server import RedisServer  # noqa: E402


def timings(state: State, calls: int, threads: int) -> list[float]:
    """Milliseconds per remember() of ``calls`` fresh jti values, split over ``threads`` threads
    (after 200 warm-up calls).
    """
    replays = state.replays
    assert replays is not None  # noqa: S101 - both back-ends have a replay store
    for _ in range(200):
        replays.remember(
            "https://ehr.example.com/", str(uuid.uuid4()), time.time() + 300, time.time()
        )
    found: list[float] = []
    lock = threading.Lock()

    def run(count: int) -> None:
        mine = []
        for _ in range(count):
            jti = str(uuid.uuid4())
            started = time.perf_counter()
            accepted = replays.remember(
                "https://ehr.example.com/", jti, time.time() + 300, time.time()
            )
            mine.append((time.perf_counter() - started) * 1000)
            assert accepted  # noqa: S101 - a fresh jti is never a replay
        with lock:
            found.extend(mine)

    workers = [threading.Thread(target=run, args=(calls // threads,)) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return found


def percentile(values: list[float], share: float) -> float:
    """The value below which ``share`` of ``values`` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    """Time both back-ends and print the JSON line."""
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--redis-url",
        default=None,
        help="an existing Redis (its keys under trial-eligibility: are written)",
    )
    args = parser.parse_args()
    figures: dict[str, float | int] = {"calls": args.calls, "threads": args.threads}
    with tempfile.TemporaryDirectory() as tmp:
        server = None if args.redis_url else RedisServer(Path(tmp))
        urls = {
            "sqlite": f"sqlite:///{Path(tmp) / 'state.sqlite3'}",
            "redis": args.redis_url or (server.url if server else ""),
        }
        try:
            for kind, url in urls.items():
                state = open_state(url, None, StateOptions())
                found = timings(state, args.calls, args.threads)
                state.close()
                figures[f"{kind}_p50_ms"] = round(statistics.median(found), 3)
                figures[f"{kind}_p99_ms"] = round(percentile(found, 0.99), 3)
                print(
                    f"{kind:<7} remember(): p50 {figures[f'{kind}_p50_ms']} ms, p99 "
                    f"{figures[f'{kind}_p99_ms']} ms over {len(found)} calls"
                )
        finally:
            if server is not None:
                server.stop()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
