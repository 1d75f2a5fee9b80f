"""Synthea leaves MedicationRequests 'active' for decades: they must not read as current therapy
years later.
"""

from __future__ import annotations

from datetime import date

import orjson
import pytest

from service.facts import FactSet
from service.records.bundle import record_from_bundle
from service.rulebook.book import Rulebook
from tests.needs import synthea_dir

pytestmark = pytest.mark.needs("synthea")


@pytest.mark.parametrize(
    ("prefix", "as_of", "authored"),
    [
        # Docetaxel ordered 2000-03-10, still 'active' in 2021 (the terminology review's finding).
        pytest.param("Andy_Schaden", date(2021, 2, 25), "2000-03-10", id="andy-schaden"),
        # ... ordered 1975-08-30, still 'active' in 1996.
        pytest.param("Fletcher_Hyatt", date(1996, 9, 6), "1975-08-30", id="fletcher-hyatt"),
    ],
)
def test_decades_old_active_orders_are_not_therapy_in_4_weeks(
    book: Rulebook, prefix: str, as_of: date, authored: str
) -> None:
    """The record holds an active antineoplastic order written decades before, and it is not
    cited as therapy in 4 weeks.
    """
    path = next(synthea_dir().glob(f"{prefix}_*.json"))
    record = record_from_bundle(orjson.loads(path.read_bytes()))
    old_active = [
        r
        for r in record.of_type("MedicationRequest")
        if r.get("status") == "active" and str(r.get("authoredOn", "")).startswith(authored)
    ]
    result = FactSet(record, as_of, book).get("systemic_therapy_4w")
    grounds = {
        e.reference for e in result.evidence if e.note is None or "outside the window" not in e.note
    }
    assert bool(old_active)
    assert grounds & {f"MedicationRequest/{r['id']}" for r in old_active} == set()
