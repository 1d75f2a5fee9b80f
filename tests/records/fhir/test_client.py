"""Tests for service.records.fhir.client: paging within the base URL, retries, deadlines, auth
refusals and malformed answers.
"""

from __future__ import annotations

import time
from datetime import date
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
import requests
import responses
from cryptography.hazmat.primitives.asymmetric import rsa
from responses import matchers

from service.errors import (
    FhirAuthRefused,
    FhirDeadlineExceeded,
    FhirFatalError,
    FhirTemporaryError,
    PatientNotFound,
)
from service.records.fhir import client as client_module
from service.records.fhir.auth import BearerToken, SmartBackendServices
from service.records.fhir.client import ClientSettings, Deadline, FhirClient
from service.rulebook.definitions import Window
from service.rulebook.search_plan import Search
from tests.helpers.fakes import BASE, Clock, CountingAuth, ids, observation, searchset
from tests.helpers.fhir import pem

OBSERVATIONS = BASE + "Observation"
FIRST_PAGE = [matchers.query_param_matcher({"patient": "Patient/p1"})]
PATIENT_QUERY = [("patient", "Patient/p1")]
TOKEN = "secret-token-abc123"  # noqa: S105 - a test token


def deadline(seconds: float = 30.0) -> Deadline:
    """Return a generous deadline on a clock that does not move."""
    return Deadline(seconds, clock=Clock())


def urls(server: responses.RequestsMock) -> list[str]:
    """Return the URLs requested, in order."""
    return [str(call.request.url) for call in server.calls]


# --- paging -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page2", "page3"),
    [
        # Relative to the base URL, as many servers write them.
        pytest.param("Observation?page=2", "Observation?page=3", id="relative"),
        # Absolute, within the base.
        pytest.param(OBSERVATIONS + "?page=2", OBSERVATIONS + "?page=3", id="absolute"),
        # Absolute, with the host in another case (hosts are case-insensitive).
        pytest.param(
            "https://FHIR.example.org/r4/Observation?page=2",
            "https://fhir.EXAMPLE.org/r4/Observation?page=3",
            id="host-case",
        ),
    ],
)
def test_search_follows_next_links_over_three_pages(
    server: responses.RequestsMock, client: FhirClient, page2: str, page3: str
) -> None:
    """A search reads every page its next links point to, in order, and returns all the entries."""
    server.get(
        OBSERVATIONS,
        json=searchset(observation("o1"), observation("o2"), next_url=page2),
        match=FIRST_PAGE,
    )
    server.get(OBSERVATIONS + "?page=2", json=searchset(observation("o3"), next_url=page3))
    server.get(OBSERVATIONS + "?page=3", json=searchset(observation("o4")))
    assert ids(client.search("Observation", PATIENT_QUERY, deadline())) == ["o1", "o2", "o3", "o4"]
    assert len(server.calls) == 3


@pytest.mark.parametrize(
    "next_url",
    [
        # Another host altogether.
        pytest.param("https://evil.example.com/r4/Observation?page=2", id="other-host"),
        # Another host, written scheme-relative.
        pytest.param("//evil.example.com/r4/Observation?page=2", id="scheme-relative"),
        # The base host as user info in front of another host.
        pytest.param(
            "https://fhir.example.org@evil.example.com/r4/Observation?page=2", id="userinfo"
        ),
        # The same host on another port.
        pytest.param("https://fhir.example.org:8443/r4/Observation?page=2", id="other-port"),
        # The same host over plain http: the token would travel in clear text.
        pytest.param("http://fhir.example.org/r4/Observation?page=2", id="http-downgrade"),
        # The same host, a path beside the base.
        pytest.param("https://fhir.example.org/admin/Observation?page=2", id="other-path"),
        # The same host, the root (absolute path reference).
        pytest.param("/admin?page=2", id="absolute-path"),
        # A path that only starts with the base's characters.
        pytest.param("https://fhir.example.org/r4-internal/Observation?page=2", id="path-prefix"),
        # Dot segments climbing out of the base (requests resolves them before sending).
        pytest.param("https://fhir.example.org/r4/../admin/Observation?page=2", id="dot-segments"),
        # Relative dot segments, resolved against the base.
        pytest.param("../admin/Observation?page=2", id="relative-dot-segments"),
        # Percent-encoded dot segments (a server may decode them before resolving).
        pytest.param(
            "https://fhir.example.org/r4/%2e%2e/admin/Observation?page=2", id="encoded-dot-segments"
        ),
    ],
)
def test_next_link_outside_the_base_is_refused_without_a_request(
    server: responses.RequestsMock, client: FhirClient, next_url: str
) -> None:
    """A next link outside the base URL is a fatal error, and nothing is sent to it (the token
    would go along).
    """
    server.get(OBSERVATIONS, json=searchset(observation("o1"), next_url=next_url), match=FIRST_PAGE)
    with pytest.raises(FhirFatalError, match="outside"):
        client.search("Observation", PATIENT_QUERY, deadline())
    assert urls(server) == [OBSERVATIONS + "?patient=Patient%2Fp1"]


