"""The shared jti store, on SQLite and on Redis: a jti is accepted once, across instances,
processes and restarts, until it expires.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import time
from pathlib import Path

from service.cds.state import State, StateOptions, open_state
from service.cds.trust.replay import SqliteReplayCache


def test_first_use_is_accepted_and_a_replay_refused(state: State) -> None:
    """The first remember() of an (iss, jti) is True; the second, while unexpired, False."""
    assert state.replays is not None
    now = time.time()
    assert state.replays.remember("https://ehr", "j1", forget_after=now + 100, now=now)
    assert not state.replays.remember("https://ehr", "j1", forget_after=now + 100, now=now + 50)


def test_the_same_jti_from_another_issuer_is_another_token(state: State) -> None:
    """jti values are unique per issuer only: the same jti from a second issuer is not a replay."""
    assert state.replays is not None
    now = time.time()
    assert state.replays.remember("https://ehr-a", "j1", now + 100, now)
    assert state.replays.remember("https://ehr-b", "j1", now + 100, now)


def test_issuer_and_jti_do_not_run_together(state: State) -> None:
    """("https://ehr", "ab") and ("https://ehra", "b") are two tokens, however the pair is keyed."""
    assert state.replays is not None
    now = time.time()
    assert state.replays.remember("https://ehr", "ab", now + 100, now)
    assert state.replays.remember("https://ehra", "b", now + 100, now)


def test_a_replay_to_another_instance_on_the_same_store_is_refused(state_url: str) -> None:
    """Two stores opened on one URL (two workers, two replicas, or a restart) share what they
    have seen.
    """
    first, second = (
        open_state(state_url, None, StateOptions()),
        open_state(state_url, None, StateOptions()),
    )
    assert first.replays is not None
    assert second.replays is not None
    now = time.time()
    try:
        assert first.replays.remember("https://ehr", "j1", now + 100, now)
        assert not second.replays.remember("https://ehr", "j1", now + 100, now + 1)
    finally:
        first.close()
        second.close()


def test_expired_entries_are_forgotten(state: State) -> None:
    """Once past forget_after the pair is forgotten (the token itself would be refused as expired
    anyway).
    """
    assert state.replays is not None
    now = time.time()
    assert state.replays.remember("https://ehr", "short-lived", now + 0.2, now)
    time.sleep(0.4)
    later = time.time()
    assert state.replays.remember("https://ehr", "short-lived", later + 100, later)


def _remember(url: str, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    state = open_state(url, None, StateOptions())
    assert state.replays is not None  # noqa: S101 - a child process's precondition
    results.put(state.replays.remember("https://ehr", "raced", 1e12, time.time()))
    state.close()


def test_concurrent_processes_accept_a_jti_exactly_once(state: State, state_url: str) -> None:
    """Four processes racing with the same jti: exactly one is accepted."""
    assert state.replays is not None
    state.replays.remember(
        "https://ehr", "warm-up", 1e12, time.time()
    )  # create the SQLite schema first
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [context.Process(target=_remember, args=(state_url, results)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert sorted(results.get(timeout=5) for _ in workers) == [False, False, False, True]


def test_the_sqlite_purge_of_expired_ids_uses_an_index(tmp_path: Path) -> None:
    """The purge that runs on every call finds expired pairs by an index, not a scan of them all."""
    path = tmp_path / "replay.sqlite3"
    cache = SqliteReplayCache(path)
    assert cache.remember("https://ehr", "j1", forget_after=100.0, now=1.0)
    with sqlite3.connect(path) as connection:
        plan = connection.execute(
            "EXPLAIN QUERY PLAN DELETE FROM seen_jti WHERE forget_after < ?", (1.0,)
        ).fetchall()
    assert "USING INDEX seen_jti_forget_after" in " ".join(str(row[-1]) for row in plan)
