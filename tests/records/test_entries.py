"""Tests for service.records.entries: the one Bundle-entry reader, whose resource is whose, FHIR
ids.
"""

from __future__ import annotations

from typing import Any

import pytest

from service.errors import BadRequest, InvalidBundle
from service.records.entries import (
    ANY_IDENTIFIER,
    deduplicate,
    index_resources,
    is_fhir_id,
    is_owned,
    patient_keys,
    read_entries,
    reference_of,
    subject_key,
)

OBSERVATION = {"resourceType": "Observation", "id": "o1", "subject": {"reference": "Patient/p1"}}


def test_an_entry_keeps_its_full_url_beside_the_resource_and_its_search_mode() -> None:
    """fullUrl is copied to ``_fullUrl`` (urn:uuid references resolve by it); search.mode is
    read.
    """
    entries = read_entries(
        [{"fullUrl": "urn:uuid:1", "resource": OBSERVATION, "search": {"mode": "include"}}],
        "",
        InvalidBundle,
    )
    assert entries[0].resource["_fullUrl"] == "urn:uuid:1"
    assert entries[0].search_mode == "include"
    assert "_fullUrl" not in OBSERVATION


def test_a_server_answer_is_read_without_full_urls() -> None:
    """full_urls=False leaves the resource as the server sent it (its fullUrls are its own URLs)."""
    entries = read_entries(
        [{"fullUrl": "https://x/Observation/o1", "resource": OBSERVATION}],
        "",
        InvalidBundle,
        full_urls=False,
    )
    assert entries[0].resource is OBSERVATION


@pytest.mark.parametrize(
    ("entries", "problem"),
    [
        ({"resource": OBSERVATION}, "Bundle.entry must be a list"),
        (
            [{"resource": OBSERVATION}, {"fullUrl": "urn:uuid:2"}],
            r"Bundle.entry\[1\] has no resource",
        ),
        ([{"resource": {"id": "x"}}], r"Bundle.entry\[0\] has no resource with a resourceType"),
        (["not an entry"], r"Bundle.entry\[0\] has no resource"),
    ],
)
def test_a_malformed_entry_list_raises_the_callers_error_naming_where(
    entries: Any, problem: str
) -> None:
    """The caller's error class and prefix name the place: a prefetch key, a file, or nothing."""
    with pytest.raises(BadRequest, match=f"prefetch 'conditions': {problem}"):
        read_entries(entries, "prefetch 'conditions': ", BadRequest)


def test_types_keeps_only_those_resource_types() -> None:
    """``types`` returns only the entries of the types asked for, in Bundle order."""
    claim = {"resourceType": "Claim", "id": "c1"}
    entries = read_entries(
        [{"resource": claim}, {"resource": OBSERVATION}],
        "",
        InvalidBundle,
        types=frozenset({"Observation"}),
    )
    assert [entry.resource["id"] for entry in entries] == ["o1"]


def test_types_still_checks_every_entry() -> None:
    """An entry of a skipped type that has no resourceType is still refused."""
    with pytest.raises(InvalidBundle, match=r"Bundle.entry\[1\] has no resource"):
        read_entries(
            [{"resource": OBSERVATION}, {"resource": {"id": "x"}}],
            "",
            InvalidBundle,
            types=frozenset({"Observation"}),
        )


def test_no_entries_is_an_empty_list() -> None:
    """A Bundle without entry holds nothing, which is not an error."""
    assert read_entries(None, "", InvalidBundle) == []


def test_a_subject_reference_is_normalised_to_patient_and_id() -> None:
    """An absolute reference is reduced to Patient/id; a urn stays as it is."""
    absolute = {"subject": {"reference": "https://ehr.example.org/fhir/Patient/p1"}}
    assert subject_key(absolute) == "Patient/p1"
    assert subject_key({"patient": {"reference": "urn:uuid:9"}}) == "urn:uuid:9"
    assert subject_key({"code": {}}) is None


def test_ownership_keeps_the_patients_resources_and_those_naming_no_one() -> None:
    """Another patient's resource is not the patient's; a Medication (no subject) is kept."""
    keys = patient_keys({"id": "p1", "_fullUrl": "https://ehr.example.org/fhir/Patient/p1"})
    # ANY_IDENTIFIER: she has no identifier, so a subject by identifier alone cannot be told apart.
    assert keys == {"Patient/p1", "https://ehr.example.org/fhir/Patient/p1", ANY_IDENTIFIER}
    assert is_owned(OBSERVATION, keys)
    assert not is_owned({**OBSERVATION, "subject": {"reference": "Patient/p2"}}, keys)
    assert is_owned({"resourceType": "Medication", "id": "m1"}, keys)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("p1", True),
        ("a.b-C", True),
        ("x" * 64, True),
        ("x" * 65, False),
        ("", False),
        ("a/b", False),
        (7, False),
    ],
)
def test_a_fhir_id_is_1_to_64_letters_digits_dashes_and_dots(value: object, valid: bool) -> None:
    """FHIR R4's id datatype, checked before any request names it."""
    assert is_fhir_id(value) is valid


def test_resources_are_indexed_and_cited_by_type_and_id_or_full_url() -> None:
    """The index holds Type/id and fullUrl; a resource without id is cited by its fullUrl."""
    anonymous = {"resourceType": "Medication", "_fullUrl": "urn:uuid:m"}
    index = index_resources([OBSERVATION, anonymous])
    assert set(index) == {"Observation/o1", "urn:uuid:m"}
    assert reference_of(OBSERVATION) == "Observation/o1"
    assert reference_of(anonymous) == "urn:uuid:m"


