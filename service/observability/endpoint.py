"""GET /metrics: the Prometheus exposition, never public: a metrics token, or else the REST API's
own authentication.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app, request
from flask.typing import ResponseReturnValue

from service.api.auth import ApiAuth, check_current_request
from service.errors import EligibilityError, Unauthorized
from service.observability.metrics import CONTENT_TYPE, exposition

blueprint = Blueprint("observability", __name__)


class MetricsOff(EligibilityError):
    """/metrics asked for while nothing authenticates its caller: it is not served to anyone."""

    status = 404
    code = "metrics-off"
    log_message = True


def check_metrics_caller() -> None:
    """The metrics token when one is set; else the REST API's JWT check; with neither
    (API_AUTH=none) nobody gets them.
    """
    token: str | None = current_app.extensions["metrics_token"]
    if token is not None:
        scheme, _, sent = request.headers.get("Authorization", "").strip().partition(" ")
        if not sent:
            raise Unauthorized(
                "/metrics needs 'Authorization: Bearer <ELIGIBILITY_METRICS_TOKEN>'",
                details={"reason": "missing-authorization"},
            )
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            sent.strip().encode(), token.encode()
        ):
            raise Unauthorized(
                "the metrics token is wrong", details={"reason": "wrong-metrics-token"}
            )
        return
    auth: ApiAuth = current_app.extensions["api_auth"]
    if auth.mode == "none":
        raise MetricsOff(
            "metrics are not served without authentication: set ELIGIBILITY_METRICS_TOKEN, or "
            "ELIGIBILITY_API_AUTH=jwt"
        )
    check_current_request()


@blueprint.get("/metrics")
def metrics() -> ResponseReturnValue:
    """The Prometheus text exposition of this service (all gunicorn workers summed)."""
    check_metrics_caller()
    return Response(exposition(), content_type=CONTENT_TYPE)
