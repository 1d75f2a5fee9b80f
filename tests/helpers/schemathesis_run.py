"""Drive schemathesis over every operation of openapi.yaml against the app in-process (WSGI);
count the answers by status.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings

from tests.helpers import ROOT

SPEC = ROOT / "openapi.yaml"
TRIALS = ("NCT02021825", "NCT03890068", "NCT05617859", "NCT06761417", "NCT07077551")


def fuzz(app: Flask, examples_per_operation: int) -> tuple[Counter[int], list[str], list[str]]:
    """Send generated requests to each operation (the same every run: derandomized); return the
    statuses seen, and each 5xx or undocumented status.
    """
    schema = schemathesis.openapi.from_path(SPEC)
    statuses: Counter[int] = Counter()
    server_errors: list[str] = []
    # The contract promises every status the service gives.
    undocumented: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        documented = set(operation.definition.raw["responses"])

        @settings(
            max_examples=examples_per_operation,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def send(case: Any) -> None:
            # Known ids, so the generated bodies reach the handlers (a random id is a 404 before any
            # body is read).
            if "trialId" in (case.path_parameters or {}):
                case.path_parameters["trialId"] = TRIALS[len(str(case.body)) % len(TRIALS)]
            if "serviceId" in (case.path_parameters or {}):
                case.path_parameters["serviceId"] = "trial-eligibility"
            response = case.call(app=app)
            statuses[response.status_code] += 1
            if response.status_code >= 500:
                server_errors.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: "
                    f"{response.text[:200]}"
                )
            # B023: send() runs within this iteration
            if str(response.status_code) not in documented:  # noqa: B023
                undocumented.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code} (not in "
                    "openapi.yaml)"
                )

        send()
    return statuses, server_errors, undocumented
