"""A bound on evaluations running at once per process, so health checks and light calls always
find a free thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from service.errors import ServiceUnavailable


class EvaluationGate:
    """At most `slots` evaluations at once; one more is refused at once with 503 (waiting would
    hold the very thread health needs).
    """

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError("slots must be at least 1")
        self.slots = slots
        self._free = threading.BoundedSemaphore(slots)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot for the length of an evaluation (body read, FHIR fetch, evaluation), or
        raise ServiceUnavailable.
        """
        if not self._free.acquire(blocking=False):
            raise ServiceUnavailable(
                f"all {self.slots} evaluation slots of this worker are busy; retry shortly",
                retry_after=1,
                details={"reason": "evaluations-busy"},
            )
        try:
            yield
        finally:
            self._free.release()
