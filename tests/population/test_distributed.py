"""A real `dask scheduler` and two `dask worker` processes on 127.0.0.1: the same rows as the
local run; a killed worker loses only its bucket.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.population.run import ScreenOptions, run_screen
from tests.helpers.population import AS_OF, BUCKET_BYTES, results

DASK = Path(sys.executable).with_name("dask")


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _spawn(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    # Own process group, so the worker's nanny and its child process are stopped together.
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603
            [str(DASK), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """A scheduler and two single-threaded workers, stopped (and their process groups killed) at
    the end.
    """
    from distributed import Client

    logs = tmp_path_factory.mktemp("dask-logs")
    address = f"tcp://127.0.0.1:{_port()}"
    procs = [
        _spawn(
            [
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                address.rsplit(":", 1)[1],
                "--no-dashboard",
            ],
            logs / "scheduler.log",
        )
    ]
    try:
        for i in range(2):
            procs.append(
                _spawn(
                    [
                        "worker",
                        address,
                        "--nthreads",
                        "1",
                        "--nworkers",
                        "1",
                        "--no-dashboard",
                        "--host",
                        "127.0.0.1",
                        "--name",
                        f"w{i}",
                    ],
                    logs / f"worker{i}.log",
                )
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                with Client(address, timeout="5s") as client:
                    client.wait_for_workers(2, timeout=max(1, deadline - time.monotonic()))
                break
            except (OSError, TimeoutError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield {"address": address, "procs": procs}
    finally:
        for proc in reversed(procs):
            _stop(proc)


def test_real_cluster_gives_the_local_rows(
    cluster: dict[str, object], local_run: Path, population_dir: Path, tmp_path: Path
) -> None:
    """The screen on a real scheduler with two worker processes writes exactly the rows of the
    LocalCluster run.
    """
    out = tmp_path / "remote"
    manifest = run_screen(
        ScreenOptions(
            out=out,
            as_of=AS_OF,
            ndjson=str(population_dir),
            scheduler=str(cluster["address"]),
            bucket_bytes=BUCKET_BYTES,
        )
    )
    assert manifest["engine"] == {"name": "dask", "scheduler": cluster["address"], "workers": 2}
    assert results(out) == results(local_run)


def test_killed_worker_loses_only_its_bucket(
    cluster: dict[str, object], local_run: Path, population_dir: Path, tmp_path: Path
) -> None:
    """A worker killed mid-run (SIGKILL, nanny too) loses its bucket, which the other worker
    redoes: the run completes with every row.
    """
    out = tmp_path / "killed"
    procs = cluster["procs"]
    assert isinstance(procs, list)
    victim = procs[-1]
    killed = threading.Event()

    def kill_when_started() -> None:
        # Kill as soon as the first bucket is done: the other buckets are queued or running on both
        # workers.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not list(
            (out / "results").glob("bucket-?????.ndjson")
        ):
            time.sleep(0.02)
        os.killpg(victim.pid, signal.SIGKILL)
        killed.set()

    threading.Thread(target=kill_when_started, daemon=True).start()
    manifest = run_screen(
        ScreenOptions(
            out=out,
            as_of=AS_OF,
            ndjson=str(population_dir),
            scheduler=str(cluster["address"]),
            bucket_bytes=BUCKET_BYTES // 3,
        )
    )
    assert killed.is_set()
    assert manifest["status"] == "completed"
    assert manifest["progress"]["bucketsDone"] == manifest["progress"]["buckets"]
    assert results(out) == results(local_run)