def test_a_version_specific_subject_names_the_same_patient() -> None:
    """Patient/p1/_history/3 (relative or absolute) is Patient/p1: the resource is not another's."""
    assert subject_key({"subject": {"reference": "Patient/p1/_history/3"}}) == "Patient/p1"
    absolute = {"subject": {"reference": "https://ehr.example/fhir/Patient/p1/_history/3"}}
    assert subject_key(absolute) == "Patient/p1"


@pytest.mark.parametrize("written", ["condition", "CONDITION", "medicationrequest", "bundle"])
def test_a_type_name_in_the_wrong_case_is_refused_not_skipped(written: str) -> None:
    """A "condition" is a misspelt Condition: skipped as an unknown type, it would read as no
    Condition on record.
    """
    entries = [{"resource": {"resourceType": written, "id": "c1"}}]
    with pytest.raises(InvalidBundle, match=r"entry\[0\].resource.resourceType .*case-sensitive"):
        read_entries(entries, "", InvalidBundle, types=frozenset({"Condition"}))


def test_an_unknown_type_in_its_own_case_is_still_skipped() -> None:
    """A Claim (a type no definition reads) is skipped, as before: only misspellings are refused."""
    entries = [{"resource": {"resourceType": "Claim", "id": "x"}}]
    assert read_entries(entries, "", InvalidBundle, types=frozenset({"Condition"})) == []


def _copy(**more: Any) -> dict[str, Any]:
    return {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"}, **more}


ERROR = {"verificationStatus": {"coding": [{"code": "entered-in-error"}]}}


@pytest.mark.parametrize(
    ("first", "second", "kept"),
    [
        pytest.param(
            _copy(meta={"versionId": "2"}),
            _copy(meta={"versionId": "1"}, **ERROR),
            0,
            id="higher-versionId-first",
        ),
        pytest.param(
            _copy(meta={"versionId": "3"}, **ERROR),
            _copy(meta={"versionId": "10"}),
            1,
            id="versionId-compared-as-numbers",
        ),
        pytest.param(
            # 10:00+08:00 is 02:00Z, earlier than 03:00Z; as strings "10:00" would win.
            _copy(meta={"lastUpdated": "2026-11-02T10:00:00+08:00"}, **ERROR),
            _copy(meta={"lastUpdated": "2026-11-02T03:00:00Z"}),
            1,
            id="lastUpdated-compared-as-instants",
        ),
    ],
)
def test_of_two_differing_copies_the_later_version_is_kept(
    first: dict[str, Any], second: dict[str, Any], kept: int
) -> None:
    """Two copies of one resource (a prefetch key and an _include): the later version wins,
    whichever came last.
    """
    unique, conflicts = deduplicate([first, second])
    assert unique == [(first, second)[kept]]
    assert conflicts == {}


def test_differing_copies_with_nothing_to_order_them_are_a_conflict() -> None:
    """An entered-in-error copy arriving last must not erase a real record: the type is reported."""
    unique, conflicts = deduplicate([_copy(), _copy(**ERROR)])
    assert len(unique) == 1
    assert conflicts == {
        "Condition": "two different copies of Condition/c1 were sent and nothing says which is "
        "current"
    }


def test_identical_copies_from_two_places_are_one_resource() -> None:
    """The same resource under two fullUrls (two searches) is one, with no conflict."""
    unique, conflicts = deduplicate([_copy(_fullUrl="a"), _copy(_fullUrl="b")])
    assert len(unique) == 1
    assert conflicts == {}


MRN = "urn:oid:2.16.840.1.113883.19.5"


@pytest.mark.parametrize(
    ("patient_ids", "subject", "owned"),
    [
        # The Patient's own MRN, by identifier alone.
        pytest.param(
            [(MRN, "1001")], {"identifier": {"system": MRN, "value": "1001"}}, True, id="own"
        ),
        # Another MRN: another patient's (probe R counted another's optic neuritis as a relapse).
        pytest.param(
            [(MRN, "1001")], {"identifier": {"system": MRN, "value": "2002"}}, False, id="other"
        ),
        # No system on the subject's identifier: its value must still be one of the Patient's.
        pytest.param([(MRN, "1001")], {"identifier": {"value": "2002"}}, False, id="no-system"),
        # The Patient's identifier has no system: its value alone decides.
        pytest.param(
            [("", "1001")],
            {"identifier": {"system": MRN, "value": "1001"}},
            True,
            id="own-no-system",
        ),
        pytest.param(
            [("", "1001")],
            {"identifier": {"system": MRN, "value": "2002"}},
            False,
            id="other-no-system",
        ),
        # A Patient with no identifier cannot tell: kept.
        pytest.param([], {"identifier": {"system": MRN, "value": "2002"}}, True, id="patient-none"),
        # A display alone says nothing checkable: kept.
        pytest.param([(MRN, "1001")], {"display": "Jane Doe"}, True, id="display"),
    ],
)
def test_a_subject_named_by_identifier_must_be_the_patients(
    patient_ids: list[tuple[str, str]], subject: dict[str, Any], owned: bool
) -> None:
    """A resource naming its patient only by identifier is this Patient's only when the
    identifier is one of hers.
    """
    patient = {
        "resourceType": "Patient",
        "id": "p1",
        "identifier": [{"system": s, "value": v} if s else {"value": v} for s, v in patient_ids],
    }
    condition = {"resourceType": "Condition", "id": "c1", "subject": subject}
    assert is_owned(condition, patient_keys(patient)) is owned
