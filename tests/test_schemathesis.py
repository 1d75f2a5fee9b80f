"""Schemathesis over every documented operation, JWT verification on and off: no request gets a
5xx (bench/bench_schemathesis.py runs ≥ 1,000).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from service import create_app
from tests.helpers.schemathesis_run import fuzz

# Bounded for the suite (about 10 s per mode here); the bench sends 80 per operation and mode.
EXAMPLES_PER_OPERATION = 4


@pytest.mark.parametrize("verify", [True, False], ids=["jwt-on", "jwt-off"])
def test_no_generated_request_gets_a_5xx(
    tmp_path: Path, verify: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """Generated requests to each operation (derandomized) answer below 500 with a documented
    status, and reach every operation.
    """
    app = create_app(
        {
            "TESTING": True,
            "CDS_FEEDBACK_DB": str(tmp_path / "cds.sqlite3"),
            "CDS_JWT_VERIFY": verify,
        }
    )
    with caplog.at_level(logging.ERROR):
        statuses, server_errors, undocumented = fuzz(app, EXAMPLES_PER_OPERATION)
    assert server_errors == []
    assert undocumented == []
    # 15 operations (8 GET/POST, 7 OPTIONS), at least one request each.
    assert sum(statuses.values()) >= 15
