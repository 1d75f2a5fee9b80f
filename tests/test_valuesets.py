"""Tests for service.valuesets: building value sets and matching FHIR codings against them."""

from __future__ import annotations

from typing import Any

import pytest

from service.valuesets import ValueSet, build_value_sets, canonical_code, canonical_system

ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"

DOCUMENTS: dict[str, dict[str, Any]] = {
    "liver_mets": {
        "title": "Liver metastases",
        "codes": [{"system": SNOMED, "code": "94381002"}],
        "prefixes": [{"system": ICD10, "prefix": "C78.7"}],
    },
    "anlotinib": {"title": "Anlotinib", "names": ["Anlotinib", "catequentinib"]},
    "malignancy": {"title": "Malignancy", "prefixes": [{"system": ICD10, "prefix": "C"}]},
    "sarcoma": {"title": "Sarcoma", "prefixes": [{"system": ICD10, "prefix": "C49"}]},
    "other_malignancy": {"title": "Other malignancy", "include": ["malignancy"], "exclude": ["sarcoma"]},
    "wrapper": {"title": "Wrapper", "include": ["other_malignancy", "anlotinib"]},
}


@pytest.fixture(scope="module")
def sets() -> dict[str, ValueSet]:
    """The value sets built from DOCUMENTS."""
    return build_value_sets(DOCUMENTS)


@pytest.mark.parametrize(
    ("system", "expected"),
    [
        # The R4 ICD-10 URI folds to ICD-10-CM.
        pytest.param("http://hl7.org/fhir/sid/icd-10", ICD10, id="icd-10"),
        # The ICD-10-CM OID.
        pytest.param("urn:oid:2.16.840.1.113883.6.90", ICD10, id="icd-10-cm-oid"),
        # The SNOMED CT OID.
        pytest.param("urn:oid:2.16.840.1.113883.6.96", SNOMED, id="snomed-oid"),
        # The ATC URI with a trailing slash.
        pytest.param("http://www.whocc.no/atc/", "http://www.whocc.no/atc", id="atc-slash"),
        # A canonical URI is unchanged.
        pytest.param(SNOMED, SNOMED, id="canonical"),
    ],
)
def test_canonical_system(system: str, expected: str) -> None:
    """Spellings of a code system fold to the URI value sets use."""
    assert canonical_system(system) == expected


@pytest.mark.parametrize(
    ("system", "code", "expected"),
    [
        # ICD-10-CM drops its dot.
        pytest.param(ICD10, "C78.7", "C787", id="icd-dot"),
        # ... and is upper-cased.
        pytest.param(ICD10, "c78.7 ", "C787", id="icd-case"),
        # Other systems keep their dots and case (ICD-O-3 morphology, LOINC).
        pytest.param("http://loinc.org", "751-8", "751-8", id="loinc"),
        # Other systems are only trimmed.
        pytest.param(SNOMED, " 94381002 ", "94381002", id="trim"),
    ],
)
def test_canonical_code(system: str, code: str, expected: str) -> None:
    """ICD-10-CM codes compare without dot and in upper case; other codes as written."""
    assert canonical_code(system, code) == expected


@pytest.mark.parametrize(
    ("concepts", "texts", "expected"),
    [
        # An exact code.
        pytest.param([(SNOMED, "94381002", "")], [], "code", id="snomed-code"),
        # An ICD-10-CM code under the prefix, with dot.
        pytest.param([(ICD10, "C78.7", "")], [], "code", id="icd-with-dot"),
        # ... without the dot.
        pytest.param([(ICD10, "C787", "")], [], "code", id="icd-without-dot"),
        # ... in lower case with an alias system.
        pytest.param([("http://hl7.org/fhir/sid/icd-10", "c78.7", "")], [], "code", id="icd-alias-lower"),
        # A sibling category outside the prefix.
        pytest.param([(ICD10, "C78.6", "")], [], None, id="icd-other-category"),
        # The right code in the wrong system.
        pytest.param([(ICD10, "94381002", "")], [], None, id="wrong-system"),
        # Any one of several codings may match.
        pytest.param([(SNOMED, "1", ""), (ICD10, "C78.70", "")], [], "code", id="second-coding"),
        # Nothing at all.
        pytest.param([], [], None, id="empty"),
    ],
)
def test_match_codes(sets: dict[str, ValueSet], concepts: list[tuple[str, str, str]], texts: list[str], expected: str | None) -> None:
    """Codes match exactly or by ICD-10-CM prefix, in their own system only."""
    assert sets["liver_mets"].match(concepts, texts) == expected


