"""The Dask engine: a LocalCluster sized to the machine or an existing scheduler, and task maps
with progress and cancel.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from service.errors import EligibilityError

SCHEDULER_ENV = "ELIGIBILITY_DASK_SCHEDULER"
# A bucket whose worker died is retried on another worker; only a bucket that keeps failing stops
# the run.
TASK_RETRIES = 2


class EngineError(EligibilityError):
    """The Dask scheduler cannot be reached, or a task failed for good; names the cause."""

    status = 502
    code = "engine-error"


class Cancelled(EligibilityError):
    """The screen was cancelled; finished buckets stay as checkpoints."""

    status = 409
    code = "cancelled"


@dataclass
class Engine:
    """A connected Dask client and what it runs on."""

    client: Any
    scheduler: str
    workers: int
    # The LocalCluster this process started (None on an existing scheduler: never shut down here).
    cluster: Any = None
    _closing: threading.Thread | None = field(default=None, repr=False)

    def describe(self) -> dict[str, Any]:
        """Render for the manifest."""
        return {"name": "dask", "scheduler": self.scheduler, "workers": self.workers}

    def release(self) -> None:
        """Start closing the client and the LocalCluster in a thread, once no task is left.

        Stopping a LocalCluster's worker processes takes ~0.8 s that does not scale with workers:
        the driver writes the outputs meanwhile.
        """
        if self._closing is None:
            self._closing = threading.Thread(target=self._close, name="close-engine")
            self._closing.start()

    def close(self) -> None:
        """Close the client and the LocalCluster, and wait until they are closed."""
        self.release()
        if self._closing is not None:
            self._closing.join()

    def _close(self) -> None:
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()


def scheduler_address(option: str | None) -> str | None:
    """Return the scheduler to use: the option, else ELIGIBILITY_DASK_SCHEDULER, else None (a
    LocalCluster).
    """
    return option or os.environ.get(SCHEDULER_ENV) or None


@contextmanager
def open_engine(
    scheduler: str | None = None, workers: int | None = None, connect_timeout: float = 10.0
) -> Iterator[Engine]:
    """Connect to a scheduler, or start a LocalCluster of single-threaded worker processes (one
    per core).
    """
    # PLC0415: Dask is imported only by the population mode
    from distributed import Client, LocalCluster  # noqa: PLC0415

    address = scheduler_address(scheduler)
    cluster = None
    try:
        if address:
            try:
                client = Client(address, timeout=f"{connect_timeout}s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise EngineError(
                    f"the Dask scheduler {address} cannot be reached ({type(exc).__name__}: {exc})"
                ) from exc
        else:
            # Processes, one thread each: the evaluator is pure Python and holds the GIL. The
            # scheduler always serves HTTP; ":0" takes a free port instead of warning about a busy
            # 8787.
            cluster = LocalCluster(
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=logging.ERROR,
            )
            client = Client(cluster)
            address = "local"
    except BaseException:
        if cluster is not None:
            cluster.close()
        raise
    engine = Engine(client, address, 0, cluster)
    try:
        engine.workers = len(client.scheduler_info()["workers"])
        yield engine
    finally:
        engine.close()


def run_tasks(
    engine: Engine,
    function: Callable[..., dict[str, Any]],
    calls: Sequence[tuple[Any, ...]],
    name: str,
    on_result: Callable[[dict[str, Any]], None],
    cancel: threading.Event | None = None,
) -> list[dict[str, Any]]:
    """Run ``function(*call)`` for every call on the cluster, calling ``on_result`` as each
    finishes; EngineError on a failed task.
    """
    from distributed import as_completed  # noqa: PLC0415

    if not calls:
        return []
    futures = [
        engine.client.submit(
            function,
            *call,
            key=f"{name}-{i}-{os.getpid()}-{id(calls)}",
            pure=False,
            retries=TASK_RETRIES,
        )
        for i, call in enumerate(calls)
    ]
    results = []
    done = threading.Event()
    if cancel is not None:
        # DELETE on the API sets ``cancel`` from another thread: cancel the futures at once, not
        # when the next one finishes.
        def watch() -> None:
            while not done.wait(0.2):
                if cancel.is_set():
                    engine.client.cancel(futures)
                    return

        threading.Thread(target=watch, name=f"cancel-{name}", daemon=True).start()
    try:
        for future in as_completed(futures):
            if cancel is not None and cancel.is_set():
                raise Cancelled("the screen was cancelled")
            try:
                result = future.result()
            # BLE001: a task's own error, or a worker lost more often than the retries allow
            except Exception as exc:  # noqa: BLE001
                raise EngineError(
                    f"a {name} task failed: {type(exc).__name__}: {str(exc)[:300]}"
                ) from exc
            results.append(result)
            on_result(result)
    finally:
        done.set()
        engine.client.cancel([f for f in futures if not f.done()])
    return results