def test_repeated_next_link_stops_the_search(
    server: responses.RequestsMock, client: FhirClient
) -> None:
    """A next link back to a page already read is a fatal error, not a loop."""
    server.get(
        OBSERVATIONS,
        json=searchset(observation("o1"), next_url="Observation?page=2"),
        match=FIRST_PAGE,
    )
    server.get(
        OBSERVATIONS + "?page=2", json=searchset(observation("o2"), next_url="Observation?page=2")
    )
    with pytest.raises(FhirFatalError, match="repeats a page"):
        client.search("Observation", PATIENT_QUERY, deadline())
    assert len(server.calls) == 2


def test_endless_paging_stops_at_the_page_limit(
    server: responses.RequestsMock, client: FhirClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that pages on and on (new links each time) is stopped after MAX_PAGES pages."""
    monkeypatch.setattr(client_module, "MAX_PAGES", 4)

    def page(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        number = int(parse_qs(urlsplit(str(request.url)).query).get("page", ["1"])[0])
        return (
            200,
            {},
            orjson.dumps(
                searchset(observation(f"o{number}"), next_url=f"Observation?page={number + 1}")
            ).decode(),
        )

    server.add_callback(responses.GET, OBSERVATIONS, callback=page)
    with pytest.raises(FhirFatalError, match="more than 4 pages"):
        client.search("Observation", PATIENT_QUERY, deadline())
    assert len(server.calls) == 4


# --- retries ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status",
    [
        # Request timeout.
        pytest.param(408, id="408"),
        # Too many requests, without Retry-After.
        pytest.param(429, id="429"),
        # Internal error.
        pytest.param(500, id="500"),
        # Bad gateway.
        pytest.param(502, id="502"),
        # Unavailable.
        pytest.param(503, id="503"),
        # Gateway timeout.
        pytest.param(504, id="504"),
    ],
)
def test_temporary_status_twice_then_success(
    server: responses.RequestsMock, client: FhirClient, slept: list[float], status: int
) -> None:
    """Two temporary failures then a 200: the search succeeds after two backoff sleeps (0.5 s,
    then 1 s, with jitter).
    """
    server.get(OBSERVATIONS, status=status)
    server.get(OBSERVATIONS, status=status)
    server.get(OBSERVATIONS, json=searchset(observation("o1")))
    assert ids(client.search("Observation", PATIENT_QUERY, deadline())) == ["o1"]
    assert len(server.calls) == 3
    assert len(slept) == 2
    assert 0.25 <= slept[0] <= 0.5
    assert 0.5 <= slept[1] <= 1.0


def test_temporary_status_on_every_try_gives_up(
    server: responses.RequestsMock, client: FhirClient, slept: list[float]
) -> None:
    """503 on all three tries raises FhirTemporaryError saying so, after two sleeps (none after
    the last try).
    """
    server.get(OBSERVATIONS, status=503)
    with pytest.raises(FhirTemporaryError, match="503 after 3 tries"):
        client.search("Observation", PATIENT_QUERY, deadline())
    assert len(server.calls) == 3
    assert len(slept) == 2


def test_retry_after_seconds_is_slept_exactly(
    server: responses.RequestsMock, client: FhirClient, slept: list[float]
) -> None:
    """429 with Retry-After: 2 waits exactly 2 s (no backoff, no jitter) before the next try."""
    server.get(OBSERVATIONS, status=429, headers={"Retry-After": "2"})
    server.get(OBSERVATIONS, json=searchset(observation("o1")))
    assert ids(client.search("Observation", PATIENT_QUERY, deadline())) == ["o1"]
    assert slept == [2.0]


@pytest.mark.parametrize(
    ("offset", "low", "high"),
    [
        # Ten seconds ahead: about ten seconds (the date has whole seconds).
        pytest.param(10, 8.0, 10.0, id="future"),
        # Already past: retry at once.
        pytest.param(-60, 0.0, 0.0, id="past"),
    ],
)
def test_retry_after_http_date(
    server: responses.RequestsMock,
    client: FhirClient,
    slept: list[float],
    offset: int,
    low: float,
    high: float,
) -> None:
    """Retry-After as an HTTP date waits until that moment."""
    server.get(
        OBSERVATIONS,
        status=503,
        headers={"Retry-After": formatdate(time.time() + offset, usegmt=True)},
    )
    server.get(OBSERVATIONS, json=searchset(observation("o1")))
    client.search("Observation", PATIENT_QUERY, deadline())
    assert len(slept) == 1
    assert low <= slept[0] <= high


@pytest.mark.parametrize(
    "value",
    [
        # Not a number nor a date.
        pytest.param("soon", id="text"),
        # A negative number is not delta-seconds.
        pytest.param("-5", id="negative"),
    ],
)
def test_unreadable_retry_after_falls_back_to_backoff(
    server: responses.RequestsMock, client: FhirClient, slept: list[float], value: str
) -> None:
    """A Retry-After that is neither seconds nor a date is ignored: the usual backoff applies."""
    server.get(OBSERVATIONS, status=503, headers={"Retry-After": value})
    server.get(OBSERVATIONS, json=searchset(observation("o1")))
    client.search("Observation", PATIENT_QUERY, deadline())
    assert len(slept) == 1
    assert 0.25 <= slept[0] <= 0.5


def test_retry_after_longer_than_allowed_gives_up_at_once(
    server: responses.RequestsMock, client: FhirClient, slept: list[float]
) -> None:
    """A Retry-After over max_retry_after (30 s) fails at once instead of waiting or trying
    again.
    """
    server.get(OBSERVATIONS, status=503, headers={"Retry-After": "31"})
    with pytest.raises(FhirTemporaryError, match="asks to wait 31 s") as caught:
        client.search("Observation", PATIENT_QUERY, deadline())
    assert caught.value.http_status == 503
    assert len(server.calls) == 1
    assert slept == []


@pytest.mark.parametrize(
    "failure",
    [
        # Connection refused or reset.
        pytest.param(requests.ConnectionError("refused"), id="connection-error"),
        # No answer within the read timeout.
        pytest.param(requests.ReadTimeout("slow"), id="read-timeout"),
        # No connection within the connect timeout.
        pytest.param(requests.ConnectTimeout("slow"), id="connect-timeout"),
        # The answer was cut off mid-body.
        pytest.param(requests.exceptions.ChunkedEncodingError("cut"), id="cut-off"),
    ],
)
def test_network_failure_then_success(
    server: responses.RequestsMock, client: FhirClient, slept: list[float], failure: Exception
) -> None:
    """A network failure is retried after a backoff, and the next answer is used."""
    server.get(OBSERVATIONS, body=failure)
    server.get(OBSERVATIONS, json=searchset(observation("o1")))
    assert ids(client.search("Observation", PATIENT_QUERY, deadline())) == ["o1"]
    assert len(slept) == 1


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        # Connection errors on every try.
        pytest.param(
            requests.ConnectionError("refused"),
            "connection failed after 3 tries",
            id="connection-error",
        ),
    ],
)
def test_network_failure_on_every_try_gives_up(
    server: responses.RequestsMock, client: FhirClient, failure: Exception, message: str
) -> None:
    """A network failure on all three tries raises FhirTemporaryError naming it."""
    server.get(OBSERVATIONS, body=failure)
    with pytest.raises(FhirTemporaryError, match=message):
        client.search("Observation", PATIENT_QUERY, deadline())
    assert len(server.calls) == 3


def test_timeout_on_every_try_is_a_gateway_timeout(
    server: responses.RequestsMock, client: FhirClient
) -> None:
    """A server that never answers (a timeout on all three tries) is FhirDeadlineExceeded, a 504,
    naming the timeout.
    """
    server.get(OBSERVATIONS, body=requests.Timeout("slow"))
    with pytest.raises(FhirDeadlineExceeded, match="no answer within 10 s after 3 tries") as caught:
        client.search("Observation", PATIENT_QUERY, deadline())
    assert len(server.calls) == 3
    assert caught.value.status == 504


def test_hung_patient_read_at_the_deadline_is_504(server: responses.RequestsMock) -> None:
    """A hung Patient read whose last try is cut short by the deadline answers 504 (the README's
    promise), not 502.
    """
    clock = Clock()
    hung = FhirClient(
        BASE, settings=ClientSettings(timeout=10, tries=3, backoff=0.5), sleep=clock.sleep
    )

    def hang(request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        clock.now += request.req_kwargs["timeout"]  # type: ignore[attr-defined]
        raise requests.ReadTimeout("hung")

    server.add_callback(responses.GET, BASE + "Patient/p1", callback=hang)
    with pytest.raises(FhirDeadlineExceeded) as caught:
        hung.read("Patient", "p1", Deadline(30, clock=clock))
    assert caught.value.status == 504
    assert clock.now <= 1000 + 30 + 1e-9


def test_timeouts_then_an_error_status_stay_temporary(
    server: responses.RequestsMock, client: FhirClient
) -> None:
    """A server that answered at last with a 503 is unavailable (502), not a timeout."""
    server.get(OBSERVATIONS, body=requests.Timeout("slow"))
    server.get(OBSERVATIONS, body=requests.Timeout("slow"))
    server.get(OBSERVATIONS, status=503)
    with pytest.raises(FhirTemporaryError, match="503 after 3 tries"):
        client.search("Observation", PATIENT_QUERY, deadline())


def test_unsendable_request_is_fatal(
    server: responses.RequestsMock, client: FhirClient, slept: list[float]
) -> None:
    """A requests error that retrying cannot fix (an invalid header) is a FhirFatalError, not a
    stray requests exception.
    """
    server.get(OBSERVATIONS, body=requests.exceptions.InvalidHeader("bad header"))
    with pytest.raises(FhirFatalError, match="could not be sent"):
        client.search("Observation", PATIENT_QUERY, deadline())
    assert len(server.calls) == 1
    assert slept == []


# --- deadline -----------------------------------------------------------------------------------


def test_passed_deadline_sends_nothing(server: responses.RequestsMock, client: FhirClient) -> None:
    """With the deadline already passed, no request is sent."""
    clock = Clock()
    passed = Deadline(5, clock=clock)
    clock.now += 5
    with pytest.raises(FhirDeadlineExceeded, match="5 s deadline passed"):
        client.search("Observation", PATIENT_QUERY, passed)
    assert len(server.calls) == 0


def test_retry_after_beyond_the_deadline_stops(
    server: responses.RequestsMock, client: FhirClient, slept: list[float]
) -> None:
    """A Retry-After longer than the time left ends the request at once with
    FhirDeadlineExceeded.
    """
    server.get(OBSERVATIONS, status=503, headers={"Retry-After": "10"})
    with pytest.raises(FhirDeadlineExceeded, match="no time left"):
        client.search("Observation", PATIENT_QUERY, deadline(5))
    assert len(server.calls) == 1
    assert slept == []


def test_sleeps_use_up_the_deadline(server: responses.RequestsMock) -> None:
    """Time slept between tries counts against the deadline: the try whose wait would pass it is
    not made.
    """
    clock = Clock()
    patient = FhirClient(BASE, settings=ClientSettings(tries=5), sleep=clock.sleep)
    server.get(OBSERVATIONS, status=503, headers={"Retry-After": "1"})
    with pytest.raises(FhirDeadlineExceeded):
        patient.search("Observation", PATIENT_QUERY, Deadline(2.5, clock=clock))
    assert len(server.calls) == 3
    assert clock.now == 1002.0


def test_request_timeout_is_capped_by_the_time_left(
    server: responses.RequestsMock, client: FhirClient
) -> None:
    """Each request's timeout is the lesser of the configured timeout (10 s) and the time left."""
    server.get(OBSERVATIONS, json=searchset())
    client.search("Observation", PATIENT_QUERY, deadline(4))
    client.search("Observation", PATIENT_QUERY, deadline(60))
    assert [call.request.req_kwargs["timeout"] for call in server.calls] == [4, 10]  # type: ignore[attr-defined]


# --- fatal answers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "quoted"),
    [
        # The usual place for the server's explanation.
        pytest.param(
            {
                "resourceType": "OperationOutcome",
                "issue": [
                    {
                        "severity": "error",
                        "code": "invalid",
                        "diagnostics": "Unknown parameter 'combo-code'",
                    }
                ],
            },
            "Unknown parameter 'combo-code'",
            id="diagnostics",
        ),
        # Some servers use details.text instead.
        pytest.param(
            {
                "resourceType": "OperationOutcome",
                "issue": [
                    {"severity": "error", "code": "invalid", "details": {"text": "Bad date"}}
                ],
            },
            "Bad date",
            id="details-text",
        ),
        # Several issues are joined.
        pytest.param(
            {
                "resourceType": "OperationOutcome",
                "issue": [{"diagnostics": "first"}, {"diagnostics": "second"}],
            },
            "first; second",
            id="several",
        ),
    ],
)
def test_bad_request_quotes_the_operation_outcome(
    server: responses.RequestsMock,
    client: FhirClient,
    slept: list[float],
    body: dict[str, Any],
    quoted: str,
) -> None:
    """A 400 is a FhirFatalError quoting the OperationOutcome, and it is not retried."""
    server.get(OBSERVATIONS, status=400, json=body)
    with pytest.raises(FhirFatalError) as caught:
        client.search("Observation", PATIENT_QUERY, deadline())
    assert quoted in caught.value.message
    assert caught.value.http_status == 400
    assert len(server.calls) == 1
    assert slept == []


