"""The FHIR fault matrix: a fault-injecting FHIR server on 127.0.0.1, and the count of criteria
decided from data that did not arrive.

Each patient is fetched by id once with no fault (the full-data reports), then once per (fault,
search type): the server answers every search of that type with that failure shape. A criterion that
reads the faulted type must then be ``unknown`` or what it was with the full data; anything else was
decided from data that never arrived.

Run ``.venv/bin/python -m tests.helpers.faultmatrix`` for the figure;
``tests/records/fhir/test_fault_matrix.py`` asserts it is 0.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import orjson

from service.evaluation.evaluate import evaluate_trials
from service.evaluation.report import CriterionResult, Status, TrialReport
from service.records.fhir.client import ClientSettings, FhirClient
from service.records.fhir.fetch import FetchOptions
from service.records.sources import FhirPatients
from service.rulebook.book import Rulebook, load_rulebook
from service.rulebook.kinds import RESOURCE_TYPES
from service.rulebook.search_plan import plan_searches
from tests.helpers import FIXTURES
from tests.helpers.fhir import FakeFhir
from tests.needs import synthea_dir

# Seconds a hung search waits before answering: longer than the client's timeout below.
HANG_SECONDS = 1.0
CLIENT = ClientSettings(timeout=0.3, tries=2, backoff=0.01, max_retry_after=1, page_size=50)
OPTIONS = FetchOptions(workers=4, deadline=15)
ERROR_OUTCOME = {
    "resourceType": "OperationOutcome",
    "issue": [
        {
            "severity": "error",
            "code": "not-supported",
            "diagnostics": "search parameter not supported; no results",
        }
    ],
}

# Every failure shape a search can take (the red-team's 18 kinds, less those that only differ by
# status code).
FAULTS = (
    "500",
    "503",
    "429",
    "hang",
    "reset",
    "truncated",
    "not-json",
    "oo-in-bundle",
    "oo-instead",
    "not-a-bundle",
    "wrong-type",
    "entry-not-list",
    "next-offhost",
    "next-self",
    "next-endless",
    "page2-500",
    "page2-oo",
)


@dataclass
class FaultState:
    """What the server injects now: a fault kind on one resource type's searches (None: answer
    truthfully).
    """

    fault: str | None = None
    target: str | None = None
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class _QuietServer(ThreadingHTTPServer):
    """A threading HTTP server that does not print the resets of clients that gave up (part of
    the matrix).
    """

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Say nothing: a client timing out mid-answer is expected here."""


