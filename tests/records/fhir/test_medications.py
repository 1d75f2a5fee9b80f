"""Tests for service.records.fhir.medications: which medicationReferences the fetch layer reads,
and what an unreadable one means.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
import pytest
import responses

from service.facts import FactSet
from service.records.fhir.client import FhirClient
from service.records.fhir.fetch import fetch_record
from service.records.fhir.medications import medication_id
from service.rulebook.book import Rulebook
from service.rulebook.search_plan import Search
from tests.helpers.fakes import BASE, searchset

AS_OF = date(2026, 11, 20)
ORDERS = [Search("MedicationRequest", include="MedicationRequest:medication")]
DOXORUBICIN = {
    "resourceType": "Medication",
    "id": "m1",
    "code": {
        "coding": [
            {
                "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                "code": "3639",
                "display": "doxorubicin",
            }
        ],
        "text": "doxorubicin",
    },
}


def order(reference: dict[str, Any] | None, **fields: Any) -> dict[str, Any]:
    """Return an active doxorubicin-by-reference order of patient p1, written 10 days before the
    as-of date.
    """
    made = {
        "resourceType": "MedicationRequest",
        "id": "mr1",
        "status": "active",
        "intent": "order",
        "subject": {"reference": "Patient/p1"},
        "authoredOn": "2026-11-10",
        **fields,
    }
    if reference is not None:
        made["medicationReference"] = reference
    return made


def serve(
    server: responses.RequestsMock,
    *orders: dict[str, Any],
    medication: dict[str, Any] | None = DOXORUBICIN,
) -> None:
    """Answer the Patient read, the order search (without _include) and, when given, the
    Medication read.
    """
    server.add(
        responses.GET,
        BASE + "Patient/p1",
        body=orjson.dumps(
            {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1970-01-01"}
        ),
    )
    server.add(responses.GET, BASE + "MedicationRequest", body=orjson.dumps(searchset(*orders)))
    if medication is not None:
        server.add(
            responses.GET, BASE + f"Medication/{medication['id']}", body=orjson.dumps(medication)
        )


def not_found(server: responses.RequestsMock, medication_id: str) -> None:
    """Answer a Medication read with 404, as a server that does not have it."""
    server.add(
        responses.GET,
        BASE + f"Medication/{medication_id}",
        status=404,
        body=b'{"resourceType": "OperationOutcome", "issue": []}',
    )


def medication_reads(server: responses.RequestsMock) -> list[str]:
    """Return the Medication URLs the client asked for."""
    return [
        call.request.url or ""
        for call in server.calls
        if "/Medication/" in (call.request.url or "")
    ]


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        # A relative reference.
        pytest.param("Medication/m1", "m1", id="relative"),
        # A versioned reference names the same Medication.
        pytest.param("Medication/m1/_history/2", "m1", id="versioned"),
        # An absolute reference to this server.
        pytest.param(BASE + "Medication/m1", "m1", id="absolute-same-server"),
        # An absolute, versioned reference to this server.
        pytest.param(BASE + "Medication/m1/_history/7", "m1", id="absolute-versioned"),
        # Another server's Medication: not ours to read.
        pytest.param("https://other.example/fhir/Medication/m1", None, id="other-server"),
        # A look-alike host that merely starts with the base's host name.
        pytest.param(
            "https://fhir.example.org.evil.example/r4/Medication/m1", None, id="look-alike-host"
        ),
        # A contained Medication is resolved inside the order, never read.
        pytest.param("#med", None, id="contained"),
        # A Bundle-internal urn.
        pytest.param("urn:uuid:5b7c2f0e-0000-4000-8000-000000000001", None, id="urn"),
        # Another type.
        pytest.param("Substance/s1", None, id="other-type"),
        # Not a FHIR id.
        pytest.param("Medication/..", None, id="dot-dot"),
    ],
)
def test_medication_id(reference: str, expected: str | None) -> None:
    """A relative, versioned or same-server absolute reference names a Medication id to read;
    nothing else does.
    """
    assert medication_id(reference, BASE) == expected


@pytest.mark.parametrize(
    "reference",
    [
        pytest.param("Medication/m1/_history/2", id="versioned"),
        pytest.param(BASE + "Medication/m1", id="absolute"),
        pytest.param(BASE + "Medication/m1/_history/2", id="absolute-versioned"),
    ],
)
def test_versioned_and_absolute_references_are_read(
    book: Rulebook, server: responses.RequestsMock, client: FhirClient, reference: str
) -> None:
    """A versioned or same-server absolute reference is read once, and the drug it names decides
    the medication fact.
    """
    serve(server, order({"reference": reference}))
    record = fetch_record(client, ORDERS, "p1", AS_OF)
    assert (medication_reads(server), record.failed) == ([BASE + "Medication/m1"], {})
    assert FactSet(record, AS_OF, book).get("systemic_therapy_4w").value is True


def test_two_forms_of_one_reference_read_once(
    server: responses.RequestsMock, client: FhirClient
) -> None:
    """Orders naming the same Medication relatively and absolutely cause one read."""
    serve(
        server,
        order({"reference": "Medication/m1"}),
        order({"reference": BASE + "Medication/m1/_history/3"}, id="mr2"),
    )
    fetch_record(client, ORDERS, "p1", AS_OF)
    assert medication_reads(server) == [BASE + "Medication/m1"]


@pytest.mark.parametrize(
    "reference",
    [
        # Another server's Medication is not read (the token is not sent there).
        pytest.param({"reference": "https://other.example/fhir/Medication/zz9"}, id="other-server"),
        # A #contained id the order does not contain.
        pytest.param({"reference": "#missing"}, id="missing-contained"),
        # A logical reference: an identifier, no literal reference.
        pytest.param(
            {
                "identifier": {"system": "urn:oid:2.16.840.1.113883.6.88", "value": "3639"},
                "display": "Medication",
            },
            id="identifier-only",
        ),
    ],
)
def test_unresolvable_reference_is_unknown_not_no(
    book: Rulebook, server: responses.RequestsMock, client: FhirClient, reference: dict[str, Any]
) -> None:
    """An order whose drug cannot be resolved leaves the medication fact unknown, with the
    reference as the reason, and nothing is read.
    """
    serve(server, order(reference), medication=None)
    record = fetch_record(client, ORDERS, "p1", AS_OF)
    result = FactSet(record, AS_OF, book).get("systemic_therapy_4w")
    assert (medication_reads(server), result.value) == ([], None)
    assert any("is not in the record" in (e.note or "") for e in result.evidence)


def test_failed_read_of_a_versioned_reference_is_recorded(
    server: responses.RequestsMock, client: FhirClient
) -> None:
    """A versioned reference whose Medication the server does not have marks the orders failed,
    naming the read.
    """
    serve(server, order({"reference": "Medication/m1/_history/2"}), medication=None)
    not_found(server, "m1")
    record = fetch_record(client, ORDERS, "p1", AS_OF)
    assert record.failed["MedicationRequest"].startswith(
        "a referenced Medication could not be read"
    )


IV_MIX = {
    "resourceType": "Medication",
    "id": "mix1",
    "code": {"text": "IV MIX 250 mL"},
    "ingredient": [{"itemReference": {"reference": "Medication/m1"}}],
}


def test_an_iv_mix_ingredient_is_read_after_the_mix(
    book: Rulebook, server: responses.RequestsMock, client: FhirClient
) -> None:
    """An order of an IV mix (a Medication whose ingredient references the drug's Medication, as
    Epic writes one) has the mix read, then its ingredient, and the drug decides the fact.
    """
    serve(server, order({"reference": "Medication/mix1"}), medication=IV_MIX)
    server.add(responses.GET, BASE + "Medication/m1", body=orjson.dumps(DOXORUBICIN))
    record = fetch_record(client, ORDERS, "p1", AS_OF)
    assert medication_reads(server) == [BASE + "Medication/mix1", BASE + "Medication/m1"]
    assert FactSet(record, AS_OF, book).get("systemic_therapy_4w").value is True


def test_an_iv_mix_ingredient_the_server_lacks_leaves_the_drug_unknown(
    book: Rulebook, server: responses.RequestsMock, client: FhirClient
) -> None:
    """A mix whose ingredient Medication cannot be read is a drug unknown, never "not given"."""
    serve(server, order({"reference": "Medication/mix1"}), medication=IV_MIX)
    not_found(server, "m1")
    record = fetch_record(client, ORDERS, "p1", AS_OF)
    result = FactSet(record, AS_OF, book).get("systemic_therapy_4w")
    assert (result.value, record.failed) == (None, {})
    assert any("Medication/m1" in (e.note or "") for e in result.evidence)


def test_a_contained_iv_mix_ingredient_is_read_from_the_server(
    book: Rulebook, server: responses.RequestsMock, client: FhirClient
) -> None:
    """A mix contained in the order whose ingredient names a Medication on the server has that
    Medication read, and the drug decides the fact.
    """
    contained = {**IV_MIX, "id": "mix"}
    serve(server, order({"reference": "#mix"}, contained=[contained]), medication=None)
    server.add(responses.GET, BASE + "Medication/m1", body=orjson.dumps(DOXORUBICIN))
    record = fetch_record(client, ORDERS, "p1", AS_OF)
    assert medication_reads(server) == [BASE + "Medication/m1"]
    assert FactSet(record, AS_OF, book).get("systemic_therapy_4w").value is True