@pytest.mark.parametrize(
    "status",
    [
        # Bad request without an OperationOutcome.
        pytest.param(400, id="400"),
        # A search of an unsupported type.
        pytest.param(404, id="404"),
        # Method not allowed.
        pytest.param(405, id="405"),
        # Unprocessable search.
        pytest.param(422, id="422"),
        # Not implemented: retrying will not implement it.
        pytest.param(501, id="501"),
    ],
)
def test_other_client_errors_are_fatal_and_not_retried(
    server: responses.RequestsMock, client: FhirClient, status: int
) -> None:
    """A status that is neither success, auth nor temporary is a FhirFatalError after one try."""
    server.get(OBSERVATIONS, status=status, body="<html>nope</html>")
    with pytest.raises(FhirFatalError, match=f"Observation search: {status}$") as caught:
        client.search("Observation", PATIENT_QUERY, deadline())
    assert caught.value.http_status == status
    assert len(server.calls) == 1


@pytest.mark.parametrize(
    "status",
    [
        # Never existed.
        pytest.param(404, id="404"),
        # Deleted.
        pytest.param(410, id="410"),
    ],
)
def test_missing_patient_is_patient_not_found(
    server: responses.RequestsMock, client: FhirClient, status: int
) -> None:
    """A 404 or 410 on a Patient read is PatientNotFound, not a server error."""
    server.get(
        BASE + "Patient/p1",
        status=status,
        json={"resourceType": "OperationOutcome", "issue": [{"diagnostics": "gone"}]},
    )
    with pytest.raises(PatientNotFound):
        client.read("Patient", "p1", deadline())
    assert len(server.calls) == 1


