"""The data files' vocabulary: codes, quantities, relative dates and each resource kind expand as
documented.
"""

from __future__ import annotations

from datetime import date

import pytest

from fhir_fixtures import vocabulary as v

CTX = v.Context("p1", date(2026, 11, 20))


def test_a_code_reads_system_alias_code_and_display() -> None:
    """LOINC#751-8 Neutrophils count → a LOINC Coding with that display."""
    assert v.coding("LOINC#751-8 Neutrophils count") == {
        "system": "http://loinc.org",
        "code": "751-8",
        "display": "Neutrophils count",
    }


def test_a_code_may_name_its_system_by_url_and_omit_the_display() -> None:
    """An unaliased system is written as its URL; the display is optional."""
    assert v.coding("urn:example:local#X1") == {"system": "urn:example:local", "code": "X1"}


def test_a_code_without_a_system_is_an_error() -> None:
    """'751-8' alone is refused, with the expected form in the message."""
    with pytest.raises(v.VocabularyError, match="SYSTEM#code"):
        v.coding("751-8")


def test_a_quantity_keeps_int_or_float_as_written() -> None:
    """'180 10*9/L' is an int value, '2.40 g/L' a float, both UCUM-coded."""
    assert v.quantity("180 10*9/L")["value"] == 180
    assert isinstance(v.quantity("2.5 g/L")["value"], float)
    assert v.quantity("2.5 g/L")["system"] == "http://unitsofmeasure.org"


def test_a_quantity_carries_its_comparator() -> None:
    """'<0.5 mg/dL' is value 0.5 with comparator '<'."""
    assert v.quantity("<0.5 mg/dL")["comparator"] == "<"


def test_a_quantity_needs_a_unit() -> None:
    """A bare number without a unit to fall back on is refused."""
    with pytest.raises(v.VocabularyError):
        v.quantity("12")


def test_relative_and_absolute_days() -> None:
    """-30d counts back from the as-of date, +2d forward, 0d is the day itself; ISO dates pass as
    they are.
    """
    assert CTX.day("-30d") == "2026-10-21"
    assert CTX.day("+2d") == "2026-11-22"
    assert CTX.day("0d") == "2026-11-20"
    assert CTX.day("2020-01-01") == "2020-01-01"


def test_a_lab_has_category_time_value_and_range() -> None:
    """A lab is a laboratory Observation at 08:00 +08:00 with its reference limits in the value's
    unit.
    """
    obs = v.expand({"lab": "LOINC#1742-6 ALT", "value": "28 U/L", "high": 35, "date": "-3d"}, CTX)
    assert obs["category"][0]["coding"][0]["code"] == "laboratory"
    assert obs["effectiveDateTime"] == "2026-11-17T08:00:00+08:00"
    assert obs["referenceRange"] == [
        {"high": {"value": 35, "unit": "U/L", "system": "http://unitsofmeasure.org", "code": "U/L"}}
    ]
    assert obs["subject"] == {"reference": "Patient/p1"}


def test_a_lab_without_a_value_keeps_its_range_unit() -> None:
    """value: null leaves out valueQuantity; unit: gives the range its unit."""
    obs = v.expand({"lab": "LOINC#1742-6 ALT", "unit": "U/L", "high": 35, "date": "-3d"}, CTX)
    assert "valueQuantity" not in obs
    assert obs["referenceRange"][0]["high"]["unit"] == "U/L"


def test_with_merges_raw_fields_and_null_drops_one() -> None:
    """with: adds a field last, replaces one in place, and null removes one."""
    obs = v.expand(
        {
            "lab": "LOINC#1742-6 ALT",
            "value": "28 U/L",
            "date": "-3d",
            "with": {"category": None, "note": [{"text": "{patient}"}]},
        },
        CTX,
    )
    assert "category" not in obs
    assert obs["note"] == [{"text": "p1"}]


def test_a_condition_has_statuses_dates_and_histology() -> None:
    """Condition: clinical/verification status codes, onset and abatement dates, the mCODE
    histology extension.
    """
    cond = v.expand(
        {
            "condition": "ICD10CM#C49.2 Sarcoma",
            "onset": "-10d",
            "abated": "-1d",
            "clinical": "resolved",
            "histology": "ICDO3#8910/3 Embryonal rhabdomyosarcoma",
        },
        CTX,
    )
    assert cond["clinicalStatus"]["coding"][0]["code"] == "resolved"
    assert cond["abatementDateTime"] == "2026-11-19"
    assert cond["extension"][0]["url"] == v.MCODE_HISTOLOGY


def test_a_drug_known_only_by_name_has_text_and_no_coding() -> None:
    """statement: 'anlotinib' (no SYSTEM#) is a medication by name only."""
    med = v.expand({"statement": "anlotinib hydrochloride", "date": "-30d"}, CTX)
    assert med["medicationCodeableConcept"] == {"text": "anlotinib hydrochloride"}
    assert med["resourceType"] == "MedicationStatement"


def test_a_request_is_authored_and_ordered() -> None:
    """request: a MedicationRequest with intent order and authoredOn."""
    med = v.expand({"request": "RXNORM#3639 doxorubicin", "date": "-5d"}, CTX)
    assert (med["intent"], med["authoredOn"]) == ("order", "2026-11-15")


def test_blood_pressure_is_two_components() -> None:
    """blood-pressure: 122/76 is a panel with systolic 122 and diastolic 76 mm[Hg]."""
    obs = v.expand({"blood-pressure": "122/76", "date": "-2d"}, CTX)
    assert [c["valueQuantity"]["value"] for c in obs["component"]] == [122, 76]


def test_other_kinds_expand_to_their_resource_types() -> None:
    """Each remaining kind gives its FHIR resource type."""
    kinds = {
        "coded-result": {
            "coded-result": "LOINC#2106-3 hCG",
            "answer": "SNOMED#260385009 Negative",
            "date": "-3d",
        },
        "text-result": {"text-result": "LOINC#20454-5 Protein", "value": "2+", "date": "-3d"},
        "score": {"score": "LOINC#89247-1 ECOG", "value": 1, "date": "-2d"},
        "measurement": {
            "measurement": "urn:x#EDSS EDSS",
            "value": "4.5 {score}",
            "date": "-10d",
            "category": "survey",
        },
        "procedure": {"procedure": "SNOMED#86273004 Biopsy", "date": "-300d"},
        "allergy": {"allergy": "RXNORM#7980 penicillin"},
        "immunization": {"immunization": "CVX#19 BCG", "date": "-29d"},
        "resource": {
            "resource": {"resourceType": "Procedure", "subject": {"reference": "Patient/{patient}"}}
        },
    }
    types = [v.expand(fields, CTX)["resourceType"] for fields in kinds.values()]
    assert types == ["Observation"] * 4 + [
        "Procedure",
        "AllergyIntolerance",
        "Immunization",
        "Procedure",
    ]


def test_a_resource_needs_exactly_one_kind() -> None:
    """Two kind keys (or none) are refused."""
    with pytest.raises(v.VocabularyError, match="one kind"):
        v.kind_of({"lab": "LOINC#1 x", "score": "LOINC#2 y"})


def test_the_patient_has_a_fixture_name_or_a_demo_name() -> None:
    """A fixture Patient is named 'Fixture <id>'; a demo patient gets its plain name."""
    assert v.patient({"gender": "female"}, "p1")["name"] == [{"family": "Fixture", "given": ["p1"]}]
    assert v.patient({}, "d1", "Mei Ling Chen")["name"] == [
        {"family": "Chen", "given": ["Mei", "Ling"]}
    ]