@pytest.mark.parametrize(
    ("concepts", "texts", "expected"),
    [
        # The name in free text, any case.
        pytest.param([], ["ANLOTINIB hydrochloride capsules"], "name", id="text"),
        # The name in a coding's display.
        pytest.param([("http://example.org/drugs", "x1", "Anlotinib 12 mg")], [], "name", id="display"),
        # A synonym.
        pytest.param([], ["catequentinib"], "name", id="synonym"),
        # The name must start a word.
        pytest.param([], ["xanlotinib"], None, id="inside-a-word"),
        # Another drug.
        pytest.param([], ["apatinib"], None, id="other-drug"),
    ],
)
def test_match_names(sets: dict[str, ValueSet], concepts: list[tuple[str, str, str]], texts: list[str], expected: str | None) -> None:
    """A drug known only by name matches on a word in text or display, and says so."""
    assert sets["anlotinib"].match(concepts, texts) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        # A malignancy outside the exclusion.
        pytest.param("C34.1", "code", id="lung"),
        # A soft tissue sarcoma is excluded.
        pytest.param("C49.2", None, id="excluded-sarcoma"),
    ],
)
def test_exclusion_vetoes(sets: dict[str, ValueSet], code: str, expected: str | None) -> None:
    """A code in an excluded value set vetoes the match of the including set."""
    assert sets["other_malignancy"].match([(ICD10, code, "")]) == expected


def test_exclusion_vetoes_when_any_coding_is_excluded(sets: dict[str, ValueSet]) -> None:
    """An excluded coding vetoes the match even beside a coding that would match."""
    assert sets["other_malignancy"].match([(ICD10, "C34.1", ""), (ICD10, "C49.2", "")]) is None


def test_include_carries_codes_names_and_exclusions(sets: dict[str, ValueSet]) -> None:
    """An included set brings its codes, names and exclusions along."""
    wrapper = sets["wrapper"]
    assert (
        wrapper.match([(ICD10, "C34.1", "")]),
        wrapper.match([], ["anlotinib"]),
        wrapper.match([(ICD10, "C49.2", "")]),
    ) == ("code", "name", None)


def test_title_defaults_to_name() -> None:
    """A value set without a title is titled by its name."""
    assert build_value_sets({"x": {"codes": []}})["x"].title == "x"


@pytest.mark.parametrize(
    ("documents", "message"),
    [
        # Including a set that does not exist.
        pytest.param({"a": {"include": ["missing"]}}, "unknown value set 'missing'", id="unknown-include"),
        # Excluding a set that does not exist.
        pytest.param({"a": {"exclude": ["missing"]}}, "unknown value set 'missing'", id="unknown-exclude"),
        # A set including itself through another.
        pytest.param({"a": {"include": ["b"]}, "b": {"include": ["a"]}}, "includes itself", id="cycle"),
    ],
)
def test_build_rejects(documents: dict[str, dict[str, Any]], message: str) -> None:
    """Unknown and circular includes raise KeyError naming the problem."""
    with pytest.raises(KeyError) as info:
        build_value_sets(documents)
    assert message in str(info.value.args[0])


def test_real_value_sets_match_rxnorm_doxorubicin(book: Any) -> None:
    """The real anthracycline set matches RxNorm doxorubicin."""
    assert book.value_sets["anthracyclines"].match([(RXNORM, "3639", "doxorubicin")]) == "code"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        # Lung cancer is another malignancy.
        pytest.param("C34.1", "code", id="lung"),
        # A soft tissue sarcoma (in 'malignancy') is the trial's own tumour: excluded.
        pytest.param("C49.2", None, id="sarcoma"),
    ],
)
def test_real_exclusion_keeps_the_trial_tumour_out(book: Any, code: str, expected: str | None) -> None:
    """The real 'other malignancy' set of NCT06761417 leaves the trial's own tumours out."""
    assert book.value_sets["other_malignancy_nct06761417"].match([(ICD10, code, "")]) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # Exact codes only.
        pytest.param("plain", True, id="codes"),
        # A prefix needs the slow match.
        pytest.param("liver_mets", False, id="prefixes"),
        # So do names.
        pytest.param("anlotinib", False, id="names"),
        # And exclusions.
        pytest.param("other_malignancy", False, id="exclusions"),
    ],
)
def test_is_plain_codes(name: str, expected: bool) -> None:
    """is_plain_codes() says whether exact codes alone decide membership (the index fast path)."""
    sets = build_value_sets({**DOCUMENTS, "plain": {"codes": [{"system": SNOMED, "code": "1"}]}})
    assert sets[name].is_plain_codes() is expected
