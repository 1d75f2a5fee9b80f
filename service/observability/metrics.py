"""The Prometheus metrics: their names and labels, the calls that move them, and the exposition (one
process or gunicorn's many).

prometheus-client is imported on first use, never at import: it chooses its storage (in memory, or
gunicorn's multiprocess files in PROMETHEUS_MULTIPROC_DIR) when it is imported, and gunicorn's
master imports this package before its configuration has set that directory; the workers then import
it with the directory set.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

# The text format every Prometheus server reads (prometheus-client's own default is the newer
# 1.0.0).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Seconds: a cached /health is well under 5 ms, a by-id evaluation against a slow FHIR server can
# take the 30 s deadline.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Label values come from a closed set or are folded into "other": an unbounded label (a path, an id)
# would blow up the series.
_RESOURCE_TYPE = re.compile(r"[A-Z][A-Za-z]{1,63}")
_CODE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_TRIAL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class Metrics:
    """Every metric the service exports (names are the contract of the README's "Logs and
    metrics").
    """

    requests: Any
    latency: Any
    fhir_latency: Any
    fhir_failures: Any
    reports: Any
    jwt_refusals: Any
    cards_issued: Any
    feedback: Any


_made = threading.Lock()


def metrics() -> Metrics:
    """The metrics, made (and prometheus-client imported) on first use; once, however many
    threads ask at once.
    """
    with _made:
        return _make()


@cache
def _make() -> Metrics:
    # Registering a metric twice is an error: a worker's first requests arrive on several threads at
    # once.
    from prometheus_client import Counter, Histogram, disable_created_metrics

    # A `_created` series per labelled child doubles the series for nothing a scraper uses.
    disable_created_metrics()  # type: ignore[no-untyped-call]
    return Metrics(
        requests=Counter(
            "eligibility_http_requests_total",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
        ),
        latency=Histogram(
            "eligibility_http_request_duration_seconds",
            "Time to answer an HTTP request, by method, route template and status.",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
        ),
        fhir_latency=Histogram(
            "eligibility_fhir_fetch_duration_seconds",
            "Time of one FHIR read or search page, retries included, by type and outcome.",
            ["resource_type", "outcome"],
            buckets=LATENCY_BUCKETS,
        ),
        fhir_failures=Counter(
            "eligibility_fhir_fetch_failures_total",
            "FHIR reads or search pages that failed (after their tries), by type and error.",
            ["resource_type", "error"],
        ),
        reports=Counter(
            "eligibility_reports_total",
            "Eligibility reports made (REST and CDS), by trial and overall verdict.",
            ["trial_id", "verdict"],
        ),
        jwt_refusals=Counter(
            "eligibility_jwt_refusals_total",
            "Calls refused for their bearer JWT (401/403), by surface (api, cds) and reason.",
            ["surface", "reason"],
        ),
        cards_issued=Counter(
            "eligibility_cds_cards_issued_total", "CDS Hooks cards sent to an EHR."
        ),
        feedback=Counter(
            "eligibility_cds_feedback_total",
            "CDS Hooks card feedback stored, by outcome (accepted, overridden).",
            ["outcome"],
        ),
    )


def resource_label(resource_type: str) -> str:
    """A FHIR resource type as a label value; anything that is not one is "other"."""
    return resource_type if _RESOURCE_TYPE.fullmatch(resource_type) else "other"


def code_label(code: object) -> str:
    """A short code (a verdict, an error or refusal reason) as a label value; anything else is
    "other".
    """
    return code if isinstance(code, str) and _CODE.fullmatch(code) else "other"


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request and its latency (route is the URL rule, never the raw path)."""
    m = metrics()
    m.requests.labels(method, route, str(status)).inc()
    m.latency.labels(method, route, str(status)).observe(seconds)


def observe_fetch(resource_type: str, outcome: str, seconds: float, failed: bool) -> None:
    """Measure one FHIR GET, and count it when it failed."""
    m = metrics()
    m.fhir_latency.labels(resource_label(resource_type), code_label(outcome)).observe(seconds)
    if failed:
        m.fhir_failures.labels(resource_label(resource_type), code_label(outcome)).inc()


def count_fetch_failure(resource_type: str, error: str) -> None:
    """Count a FHIR answer that failed after it arrived (an error OperationOutcome in a 200
    searchset, a malformed Bundle).
    """
    metrics().fhir_failures.labels(resource_label(resource_type), code_label(error)).inc()


def count_reports(reports: Iterable[tuple[str, str]]) -> None:
    """Count reports, given as (trial id, verdict) pairs: this layer sits below the report's
    type.
    """
    counter = metrics().reports
    for trial_id, verdict in reports:
        counter.labels(
            trial_id if _TRIAL_ID.fullmatch(trial_id) else "other", code_label(verdict)
        ).inc()


def count_refusal(surface: str, reason: str) -> None:
    """Count a call refused for its bearer JWT."""
    metrics().jwt_refusals.labels(surface, code_label(reason)).inc()


def count_cards(count: int) -> None:
    """Count CDS cards sent."""
    metrics().cards_issued.inc(count)


def count_feedback(outcomes: Iterable[str]) -> None:
    """Count stored feedback by its outcome."""
    counter = metrics().feedback
    for outcome in outcomes:
        counter.labels(code_label(outcome)).inc()


def exposition() -> bytes:
    """The metrics in the text format: this process's, or (gunicorn, PROMETHEUS_MULTIPROC_DIR
    set) every worker's summed.
    """
    metrics()  # every metric is listed (at zero) from the first scrape on
    from prometheus_client import REGISTRY, CollectorRegistry, generate_latest

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)