def test_missing_medication_is_a_fatal_error(
    server: responses.RequestsMock, client: FhirClient
) -> None:
    """A 404 on a read of another type is a FhirFatalError (the patient exists; one of their
    references is dangling).
    """
    server.get(BASE + "Medication/m1", status=404)
    with pytest.raises(FhirFatalError) as caught:
        client.read("Medication", "m1", deadline())
    assert not isinstance(caught.value, PatientNotFound)
    assert caught.value.http_status == 404


def test_read_returns_the_resource(server: responses.RequestsMock, client: FhirClient) -> None:
    """A read GETs [base]/Type/id and returns the resource."""
    server.get(BASE + "Patient/p1", json={"resourceType": "Patient", "id": "p1"})
    assert client.read("Patient", "p1", deadline()) == {"resourceType": "Patient", "id": "p1"}


def test_read_of_the_wrong_type_is_fatal(
    server: responses.RequestsMock, client: FhirClient
) -> None:
    """A read answered with another resource type is a FhirFatalError."""
    server.get(BASE + "Patient/p1", json={"resourceType": "Bundle", "type": "searchset"})
    with pytest.raises(FhirFatalError, match="'Bundle', not a Patient"):
        client.read("Patient", "p1", deadline())


@pytest.mark.parametrize(
    "resource_id",
    [
        # The parent path: would resolve to the base URL itself.
        pytest.param("..", id="dot-dot"),
        # The current path: would resolve to a search of every Patient.
        pytest.param(".", id="dot"),
        # A second path segment.
        pytest.param("p1/_history", id="slash"),
        # A query of its own.
        pytest.param("p1?_format=xml", id="query"),
        # Empty.
        pytest.param("", id="empty"),
        # Longer than 64 characters.
        pytest.param("p" * 65, id="too-long"),
    ],
)
def test_read_refuses_an_id_that_is_not_a_fhir_id(
    server: responses.RequestsMock, client: FhirClient, resource_id: str
) -> None:
    """A Patient id that is not a FHIR id is PatientNotFound and no request is sent (it could
    change the URL).
    """
    with pytest.raises(PatientNotFound):
        client.read("Patient", resource_id, deadline())
    with pytest.raises(FhirFatalError, match="not a FHIR id"):
        client.read("Medication", resource_id, deadline())
    assert len(server.calls) == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # HTML from a proxy.
        pytest.param(b"<html>Service</html>", "not JSON", id="not-json"),
        # JSON, but not an object.
        pytest.param(b"[]", "not a FHIR resource", id="json-list"),
        # A Patient where a Bundle is expected.
        pytest.param(
            b'{"resourceType": "Patient", "id": "p1"}',
            "'Patient', not a Bundle",
            id="patient-not-bundle",
        ),
        # Bundle.entry an object instead of a list.
        pytest.param(
            b'{"resourceType": "Bundle", "entry": {"resource": {}}}',
            "Bundle.entry must be a list",
            id="entry-not-list",
        ),
        # An entry without a resource.
        pytest.param(
            b'{"resourceType": "Bundle", "entry": [{"fullUrl": "x"}]}',
            r"Bundle.entry\[0\] has no resource",
            id="entry-without-resource",
        ),
        # An entry whose resource has no resourceType.
        pytest.param(
            b'{"resourceType": "Bundle", "entry": [{"resource": {"id": "o1"}}]}',
            r"Bundle.entry\[0\] has no resource",
            id="resource-without-type",
        ),
        # An entry that is not an object.
        pytest.param(
            b'{"resourceType": "Bundle", "entry": ["o1"]}',
            r"Bundle.entry\[0\] has no resource",
            id="entry-not-object",
        ),
        # Bundle.link an object instead of a list.
        pytest.param(
            b'{"resourceType": "Bundle", "link": {"relation": "next"}}',
            "Bundle.link is not a list",
            id="link-not-list",
        ),
        # A next link without a url.
        pytest.param(
            b'{"resourceType": "Bundle", "link": [{"relation": "next"}]}',
            "next link has no url",
            id="next-without-url",
        ),
    ],
)
def test_malformed_answer_is_fatal(
    server: responses.RequestsMock, client: FhirClient, body: bytes, message: str
) -> None:
    """A 200 that is not a usable searchset is a FhirFatalError, not retried."""
    server.get(OBSERVATIONS, body=body, content_type="application/fhir+json")
    with pytest.raises(FhirFatalError, match=message):
        client.search("Observation", PATIENT_QUERY, deadline())
    assert len(server.calls) == 1


