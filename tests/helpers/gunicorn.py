"""Run the service under real gunicorn (the project's config file) on 127.0.0.1, and a FHIR
server that never answers.
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
from contextlib import contextmanager, suppress
from pathlib import Path

import requests

from tests.helpers import ROOT

GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(env: dict[str, str], log_dir: Path, *, workers: int = 1) -> Iterator[str]:
    """Start `gunicorn -c python:service.server.gunicorn_conf` with extra environment; yield its
    base URL; stop it.
    """
    port = free_port()
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ELIGIBILITY_")},
        "WEB_CONCURRENCY": str(workers),
        "ELIGIBILITY_CDS_FEEDBACK_DB": str(log_dir / "cds.sqlite3"),
        "PROMETHEUS_MULTIPROC_DIR": str(log_dir),
        **env,
    }
    with open(log_dir / "access.log", "wb") as access, open(log_dir / "error.log", "wb") as error:
        process = subprocess.Popen(  # noqa: S603 - our own gunicorn and config
            [
                str(GUNICORN),
                "-c",
                "python:service.server.gunicorn_conf",
                "--bind",
                f"127.0.0.1:{port}",
                "service.server.wsgi:serve_app()",
            ],
            cwd=ROOT,
            env=environment,
            stdout=access,
            stderr=error,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(url, process)
            yield url
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            if requests.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.02)  # it answers within a second or two: ask often
    raise RuntimeError("gunicorn did not answer /health within 60 s")


@contextmanager
def hung_fhir_server() -> Iterator[str]:
    """A 'FHIR server' on 127.0.0.1 that accepts connections and never answers; yield its base
    URL.
    """
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/fhir"
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


def slow_clients(url: str, count: int) -> list[socket.socket]:
    """Open `count` connections that send half a request and then nothing: half of them stop in
    the headers, half in the body.
    """
    host, port = url.removeprefix("http://").split(":")
    sockets = []
    for index in range(count):
        sock = socket.create_connection((host, int(port)))
        if index % 2:
            sock.sendall(
                b"POST /eligibility HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 100\r\n\r\n{"
            )
        else:
            sock.sendall(b"POST /eligibility HTTP/1.1\r\nHost: x\r\nContent-")
        sockets.append(sock)
    return sockets


def hung_evaluations(url: str, count: int) -> list[threading.Thread]:
    """Start `count` evaluations by id (each waits on the hung FHIR server); return their threads
    (daemons).
    """

    def post() -> None:
        with suppress(requests.RequestException):
            requests.post(
                f"{url}/eligibility", json={"patientId": "p1", "asOf": "2026-01-01"}, timeout=60
            )

    threads = [threading.Thread(target=post, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads


def health_latency(url: str) -> float:
    """Seconds GET /health takes (a new connection each time); raises if it is not a 200."""
    started = time.monotonic()
    response = requests.get(f"{url}/health", timeout=30)
    response.raise_for_status()
    return time.monotonic() - started
