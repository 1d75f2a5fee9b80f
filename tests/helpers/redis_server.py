"""A real redis-server for the tests: started on 127.0.0.1 on a free port, without persistence,
in a temporary directory.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import redis

INSTALL_HINT = (
    "redis-server is not on PATH: install it (apt-get update && apt-get install -y "
    "redis-server); the Redis state tests need a real server"
)


def free_port() -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """One redis-server process; ``url`` names database 0 on it."""

    def __init__(self, workdir: Path) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            # Fail, not skip: a missing server must not turn the Redis half of the store tests
            # silently green.
            raise RuntimeError(INSTALL_HINT)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._log = (workdir / "redis.log").open("wb")
        # S603: a fixed argument list, our own binary lookup
        self._process = subprocess.Popen(  # noqa: S603
            [
                executable,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(workdir),
                "--protected-mode",
                "yes",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_until_ready()

    def _wait_until_ready(self, seconds: float = 20.0) -> None:
        """Poll PING until the server answers; fail with its log if it exits or never answers."""
        deadline = time.monotonic() + seconds
        with redis.Redis.from_url(
            self.url, socket_timeout=0.5, socket_connect_timeout=0.5
        ) as client:
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    break
                try:
                    if client.ping():
                        return
                except redis.ConnectionError:
                    time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not answer PING on port {self.port}")

    def flush(self) -> None:
        """Empty every database, so each test starts from nothing."""
        with redis.Redis.from_url(self.url) as client:
            client.flushall()

    def stop(self) -> None:
        """Stop the server and wait for it."""
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._log.close()
