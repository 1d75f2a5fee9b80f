"""Operating the service: structured JSON logs (one line per request) and Prometheus metrics at
/metrics.
"""

from __future__ import annotations

from flask import Flask

from service.observability.logs import configure_logging, get_logger
from service.observability.metrics import count_feedback, metrics
from service.observability.request_log import note_cards, note_reports


def init_app(app: Flask) -> None:
    """Install the request hooks (call before any other hooks) and serve /metrics; create_app
    configures the log first.
    """
    # Imported here: the endpoint needs service.api.auth and service.records.fhir, which import this
    # package (FHIR fetch metrics).
    from service.observability import endpoint, request_log
    from service.settings import Settings

    settings: Settings = app.extensions["settings"]
    # The issued-card hash key (a key under 16 characters is refused): the request line's
    # patient_hash uses it too.
    app.extensions["log_patient_key"] = settings.state.patient_hash_key
    app.extensions["metrics_token"] = settings.observability.metrics_token
    # made now, in the worker, before any request thread (and after gunicorn_conf chose multiprocess
    # storage)
    metrics()
    request_log.register(app)
    app.register_blueprint(endpoint.blueprint)


__all__ = [
    "configure_logging",
    "count_feedback",
    "get_logger",
    "init_app",
    "note_cards",
    "note_reports",
]
