"""What gunicorn itself sends, made like the app's answers: problem+json errors (431, 400, 414) and no Server banner."""

from __future__ import annotations

import socket
from typing import Any

from gunicorn import util
from gunicorn.http import wsgi
from gunicorn.workers import gthread

from service.problems import PROBLEM_JSON, problem_bytes

_original_default_headers = wsgi.Response.default_headers
_original_conn_init = gthread.TConn.init
# A client that stops sending mid-request (slowloris) holds a thread at most this long, then is dropped.
CLIENT_SOCKET_TIMEOUT_SECONDS = 15.0


def write_problem(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """Write gunicorn's own error (a bad request line, headers too large) as problem+json instead of an HTML page."""
    code = reason.lower().replace(" ", "-") or "error"
    # gunicorn's message can quote the request line (and a token in its query): it is not echoed back.
    body = problem_bytes(status_int, code, f"{reason}: the HTTP request could not be read")
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: {PROBLEM_JSON}\r\nContent-Length: {len(body)}\r\n"
            "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\r\n")
    util.write_nonblock(sock, head.encode("latin-1") + body)


def default_headers_without_server(self: wsgi.Response) -> list[str]:
    """gunicorn's status line and default headers, without `Server: gunicorn` (no banner to fingerprint)."""
    return [line for line in _original_default_headers(self) if not line.lower().startswith("server:")]


def conn_init_with_timeout(self: Any) -> None:
    """Set up a gthread connection as gunicorn does, then bound every blocking read and write on it."""
    _original_conn_init(self)
    self.sock.settimeout(CLIENT_SOCKET_TIMEOUT_SECONDS)


def install() -> None:
    """Patch gunicorn (in the master, before workers fork): problem+json errors, no Server header, a socket timeout per client."""
    util.write_error = write_problem
    wsgi.Response.default_headers = default_headers_without_server
    gthread.TConn.init = conn_init_with_timeout