def test_operation_outcome_entries_are_skipped(
    server: responses.RequestsMock, client: FhirClient
) -> None:
    """OperationOutcome entries holding warnings (or no issue) are notes, not results; includes
    are kept.
    """
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            # A warning about the search, marked as such.
            {
                "resource": {
                    "resourceType": "OperationOutcome",
                    "issue": [{"severity": "warning", "diagnostics": "slow"}],
                },
                "search": {"mode": "outcome"},
            },
            {"resource": observation("o1"), "search": {"mode": "match"}},
            # An OperationOutcome without search.mode.
            {"resource": {"resourceType": "OperationOutcome", "issue": []}},
            # An included resource.
            {"resource": {"resourceType": "Medication", "id": "m1"}, "search": {"mode": "include"}},
            # A malformed search element: kept as a match rather than failing the page.
            {"resource": observation("o2"), "search": "match"},
        ],
    }
    server.get(OBSERVATIONS, json=bundle)
    assert ids(client.search("Observation", PATIENT_QUERY, deadline())) == ["o1", "m1", "o2"]


def test_warning_outcome_is_kept_as_a_note_without_its_text(
    server: responses.RequestsMock, client: FhirClient
) -> None:
    """A warning or information OperationOutcome in a searchset is a note naming its severity and
    code, never the server's free text.
    """
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [
            {"severity": "warning", "code": "processing", "diagnostics": "Jane Doe p1: slow"},
            {"severity": "information", "code": "informational"},
        ],
    }
    server.get(
        OBSERVATIONS,
        json={
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [
                {"resource": outcome, "search": {"mode": "outcome"}},
                {"resource": observation("o1"), "search": {"mode": "match"}},
            ],
        },
    )
    notes: list[str] = []
    assert ids(client.search("Observation", PATIENT_QUERY, deadline(), notes=notes)) == ["o1"]
    assert notes == [
        "Observation search: the server noted information 'informational', warning 'processing'"
    ]