class FaultFhirServer:
    """A FHIR R4 server on 127.0.0.1 (reads and patient searches over given resources) that can
    fail one search type on demand.
    """

    # C901: a table of fault shapes
    def __init__(self, resources: list[dict[str, Any]]) -> None:  # noqa: C901
        self.fake = FakeFhir(resources)
        self.state = FaultState()
        state, fake = self.state, self.fake

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = (
                True  # one small answer per request: no 40 ms delayed-ACK stall
            )

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                path = url.path.removeprefix("/fhir/")
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                with state.lock:
                    state.requests += 1
                rtype = path.split("/")[0]
                if "/" in path and state.fault is not None and rtype == state.target:
                    # A faulted read: hang, or answer with an error status or an OperationOutcome
                    # instead of the resource.
                    if state.fault == "hang":
                        time.sleep(HANG_SECONDS)
                    self._send(200, ERROR_OUTCOME) if state.fault in (
                        "hang",
                        "oo-instead",
                    ) else self._send(int(state.fault), ERROR_OUTCOME)
                    return
                if "/" in path:
                    found = [r for r in fake.resources if f"{r['resourceType']}/{r['id']}" == path]
                    self._send(200, found[0]) if found else self._send(
                        404,
                        {
                            "resourceType": "OperationOutcome",
                            "issue": [{"severity": "error", "code": "not-found"}],
                        },
                    )
                    return
                if state.fault is None or rtype != state.target:
                    self._send(200, fake.searchset(rtype, query))
                    return
                self._fault(state.fault, rtype, query)

            # C901: a table of fault shapes
            def _fault(self, fault: str, rtype: str, query: dict[str, str]) -> None:  # noqa: C901
                base = f"http://127.0.0.1:{self.server.server_address[1]}/fhir/"
                truthful = fake.searchset(
                    rtype, {k: v for k, v in query.items() if not k.startswith("_fault")}
                )
                if fault in ("500", "503", "429"):
                    self._send(
                        int(fault),
                        {**ERROR_OUTCOME, "issue": [{"severity": "error", "code": "transient"}]},
                    )
                elif fault == "hang":
                    time.sleep(HANG_SECONDS)
                    self._send(200, truthful)
                elif fault == "reset":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                elif fault == "truncated":
                    # Content-Length promises the whole body; the connection closes halfway through
                    # it.
                    payload = orjson.dumps(truthful)
                    self.send_response(200)
                    self.send_header("Content-Type", "application/fhir+json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload[: len(payload) // 2])
                    self.close_connection = True
                elif fault == "not-json":
                    self._send_bytes(200, orjson.dumps(truthful)[:-7])
                elif fault == "oo-in-bundle":
                    self._send(
                        200,
                        {
                            "resourceType": "Bundle",
                            "type": "searchset",
                            "total": 0,
                            "entry": [{"resource": ERROR_OUTCOME, "search": {"mode": "outcome"}}],
                        },
                    )
                elif fault == "oo-instead":
                    self._send(200, ERROR_OUTCOME)
                elif fault == "not-a-bundle":
                    self._send(200, {"resourceType": "Parameters", "parameter": []})
                elif fault == "wrong-type":
                    # The server ran some other search: matches of another type, none of the type
                    # asked for.
                    other = [r for r in fake.resources if r["resourceType"] == "Patient"]
                    self._send(
                        200,
                        {
                            "resourceType": "Bundle",
                            "type": "searchset",
                            "entry": [{"resource": r, "search": {"mode": "match"}} for r in other],
                        },
                    )
                elif fault == "entry-not-list":
                    self._send(
                        200,
                        {"resourceType": "Bundle", "type": "searchset", "entry": {"resource": {}}},
                    )
                elif fault.startswith("next-"):
                    page = int(query.get("_fault_page", "0"))
                    links = {
                        "next-offhost": "http://127.0.0.2:9/fhir/" + rtype + "?page=2",
                        "next-self": base + rtype + "?" + urlencode(query),
                        "next-endless": base
                        + rtype
                        + "?"
                        + urlencode({**query, "_fault_page": str(page + 1)}),
                    }
                    # Pages after the first repeat nothing (a loop of empty pages), so the loop
                    # costs requests, not data.
                    page_body = truthful if page == 0 else {**truthful, "entry": []}
                    self._send(
                        200, {**page_body, "link": [{"relation": "next", "url": links[fault]}]}
                    )
                elif fault.startswith("page2-"):
                    if "_fault_page" not in query:
                        self._send(
                            200,
                            {
                                **truthful,
                                "link": [
                                    {
                                        "relation": "next",
                                        "url": base
                                        + rtype
                                        + "?"
                                        + urlencode({**query, "_fault_page": "2"}),
                                    }
                                ],
                            },
                        )
                    elif fault == "page2-500":
                        self._send(500, ERROR_OUTCOME)
                    else:
                        self._send(
                            200,
                            {
                                "resourceType": "Bundle",
                                "type": "searchset",
                                "entry": [
                                    {"resource": ERROR_OUTCOME, "search": {"mode": "outcome"}}
                                ],
                            },
                        )
                else:  # pragma: no cover - a fault kind without an answer is a bug in this table
                    raise ValueError(fault)

            def _send(self, status: int, body: Any) -> None:
                self._send_bytes(status, orjson.dumps(body))

            def _send_bytes(self, status: int, payload: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/fhir+json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout): nothing to answer

            def log_message(self, format: str, *args: Any) -> None:
                """Keep output quiet."""

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        # Polled every 20 ms, not the default 0.5 s: shutdown() waits one poll.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True
        )

    @property
    def base_url(self) -> str:
        """The server's FHIR base URL."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/fhir"

    def inject(self, fault: str | None, target: str | None = None) -> None:
        """Fail every search of ``target`` with ``fault`` from now on (None: stop failing)."""
        self.state.fault, self.state.target = fault, target

    def __enter__(self) -> FaultFhirServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@dataclass(frozen=True)
class Patient:
    """One patient of the matrix: their resources as a server stores them, and the as-of date to
    evaluate on.
    """

    name: str
    resources: list[dict[str, Any]]
    as_of: date

    @property
    def id(self) -> str:
        """The Patient's id."""
        return str(next(r["id"] for r in self.resources if r["resourceType"] == "Patient"))


def fixture_patient(trial_id: str, case: str) -> Patient:
    """A fixture patient, on its trial's as-of date."""
    bundle = orjson.loads((FIXTURES / trial_id / f"{case}.json").read_bytes())
    as_of = date.fromisoformat(
        orjson.loads((FIXTURES / trial_id / "manifest.json").read_bytes())["asOf"]
    )
    return Patient(f"{trial_id}/{case}", [entry["resource"] for entry in bundle["entry"]], as_of)


