"""Screens started through the API: one background thread each, with a cancel flag, found again
by run id.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from service.errors import EligibilityError, frames_of
from service.population.files import read_json
from service.population.run import ScreenOptions, run_screen

log = logging.getLogger(__name__)


class TooManyScreens(EligibilityError):
    """Another screen is already running in this process (each one uses every core)."""

    status = 429
    code = "too-many-screens"


@dataclass
class Job:
    """A running screen: its thread and cancel flag."""

    thread: threading.Thread
    cancel: threading.Event = field(default_factory=threading.Event)


class Jobs:
    """The screens of one app process; finished ones live on as their run directories."""

    def __init__(self, root: Path, max_running: int = 1) -> None:
        self.root = root
        self.max_running = max_running
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(self, run_id: str, options: ScreenOptions) -> None:
        """Run a screen in the background; TooManyScreens when the limit is reached."""
        with self._lock:
            running = [j for j in self._jobs.values() if j.thread.is_alive()]
            if len(running) >= self.max_running:
                raise TooManyScreens(
                    f"{len(running)} screen(s) already running; try again when it finishes"
                )
            cancel = threading.Event()
            thread = threading.Thread(
                target=self._run, args=(options, cancel), name=f"screen-{run_id}", daemon=True
            )
            self._jobs[run_id] = Job(thread, cancel)
            thread.start()

    def _run(self, options: ScreenOptions, cancel: threading.Event) -> None:
        try:
            run_screen(options, cancel=cancel)
        except EligibilityError as exc:
            log.warning("population screen stopped: %s", exc.code)  # the manifest holds the message
        except Exception as exc:
            # As the request handler does: the type and frames, not the message (it can quote a
            # patient's record).
            log.error(
                "population screen failed: %s\n%s",
                type(exc).__name__,
                frames_of(exc),
            )

    def manifest(self, run_id: str) -> dict[str, Any] | None:
        """Return a run's manifest, or None when there is no such run."""
        path = self.root / run_id / "manifest.json"
        return read_json(path) if path.is_file() else None

    def cancel(self, run_id: str) -> bool:
        """Ask a running screen to stop; False when it is not running here."""
        job = self._jobs.get(run_id)
        if job is None or not job.thread.is_alive():
            return False
        job.cancel.set()
        return True

    def wait(self, run_id: str, timeout: float) -> None:
        """Wait for a screen's thread (tests and shutdown)."""
        job = self._jobs.get(run_id)
        if job is not None:
            job.thread.join(timeout)