ERROR_OUTCOME = {
    "resourceType": "OperationOutcome",
    "issue": [
        {
            "severity": "error",
            "code": "not-supported",
            "diagnostics": "Unknown parameter for Patient/p1 (Jane Doe)",
        }
    ],
}


@pytest.mark.parametrize(
    ("entries", "summary"),
    [
        # The red-team shape: a 200 searchset whose only entry is an error outcome ("no results").
        pytest.param(
            [{"resource": ERROR_OUTCOME, "search": {"mode": "outcome"}}],
            "error 'not-supported'",
            id="error-only",
        ),
        # A fatal outcome beside some matches: the matches are not the whole answer.
        pytest.param(
            [
                {"resource": observation("o1"), "search": {"mode": "match"}},
                {
                    "resource": {
                        **ERROR_OUTCOME,
                        "issue": [{"severity": "fatal", "code": "exception"}],
                    },
                    "search": {"mode": "outcome"},
                },
            ],
            "fatal 'exception'",
            id="fatal-beside-matches",
        ),
        # An error outcome without search.mode.
        pytest.param([{"resource": ERROR_OUTCOME}], "error 'not-supported'", id="no-mode"),
        # An issue with no severity: it cannot be read as a mere note.
        pytest.param(
            [
                {
                    "resource": {
                        "resourceType": "OperationOutcome",
                        "issue": [{"code": "processing"}],
                    },
                    "search": {"mode": "outcome"},
                }
            ],
            "no severity 'processing'",
            id="no-severity",
        ),
        # Issues that are not a list.
        pytest.param(
            [
                {
                    "resource": {
                        "resourceType": "OperationOutcome",
                        "issue": {"severity": "error"},
                    },
                    "search": {"mode": "outcome"},
                }
            ],
            "no issues",
            id="issue-not-list",
        ),
        # A warning and an error together: the error wins.
        pytest.param(
            [
                {
                    "resource": {
                        "resourceType": "OperationOutcome",
                        "issue": [
                            {"severity": "warning", "code": "incomplete"},
                            {"severity": "error", "code": "too-costly"},
                        ],
                    },
                    "search": {"mode": "outcome"},
                }
            ],
            "error 'too-costly', warning 'incomplete'",
            id="warning-and-error",
        ),
    ],
)
def test_error_outcome_in_searchset_fails_the_search(
    server: responses.RequestsMock, client: FhirClient, entries: list[dict[str, Any]], summary: str
) -> None:
    """A 200 searchset holding an error (or fatal, or unreadable) OperationOutcome fails the
    search, naming the issues but not their text.
    """
    server.get(OBSERVATIONS, json={"resourceType": "Bundle", "type": "searchset", "entry": entries})
    with pytest.raises(FhirFatalError, match="reported an error in the searchset") as caught:
        client.search("Observation", PATIENT_QUERY, deadline())
    assert f"({summary})" in caught.value.message
    assert "Jane" not in caught.value.message
    assert "p1" not in caught.value.message
    assert len(server.calls) == 1


def test_error_outcome_on_a_later_page_fails_the_search(
    server: responses.RequestsMock, client: FhirClient
) -> None:
    """Page 2 holding only an error outcome fails the whole search: page 1 does not pass for the
    whole.
    """
    server.get(
        OBSERVATIONS,
        json=searchset(observation("o1"), next_url="Observation?page=2"),
        match=FIRST_PAGE,
    )
    server.get(
        OBSERVATIONS + "?page=2",
        json={
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": ERROR_OUTCOME, "search": {"mode": "outcome"}}],
        },
    )
    with pytest.raises(FhirFatalError, match="reported an error in the searchset"):
        client.search("Observation", PATIENT_QUERY, deadline())


@pytest.mark.parametrize("page", [1, 2], ids=["first-page", "second-page"])
def test_operation_outcome_instead_of_a_bundle_fails_the_search(
    server: responses.RequestsMock, client: FhirClient, page: int
) -> None:
    """A 200 whose body is an OperationOutcome, not a Bundle, on any page, fails the search,
    naming its issues but not their text.
    """
    if page == 1:
        server.get(OBSERVATIONS, json=ERROR_OUTCOME)
    else:
        server.get(
            OBSERVATIONS,
            json=searchset(observation("o1"), next_url="Observation?page=2"),
            match=FIRST_PAGE,
        )
        server.get(
            OBSERVATIONS + "?page=2",
            json={**ERROR_OUTCOME, "issue": [{"severity": "information", "code": "informational"}]},
        )
    with pytest.raises(
        FhirFatalError, match=r"answered with an OperationOutcome .*, not a Bundle"
    ) as caught:
        client.search("Observation", PATIENT_QUERY, deadline())
    assert "Jane" not in caught.value.message


