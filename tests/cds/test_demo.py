"""The CDS Hooks demo: a newcomer's call with a locally signed JWT gets cards, not a 401."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from service.cds.demo import DEFAULT_PATIENT, hook_call, main
from tests.helpers import load_json
from tests.helpers.cds import templates


def test_the_demo_calls_the_hook_with_a_verified_jwt_and_prints_cards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python -m service.cds.demo` (run) serves the service with JWT verification on, calls it,
    and prints at least one card.
    """
    monkeypatch.setenv("ELIGIBILITY_CDS_FEEDBACK_DB", str(tmp_path / "cds.sqlite3"))
    result = CliRunner().invoke(main, [])
    assert result.exit_code == 0, result.output
    assert "card(s):" in result.output
    assert "[info]" in result.output


def test_the_demo_call_answers_every_prefetch_key() -> None:
    """The demo's request has a value for every prefetch template of discovery: the Patient, and
    a searchset for each search.
    """
    body = hook_call(templates(), load_json(DEFAULT_PATIENT))
    assert set(body["prefetch"]) == set(templates())
    assert body["prefetch"]["patient"]["resourceType"] == "Patient"
    assert all(v["resourceType"] == "Bundle" for k, v in body["prefetch"].items() if k != "patient")
