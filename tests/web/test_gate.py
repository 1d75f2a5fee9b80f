"""The evaluation gate: at most N evaluations at once per worker; one more is a 503 at once, and
/health is never gated.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from service import create_app
from service.errors import ConfigError, ServiceUnavailable
from service.web.gate import EvaluationGate


def test_a_call_beyond_the_slots_is_refused_at_once() -> None:
    """With every slot held, slot() raises ServiceUnavailable (503, Retry-After) without waiting;
    a freed slot is usable again.
    """
    gate = EvaluationGate(1)
    with gate.slot(), pytest.raises(ServiceUnavailable) as refused, gate.slot():
        pass
    assert refused.value.headers() == {"Retry-After": "1"}
    with gate.slot():
        pass


def test_busy_slots_make_evaluations_503_but_not_health(tmp_path: Path) -> None:
    """While another thread holds the only slot, POST /eligibility is 503 evaluations-busy and
    GET /health is 200.
    """
    app = create_app(
        {"TESTING": True, "CDS_FEEDBACK_DB": str(tmp_path / "cds.sqlite3"), "EVALUATION_SLOTS": 1}
    )
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with app.extensions["evaluation_gate"].slot():
            held.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(10)
    try:
        client = app.test_client()
        response = client.post("/eligibility", json={"patientId": "nct06761417-age-30"})
        assert (response.status_code, response.get_json()["details"]["reason"]) == (
            503,
            "evaluations-busy",
        )
        assert client.get("/health").status_code == 200
    finally:
        release.set()
        thread.join()


@pytest.mark.parametrize("slots", [0, -1, "many", True])
def test_bad_slot_counts_are_config_errors(tmp_path: Path, slots: object) -> None:
    """EVALUATION_SLOTS must be a whole number of at least 1."""
    with pytest.raises(ConfigError, match="EVALUATION_SLOTS"):
        create_app(
            {
                "TESTING": True,
                "CDS_FEEDBACK_DB": str(tmp_path / "cds.sqlite3"),
                "EVALUATION_SLOTS": slots,
            }
        )
