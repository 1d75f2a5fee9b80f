"""The gunicorn configuration the README command and the Docker image both use: `gunicorn -c
python:service.server.gunicorn_conf`.

Worker model (chosen on purpose): gthread workers. Evaluation is CPU-bound Python with blocking FHIR
I/O, so an async (gevent) worker would let one evaluation stall its whole event loop; sync workers
let one slow client or one hung FHIR server take a whole worker. With threads, each worker keeps
EVALUATION_SLOTS + SPARE_THREADS threads: evaluations beyond the slots are refused with 503
(service.web.gate), so /health, discovery and the trial list find a free thread. A client that has
sent nothing waits in gunicorn's poller, not a thread; one that stops mid-headers holds a spare
thread for at most 15 s (gunicorn_hooks). More slow clients than spare threads can still starve a
worker: in front of untrusted networks, put a buffering reverse proxy (nginx, an ingress) before
gunicorn.

Timeouts nest: a FHIR request (FHIR_TIMEOUT, 10 s) < one evaluation's FHIR deadline (FHIR_DEADLINE,
30 s) < the graceful shutdown (deadline + 10 s, so an evaluation in flight finishes) < the worker
timeout (deadline + 30 s; in gthread it only catches a worker whose main loop is stuck, since the
loop, not the request threads, sends the heartbeat).

Logs and metrics: one JSON stream on stderr. gunicorn's access log is off: the app writes one JSON
line per request with what gunicorn cannot know (route template, request id, trials, refusal
reason), so an access line would only repeat it; requests gunicorn refuses itself (431, 400) get
their line from gunicorn_hooks. /metrics sums every worker through prometheus-client's multiprocess
mode in PROMETHEUS_MULTIPROC_DIR (a fresh directory made here unless the operator set one).
"""

from __future__ import annotations

import os
import tempfile

# Before any worker imports prometheus_client (service.observability.metrics does, on first use): it
# picks its storage at import.
_made_metrics_dir = None
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _made_metrics_dir = tempfile.mkdtemp(
        prefix="eligibility-metrics-",
        dir="/dev/shm" if os.path.isdir("/dev/shm") else None,  # noqa: S108 - memory-backed
    )
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _made_metrics_dir

from service.config import positive_int, positive_number  # noqa: E402 - as above
from service.server import gunicorn_hooks  # noqa: E402 - after PROMETHEUS_MULTIPROC_DIR is set
from service.settings import load_config  # noqa: E402 - as above

# The FHIR deadline and evaluation slots the app will use, read by its own parser (so the defaults
# live in one place), and the timeouts below nest around them.
_config = load_config()
_deadline = positive_number(_config["FHIR_DEADLINE"], "FHIR_DEADLINE")
_slots = positive_int(_config["EVALUATION_SLOTS"], "EVALUATION_SLOTS")
# Threads beyond the evaluation slots: for /health and light calls, and for clients still sending
# their headers.
SPARE_THREADS = 10

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or 2)
worker_class = "gthread"
threads = _slots + SPARE_THREADS
timeout = int(_deadline + 30)
graceful_timeout = int(_deadline + 10)
keepalive = 5
# Headers over 8 KB are answered 431 (as problem+json, see gunicorn_hooks); a CDS JWT is about 1 KB.
limit_request_field_size = 8190
# No access log: the app's JSON request line replaces it (see above); it never holds a query string
# or a raw path either.
accesslog = None
logger_class = "service.server.gunicorn_hooks.JsonLogger"
on_starting = gunicorn_hooks.clear_metrics_dir
child_exit = gunicorn_hooks.mark_worker_dead
on_exit = gunicorn_hooks.remove_metrics_dir(_made_metrics_dir)
# gunicorn >= 25.1 opens a control socket under $HOME otherwise; nothing here uses it.
control_socket_disable = True
# S108: heartbeat files in memory, not a slow /tmp
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

gunicorn_hooks.install()
