"""The SQLite jti store: a jti is accepted once, across instances (processes) and restarts, until it expires."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from service.cds.replay import SqliteReplayCache


def test_first_use_is_accepted_and_a_replay_refused(tmp_path: Path) -> None:
    """The first remember() of an (iss, jti) is True; the second, while unexpired, False."""
    cache = SqliteReplayCache(tmp_path / "cds.sqlite3")
    assert cache.remember("https://ehr", "j1", forget_after=200.0, now=100.0)
    assert not cache.remember("https://ehr", "j1", forget_after=200.0, now=150.0)


def test_the_same_jti_from_another_issuer_is_another_token(tmp_path: Path) -> None:
    """jti values are unique per issuer only: the same jti from a second issuer is not a replay."""
    cache = SqliteReplayCache(tmp_path / "cds.sqlite3")
    assert cache.remember("https://ehr-a", "j1", 200.0, 100.0)
    assert cache.remember("https://ehr-b", "j1", 200.0, 100.0)


def test_a_replay_to_another_instance_on_the_same_file_is_refused(tmp_path: Path) -> None:
    """Two caches on one file (two gunicorn workers, or a restart) share what they have seen."""
    path = tmp_path / "cds.sqlite3"
    assert SqliteReplayCache(path).remember("https://ehr", "j1", 200.0, 100.0)
    assert not SqliteReplayCache(path).remember("https://ehr", "j1", 200.0, 101.0)


def test_expired_entries_are_forgotten(tmp_path: Path) -> None:
    """Once past forget_after the pair is purged (the token itself would be refused as expired anyway)."""
    cache = SqliteReplayCache(tmp_path / "cds.sqlite3")
    cache.remember("https://ehr", "old", 200.0, 100.0)
    cache.remember("https://ehr", "new", 400.0, 300.0)
    assert len(cache) == 1


def _remember(path: str, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    results.put(SqliteReplayCache(path).remember("https://ehr", "raced", 1e12, 0.0))


def test_concurrent_processes_accept_a_jti_exactly_once(tmp_path: Path) -> None:
    """Four processes racing with the same jti: exactly one is accepted."""
    path = str(tmp_path / "cds.sqlite3")
    SqliteReplayCache(path).remember("https://ehr", "warm-up", 1e12, 0.0)  # create the schema first
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [context.Process(target=_remember, args=(path, results)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert sorted(results.get(timeout=5) for _ in workers) == [False, False, False, True]