def synthea_patient(path: Path) -> Patient:
    """A Synthea record with its urn:uuid references rewritten to Type/id, as a server would
    store it; as of its last Observation.
    """
    bundle = orjson.loads(path.read_bytes())
    refs = {
        e["fullUrl"]: f"{e['resource']['resourceType']}/{e['resource']['id']}"
        for e in bundle["entry"]
        if e.get("fullUrl")
    }
    text = orjson.dumps([e["resource"] for e in bundle["entry"]]).decode()
    for urn, literal in refs.items():
        text = text.replace(f'"{urn}"', f'"{literal}"')
    resources = orjson.loads(text)
    days = [
        str(r.get("effectiveDateTime"))[:10]
        for r in resources
        if r["resourceType"] == "Observation" and r.get("effectiveDateTime")
    ]
    return Patient(
        path.stem.split("_")[0] + "_" + path.stem.split("_")[1],
        resources,
        date.fromisoformat(max(days)),
    )


def matrix_patients() -> list[Patient]:
    """Two fixture patients with data of every type the rules read, and a Synthea record
    (Fletcher_Hyatt, the red-team's).
    """
    patients = [
        fixture_patient("NCT03890068", "eligible-male"),
        fixture_patient("NCT02021825", "eligible"),
    ]
    patients += [
        synthea_patient(path) for path in sorted(synthea_dir().glob("Fletcher_Hyatt_*.json"))
    ]
    return patients


@dataclass
class Wrong:
    """One criterion decided from data that did not arrive."""

    patient: str
    fault: str
    target: str
    trial: str
    criterion: str
    full: str
    faulted: str


@dataclass
class MatrixResult:
    """What the matrix found: evaluations run, criteria compared, the wrong ones, and faults that
    left no dataErrors.
    """

    evaluations: int = 0
    compared: int = 0
    wrong: list[Wrong] = field(default_factory=list)
    unreported: list[tuple[str, str, str]] = field(default_factory=list)


def statuses(reports: list[TrialReport]) -> dict[tuple[str, str], CriterionResult]:
    """Index criteria by (trial, criterion id)."""
    return {(report.trial_id, c.id): c for report in reports for c in report.criteria}


def reads_type(book: Rulebook, names: set[str], rtype: str) -> bool:
    """Say whether a criterion's definitions (directly or through others) read a resource type."""
    todo, seen = list(names), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        definition = book.definitions[name]
        if rtype in RESOURCE_TYPES[definition["kind"]]:
            return True
        todo += list(definition.get("inputs", {}).values()) + (
            sorted(book.formulas[name].reads) if name in book.formulas else []
        )
    return False


def run_matrix(
    book: Rulebook,
    patients: list[Patient],
    faults: tuple[str, ...] = FAULTS,
    only: tuple[str, ...] | None = None,
) -> MatrixResult:
    """Fetch and evaluate every patient under every (fault, search type) and count the criteria
    decided from missing data.
    """
    result = MatrixResult()
    trials = list(book.trials.values())
    reads = {
        (t.id, c.id): set(c.formula.reads)
        for t in trials
        for c in t.criteria
        if c.formula is not None
    }
    for patient in patients:
        with FaultFhirServer(patient.resources) as server:
            source = FhirPatients(FhirClient(server.base_url, settings=CLIENT), book, OPTIONS)
            full = statuses(
                evaluate_trials(
                    book,
                    trials,
                    source.find(patient.id).record(trials, patient.as_of),
                    patient.as_of,
                )
            )
            types = [
                t
                for t in sorted({s.resource_type for s in plan_searches(book, trials)})
                if only is None or t in only
            ]
            for fault in faults:
                for rtype in types:
                    server.inject(fault, rtype)
                    record = source.find(patient.id).record(trials, patient.as_of)
                    server.inject(None)
                    reports = evaluate_trials(book, trials, record, patient.as_of)
                    result.evaluations += 1
                    if rtype not in record.failed:
                        result.unreported.append((patient.name, fault, rtype))
                    for key, item in statuses(reports).items():
                        if key not in reads or not reads_type(book, reads[key], rtype):
                            continue
                        result.compared += 1
                        if item.status not in (Status.UNKNOWN, full[key].status):
                            result.wrong.append(
                                Wrong(
                                    patient.name,
                                    fault,
                                    rtype,
                                    key[0],
                                    key[1],
                                    full[key].status.value,
                                    item.status.value,
                                )
                            )
    return result


def main() -> None:
    """Print the figure: wrong criteria under the fault matrix."""
    book = load_rulebook()
    started = time.monotonic()
    result = run_matrix(book, matrix_patients())
    for wrong in result.wrong:
        print(  # noqa: T201
            f"  {wrong.patient} {wrong.fault} on {wrong.target}: {wrong.trial} {wrong.criterion} "
            f"{wrong.full} -> {wrong.faulted}"
        )
    print(f"faults that left no dataErrors: {len(result.unreported)}")  # noqa: T201
    print(  # noqa: T201
        f"evaluations: {result.evaluations}, criteria compared: {result.compared}, "
        f"{time.monotonic() - started:.1f} s"
    )
    print(f"wrong criteria under the fault matrix: {len(result.wrong)}")  # noqa: T201


if __name__ == "__main__":
    main()
