"""The gunicorn configuration the README command and the Docker image both use: `gunicorn -c python:service.gunicorn_conf`.

Worker model (chosen on purpose): gthread workers. Evaluation is CPU-bound Python with blocking FHIR I/O, so an async
(gevent) worker would let one evaluation stall its whole event loop; sync workers let one slow client or one hung FHIR
server take a whole worker. With threads, each worker keeps EVALUATION_SLOTS + SPARE_THREADS threads: evaluations beyond
the slots are refused with 503 (service.gate), so /health, discovery and the trial list find a free thread. A client
that has sent nothing waits in gunicorn's poller, not a thread; one that stops mid-headers holds a spare thread for at
most 15 s (gunicorn_hooks). More slow clients than spare threads can still starve a worker: in front of untrusted
networks, put a buffering reverse proxy (nginx, an ingress) before gunicorn.

Timeouts nest: a FHIR request (FHIR_TIMEOUT, 10 s) < one evaluation's FHIR deadline (FHIR_DEADLINE, 30 s) < the graceful
shutdown (deadline + 10 s, so an evaluation in flight finishes) < the worker timeout (deadline + 30 s; in gthread it only
catches a worker whose main loop is stuck, since the loop, not the request threads, sends the heartbeat).
"""

from __future__ import annotations

import os

from service import gunicorn_hooks

# The FHIR deadline the app will use (its default when unset), so the timeouts below nest around it.
_deadline = float(os.environ.get("ELIGIBILITY_FHIR_DEADLINE") or 30)
_slots = int(os.environ.get("ELIGIBILITY_EVALUATION_SLOTS") or 6)
# Threads beyond the evaluation slots: for /health and light calls, and for clients still sending their headers.
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
# The access log never holds a query string (%(U)s is the path alone): a token sent there must not be kept.
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
# gunicorn >= 25.1 opens a control socket under $HOME otherwise; nothing here uses it.
control_socket_disable = True
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - heartbeat files in memory, not a slow /tmp

gunicorn_hooks.install()
