"""Fixtures for the CDS tests: the CDS Client's keys and JWK Set, a real redis-server, and store
tests on both back-ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from service.cds.state import State, StateOptions, open_state
from tests.helpers.redis_server import RedisServer

BACKENDS = ("sqlite", "redis")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One redis-server for the whole session (fails, naming the package, when redis-server is
    not installed).
    """
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session's Redis, emptied for this test."""
    redis_server.flush()
    return redis_server.url


@pytest.fixture(params=BACKENDS)
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A STATE_URL for each back-end: a SQLite file under tmp_path, or the (emptied) session
    Redis.
    """
    if request.param == "redis":
        return str(request.getfixturevalue("redis_url"))
    return f"sqlite:///{tmp_path / 'state.sqlite3'}"


@pytest.fixture
def state(state_url: str) -> Iterator[State]:
    """The stores of one back-end, with a patient hash key and no comment retention."""
    opened = open_state(state_url, None, StateOptions(hash_key=b"k" * 32))
    yield opened
    opened.close()