def test_match_of_another_type_fails_the_search(
    server: responses.RequestsMock, client: FhirClient
) -> None:
    """A Condition search answered with Observations did not run as asked: a failure, not "no
    Conditions".
    """
    server.get(BASE + "Condition", json=searchset(observation("o1")))
    with pytest.raises(
        FhirFatalError, match="answered with a Observation as a match of a Condition search"
    ):
        client.search("Condition", PATIENT_QUERY, deadline())


def test_follow_reads_the_rest_of_a_searchset(
    server: responses.RequestsMock, client: FhirClient
) -> None:
    """follow() reads a next link's pages within the base URL and returns their resources."""
    server.get(
        OBSERVATIONS + "?page=2", json=searchset(observation("o2"), next_url="Observation?page=3")
    )
    server.get(OBSERVATIONS + "?page=3", json=searchset(observation("o3")))
    assert ids(
        client.follow("Observation?page=2", "Observation", deadline(), "prefetch 'observations'")
    ) == ["o2", "o3"]


def test_follow_refuses_a_link_outside_the_base(
    server: responses.RequestsMock, client: FhirClient
) -> None:
    """follow() sends nothing for a next link on another host."""
    with pytest.raises(FhirFatalError, match="outside the FHIR base URL"):
        client.follow(
            "https://evil.example.org/r4/Observation?page=2",
            "Observation",
            deadline(),
            "prefetch 'observations'",
        )
    assert len(server.calls) == 0


def test_empty_searchset_is_an_empty_list(
    server: responses.RequestsMock, client: FhirClient
) -> None:
    """A searchset without entries (no matches) is an empty result, not an error."""
    server.get(OBSERVATIONS, json={"resourceType": "Bundle", "type": "searchset", "total": 0})
    assert client.search("Observation", PATIENT_QUERY, deadline()) == []


@pytest.mark.parametrize(
    "status",
    [
        # Moved permanently.
        pytest.param(301, id="301"),
        # Found.
        pytest.param(302, id="302"),
        # See other.
        pytest.param(303, id="303"),
        # Temporary redirect.
        pytest.param(307, id="307"),
        # Permanent redirect.
        pytest.param(308, id="308"),
    ],
)
def test_redirects_are_not_followed(server: responses.RequestsMock, status: int) -> None:
    """A redirect is a FhirFatalError; nothing is sent to its Location (the bearer token would go
    along).
    """
    patient = FhirClient(BASE, auth=BearerToken(TOKEN))
    server.get(OBSERVATIONS, status=status, headers={"Location": "https://evil.example.com/steal"})
    server.get("https://evil.example.com/steal", json=searchset())
    with pytest.raises(FhirFatalError, match=str(status)):
        patient.search("Observation", PATIENT_QUERY, deadline())
    assert urls(server) == [OBSERVATIONS + "?patient=Patient%2Fp1"]


# --- authentication -----------------------------------------------------------------------------


def test_401_with_refreshable_auth_refreshes_once_and_retries(
    server: responses.RequestsMock, slept: list[float]
) -> None:
    """A 401 invalidates a refreshable credential and retries at once with the new one, without
    using up a try.
    """
    auth = CountingAuth()
    patient = FhirClient(BASE, auth=auth, settings=ClientSettings(tries=1), sleep=slept.append)
    server.get(OBSERVATIONS, status=401)
    server.get(OBSERVATIONS, json=searchset(observation("o1")))
    assert ids(patient.search("Observation", PATIENT_QUERY, deadline())) == ["o1"]
    assert auth.invalidated == 1
    assert [call.request.headers["Authorization"] for call in server.calls] == [
        "Bearer token-0",
        "Bearer token-1",
    ]
    assert slept == []


def test_401_twice_is_auth_refused(server: responses.RequestsMock) -> None:
    """A second 401, after the refresh, raises FhirAuthRefused: the credentials themselves are
    refused.
    """
    auth = CountingAuth()
    patient = FhirClient(BASE, auth=auth)
    server.get(OBSERVATIONS, status=401)
    with pytest.raises(FhirAuthRefused, match=r"\(401\)") as caught:
        patient.search("Observation", PATIENT_QUERY, deadline())
    assert caught.value.http_status == 401
    assert auth.invalidated == 1
    assert len(server.calls) == 2


@pytest.mark.parametrize(
    "status",
    [
        # Unauthenticated: a static token cannot be refreshed.
        pytest.param(401, id="401"),
        # Authenticated but not allowed (a missing scope).
        pytest.param(403, id="403"),
    ],
)
def test_refused_static_token_is_auth_refused_without_the_token(
    server: responses.RequestsMock, status: int
) -> None:
    """401 or 403 with a static token raises FhirAuthRefused at once; the message never contains
    the token.
    """
    patient = FhirClient(BASE, auth=BearerToken(TOKEN))
    server.get(
        OBSERVATIONS,
        status=status,
        json={"resourceType": "OperationOutcome", "issue": [{"diagnostics": "no"}]},
    )
    with pytest.raises(FhirAuthRefused) as caught:
        patient.search("Observation", PATIENT_QUERY, deadline())
    assert caught.value.http_status == status
    assert TOKEN not in caught.value.message
    assert TOKEN not in str(caught.value.to_json())
    assert len(server.calls) == 1


