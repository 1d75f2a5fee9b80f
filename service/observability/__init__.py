"""Operating the service: structured JSON logs (one line per request) and Prometheus metrics at /metrics."""

from __future__ import annotations

from flask import Flask

from service.observability.logs import configure_logging, get_logger
from service.observability.metrics import count_feedback, metrics
from service.observability.request_log import note_cards, note_reports


def init_app(app: Flask) -> None:
    """Install the request hooks (call before any other hooks) and serve /metrics; create_app configures the log first."""
    # Imported here: the endpoint needs service.api.auth and service.records.fhir, which import this package (FHIR fetch metrics).
    from service.config import read_secret
    from service.errors import ConfigError
    from service.observability import endpoint, request_log

    try:
        # The issued-card hash key (validated by service.cds.settings.hash_key): the request line's patient_hash uses it too.
        key = read_secret(
            app.config.get("CDS_PATIENT_HASH_KEY"), app.config.get("CDS_PATIENT_HASH_KEY_FILE")
        )
    except OSError as exc:
        raise ConfigError("ELIGIBILITY_CDS_PATIENT_HASH_KEY_FILE cannot be read") from exc
    # A key under 16 characters is refused for issued cards (cheap to reverse by trying ids): no hash in the log either.
    app.extensions["log_patient_key"] = (
        str(key).encode("utf-8") if key and len(str(key)) >= 16 else None
    )
    app.extensions["metrics_token"] = endpoint.metrics_token(app.config)
    metrics()  # made now, in the worker, before any request thread (and after gunicorn_conf chose multiprocess storage)
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
