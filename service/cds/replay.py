"""Remember accepted JWT ids in SQLite, so a token replayed to another gunicorn worker (or after a restart) is refused."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

BUSY_TIMEOUT_SECONDS = 5.0
_SCHEMA = "CREATE TABLE IF NOT EXISTS seen_jti (issuer TEXT NOT NULL, jti TEXT NOT NULL, forget_after REAL NOT NULL, PRIMARY KEY (issuer, jti))"


class SqliteReplayCache:
    """The (iss, jti) pairs already accepted, shared by every process using the same file; expired pairs are purged."""

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        self._ready = False

    def remember(self, issuer: str, jti: str, forget_after: float, now: float) -> bool:
        """Record a token; False if the same issuer's jti is still remembered (a replay)."""
        with closing(self._connect()) as connection, connection:
            connection.execute("DELETE FROM seen_jti WHERE forget_after < ?", (now,))
            # The primary key makes the check and the insert one atomic step across processes.
            inserted = connection.execute("INSERT OR IGNORE INTO seen_jti (issuer, jti, forget_after) VALUES (?, ?, ?)", (issuer, jti, forget_after))
            return inserted.rowcount == 1

    def __len__(self) -> int:
        with closing(self._connect()) as connection:
            (count,) = connection.execute("SELECT COUNT(*) FROM seen_jti").fetchone()
            return int(count)

    def _connect(self) -> sqlite3.Connection:
        if not self._ready:
            self._path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self._path, timeout=BUSY_TIMEOUT_SECONDS)
        if not self._ready:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(_SCHEMA)
            connection.commit()
            self._ready = True
        return connection
