"""What gunicorn itself sends and writes, made like the app's: problem+json errors (431, 400,
414), no Server banner, JSON logs.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path
from typing import Any

from gunicorn import glogging, util
from gunicorn.http import wsgi
from gunicorn.workers import gthread

from service.observability.logs import get_logger, json_formatter
from service.problems import PROBLEM_JSON, problem_bytes

log = get_logger("service.gunicorn")

_original_default_headers = wsgi.Response.default_headers
_original_conn_init = gthread.TConn.init
# A client that stops sending mid-request (slowloris) holds a thread at most this long, then is
# dropped.
CLIENT_SOCKET_TIMEOUT_SECONDS = 15.0


def write_problem(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """Write gunicorn's own error (a bad request line, headers too large) as problem+json instead
    of an HTML page.
    """
    code = reason.lower().replace(" ", "-") or "error"
    # The app never sees this request, so this is its request line (the status and why only: mesg
    # can quote the request).
    log.warning("request", status=status_int, reason=code, route="<unread>")
    # gunicorn's message can quote the request line (and a token in its query): it is not echoed
    # back.
    body = problem_bytes(status_int, code, f"{reason}: the HTTP request could not be read")
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: "
        f"{PROBLEM_JSON}\r\nContent-Length: {len(body)}\r\n"
        "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


def default_headers_without_server(self: wsgi.Response) -> list[str]:
    """gunicorn's status line and default headers, without `Server: gunicorn` (no banner to
    fingerprint).
    """
    return [
        line for line in _original_default_headers(self) if not line.lower().startswith("server:")
    ]


def conn_init_with_timeout(self: Any) -> None:
    """Set up a gthread connection as gunicorn does, then bound every blocking read and write on
    it.
    """
    _original_conn_init(self)
    self.sock.settimeout(CLIENT_SOCKET_TIMEOUT_SECONDS)


class JsonLogger(glogging.Logger):  # type: ignore[misc]  # gunicorn ships no annotations
    """gunicorn's own log (start-up, worker exits) in the app's JSON shape, on the same stderr
    stream.
    """

    def setup(self, cfg: Any) -> None:
        """Set gunicorn's handlers up as it does, then give them the app's JSON formatter."""
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(json_formatter())


def clear_metrics_dir(_server: Any) -> None:
    """on_starting: remove the files a previous run left in PROMETHEUS_MULTIPROC_DIR (they would
    be added to this run's counts).
    """
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        for stale in Path(directory).glob("*.db"):
            stale.unlink(missing_ok=True)


def mark_worker_dead(_server: Any, worker: Any) -> None:
    """child_exit: tell prometheus-client a worker is gone (its counters stay in the sums; its
    live gauges go).
    """
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def remove_metrics_dir(made: str | None) -> Any:
    """on_exit: remove the metrics directory gunicorn_conf made (one the operator set is left
    alone).
    """

    def on_exit(_server: Any) -> None:
        if made:
            shutil.rmtree(made, ignore_errors=True)

    return on_exit


def install() -> None:
    """Patch gunicorn (in the master, before workers fork): problem+json errors, no Server
    header, a socket timeout per client.
    """
    util.write_error = write_problem
    wsgi.Response.default_headers = default_headers_without_server
    gthread.TConn.init = conn_init_with_timeout