def test_smart_auth_gets_a_new_token_after_a_401(
    server: responses.RequestsMock, rsa_key: rsa.RSAPrivateKey
) -> None:
    """With SMART Backend Services, a 401 drops the cached token, a new one is requested, and the
    retry carries it.
    """
    endpoint = "https://auth.example.org/token"
    auth = SmartBackendServices(
        token_url=endpoint,
        client_id="svc",
        private_key=pem(rsa_key),
        key_id="k1",
        clock=Clock(time.time()),
    )
    server.post(endpoint, json={"access_token": "first", "expires_in": 3600})
    server.post(endpoint, json={"access_token": "second", "expires_in": 3600})
    server.get(OBSERVATIONS, status=401)
    server.get(OBSERVATIONS, json=searchset(observation("o1")))
    patient = FhirClient(BASE, auth=auth)
    assert ids(patient.search("Observation", PATIENT_QUERY, deadline())) == ["o1"]
    fhir_calls = [call for call in server.calls if call.request.method == "GET"]
    assert [call.request.headers["Authorization"] for call in fhir_calls] == [
        "Bearer first",
        "Bearer second",
    ]


def test_headers_sent(server: responses.RequestsMock) -> None:
    """Each request carries the auth's Authorization header and asks for FHIR JSON."""
    patient = FhirClient(BASE, auth=BearerToken(TOKEN))
    server.get(OBSERVATIONS, json=searchset())
    patient.search("Observation", PATIENT_QUERY, deadline())
    headers = server.calls[0].request.headers
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Accept"] == "application/fhir+json"


def test_no_auth_sends_no_authorization(server: responses.RequestsMock, client: FhirClient) -> None:
    """Without auth, no Authorization header is sent."""
    server.get(OBSERVATIONS, json=searchset())
    client.search("Observation", PATIENT_QUERY, deadline())
    assert "Authorization" not in server.calls[0].request.headers


def test_search_parameters_sent(server: responses.RequestsMock, client: FhirClient) -> None:
    """A planned search sends patient=Patient/{id}, the codes as one OR list, the date floor and
    the page size.
    """
    search = Search(
        "Observation", ("http://loinc.org|751-8", "http://loinc.org|26499-4"), Window(14)
    )
    server.get(OBSERVATIONS, json=searchset())
    client.search("Observation", search.params("p1", date(2026, 11, 20), 200), deadline())
    query = parse_qs(urlsplit(str(server.calls[0].request.url)).query)
    assert query == {
        "patient": ["Patient/p1"],
        "combo-code": ["http://loinc.org|751-8,http://loinc.org|26499-4"],
        "date": ["ge2026-11-05"],
        "_count": ["200"],
    }


def test_base_url_without_trailing_slash(server: responses.RequestsMock) -> None:
    """A base URL given without its trailing slash still keeps its last path segment."""
    patient = FhirClient(BASE.rstrip("/"))
    server.get(BASE + "Patient/p1", json={"resourceType": "Patient", "id": "p1"})
    assert patient.read("Patient", "p1", deadline())["id"] == "p1"


def test_relative_next_link_is_relative_to_the_page_it_came_on(
    server: responses.RequestsMock, client: FhirClient
) -> None:
    """A next link '?page=2' on the page .../Observation?... resolves to .../Observation?page=2
    (RFC 3986), not the base.
    """
    server.get(
        OBSERVATIONS, json=searchset(observation("o1"), next_url="?page=2"), match=FIRST_PAGE
    )
    server.get(
        OBSERVATIONS,
        json=searchset(observation("o2")),
        match=[matchers.query_param_matcher({"page": "2"})],
    )
    assert ids(client.search("Observation", PATIENT_QUERY, deadline())) == ["o1", "o2"]
    assert urls(server)[1] == OBSERVATIONS + "?page=2"


def test_token_endpoint_unavailable_is_retried_like_the_server(
    server: responses.RequestsMock, rsa_key: rsa.RSAPrivateKey, slept: list[float]
) -> None:
    """A 503 from the SMART token endpoint is a temporary failure: retried with backoff, then the
    search goes through.
    """
    token_url = "https://auth.example.org/token"  # noqa: S105 - a URL, not a secret
    server.post(token_url, status=503)
    server.post(token_url, json={"access_token": TOKEN, "expires_in": 300})
    server.get(OBSERVATIONS, json=searchset(observation("o1")), match=FIRST_PAGE)
    auth = SmartBackendServices(
        token_url=token_url, client_id="svc", private_key=pem(rsa_key), key_id="k1"
    )
    client = FhirClient(BASE, auth=auth, sleep=slept.append)
    assert ids(client.search("Observation", PATIENT_QUERY, deadline())) == ["o1"]
    assert len(slept) == 1


@pytest.mark.parametrize("code", ["incomplete", "too-costly", "throttled"])
def test_an_outcome_saying_matches_are_missing_is_not_a_note(code: str) -> None:
    """A warning (or information) whose code says the search is incomplete fails the search."""
    from service.records.fhir.client import outcome_is_note

    assert not outcome_is_note({"issue": [{"severity": "warning", "code": code}]})
    assert outcome_is_note({"issue": [{"severity": "warning", "code": "informational"}]})
