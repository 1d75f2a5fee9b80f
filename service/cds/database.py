"""The CDS SQLite file (feedback, issued cards, seen JWT ids): one connection per thread, WAL,
bounded waits, 503 when busy.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from service.errors import ServiceUnavailable

log = logging.getLogger(__name__)

# How long a call waits for a lock held elsewhere (a backup, VACUUM, another worker) before
# answering 503.
DEFAULT_BUSY_TIMEOUT_SECONDS = 2.0
RETRY_AFTER_SECONDS = 2


class Database:
    """One SQLite file: a connection per thread (and per process: never one inherited across
    fork), created with its schema once.
    """

    def __init__(
        self, path: str | Path, schema: str, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT_SECONDS
    ) -> None:
        self.path = Path(path)
        self._schema = schema
        self._busy_timeout = busy_timeout
        self._local = threading.local()
        self._ready = False
        self._create_lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is not None and getattr(self._local, "pid", None) == os.getpid():
            return connection
        self._create()
        # isolation_level=None: transactions are begun explicitly (BEGIN IMMEDIATE takes the write
        # lock up front, so the busy wait applies).
        connection = sqlite3.connect(
            self.path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=True
        )
        connection.row_factory = sqlite3.Row
        # NORMAL is durable across application crashes in WAL mode; a commit costs ~0.1 ms instead
        # of an fsync (GUIDE: 27 ms p50).
        connection.execute("PRAGMA synchronous=NORMAL")
        self._local.connection, self._local.pid = connection, os.getpid()
        return connection

    def _create(self) -> None:
        """Create the file, switch it to WAL (the mode persists in the file) and create the
        tables, once per process.
        """
        with self._create_lock:
            if self._ready:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with _unavailable_when_busy("open"):
                connection = sqlite3.connect(
                    self.path, timeout=self._busy_timeout, isolation_level=None
                )
                try:
                    connection.execute("PRAGMA journal_mode=WAL")
                    connection.executescript(self._schema)
                finally:
                    connection.close()
            self._ready = True

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE ... COMMIT, rolled back on error); 503 when the
        file stays locked past the wait.
        """
        connection = self._connection()
        with _unavailable_when_busy("write"):
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
                connection.execute("COMMIT")
            except BaseException:
                # Never leave this thread's connection inside a transaction (the next BEGIN would
                # fail).
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A connection to read from (WAL readers do not wait for writers)."""
        connection = self._connection()
        with _unavailable_when_busy("read"):
            yield connection


@contextmanager
def _unavailable_when_busy(action: str) -> Iterator[None]:
    """Turn SQLite's operational errors (locked, busy, I/O) into a 503 with Retry-After: the
    store is unavailable, not the request bad.
    """
    try:
        yield
    except sqlite3.OperationalError as exc:
        log.warning("CDS SQLite %s failed: %s", action, exc)
        raise ServiceUnavailable(
            "the CDS store is busy (its file is locked by another process); retry shortly",
            retry_after=RETRY_AFTER_SECONDS,
            details={"reason": "store-busy"},
        ) from exc
