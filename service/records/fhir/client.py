"""A FHIR R4 REST client on one pooled requests Session: reads and paged searches, retries,
deadlines.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import orjson
import requests
from requests.adapters import HTTPAdapter

from service.errors import (
    FhirAuthRefused,
    FhirDeadlineExceeded,
    FhirError,
    FhirFatalError,
    FhirTemporaryError,
    PatientNotFound,
)
from service.observability.logs import get_logger
from service.observability.metrics import count_fetch_failure, observe_fetch, resource_label
from service.records.entries import is_fhir_id, read_entries
from service.records.fhir.auth import Auth, NoAuth

log = logging.getLogger(__name__)
# One line per read or search page: resource type, status, tries, duration; never the URL (its query
# holds the patient's id).
fetch_log = get_logger("service.records.fhir.fetch")

TEMPORARY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
FHIR_JSON = "application/fhir+json"
# A searchset that pages on and on is a server bug, not a patient: stop and say so.
MAX_PAGES = 200
# A FHIR logical id (R4 datatypes); anything else could change the request's path or query.
# OperationOutcome severities that are only notes; any other (error, fatal, or none given) means the
# answer failed.
NOTE_SEVERITIES = frozenset({"warning", "information"})
# An issue type code (a closed FHIR code system) is safe to repeat; the server's free text may quote
# the patient.
ISSUE_CODE = re.compile(r"[a-z][a-z-]{0,39}")


class Deadline:
    """The time left for one evaluation's fetches (monotonic clock)."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._end = clock() + seconds
        self.seconds = seconds

    def remaining(self) -> float:
        """Return the seconds left (negative once passed)."""
        return self._end - self._clock()


@dataclass
class ClientSettings:
    """How patiently the client talks to one server."""

    timeout: float = 10.0  # seconds per HTTP request
    tries: int = 3  # attempts per request, counting the first
    backoff: float = 0.5  # seconds before the first retry, doubled after each
    max_retry_after: float = 30.0  # a longer Retry-After gives up instead of waiting
    page_size: int = 200
    pool_size: int = 16


@dataclass
class FhirClient:
    """Talk to one FHIR base URL; paging and references never leave it."""

    base_url: str
    auth: Auth = field(default_factory=NoAuth)
    settings: ClientSettings = field(default_factory=ClientSettings)
    session: requests.Session | None = None
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/") + "/"
        if self.session is None:
            self.session = new_session(self.settings.pool_size)
        self._refresh_lock = threading.Lock()

    def read(self, resource_type: str, resource_id: str, deadline: Deadline) -> dict[str, Any]:
        """Read one resource; PatientNotFound for a missing Patient, FhirError otherwise."""
        what = f"{resource_type} read"
        if not is_fhir_id(resource_id):
            if resource_type == "Patient":
                raise PatientNotFound("the patient id is not a FHIR id")
            raise FhirFatalError(f"{what}: {resource_id[:64]!r} is not a FHIR id")
        try:
            resource = self._get(
                f"{resource_type}/{resource_id}", None, deadline, what, resource_type
            )
        except FhirFatalError as exc:
            if exc.http_status in (404, 410) and resource_type == "Patient":
                raise PatientNotFound(
                    f"the FHIR server has no Patient with that id ({exc.http_status})"
                ) from exc
            raise
        if resource.get("resourceType") != resource_type:
            raise FhirFatalError(
                f"{what}: the server answered with a {resource.get('resourceType')!r}, not a "
                f"{resource_type}"
            )
        return resource

    def search(
        self,
        resource_type: str,
        params: list[tuple[str, str]],
        deadline: Deadline,
        what: str | None = None,
        notes: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Run a search and follow Bundle.link 'next' within the base URL; return the entries'
        resources.

        A page that reports an error (an OperationOutcome instead of a Bundle, or an error
        OperationOutcome entry in the searchset) fails the whole search; warnings and information
        are added to ``notes``.
        """
        return self._pages(
            resource_type, params, resource_type, deadline, what or f"{resource_type} search", notes
        )

    def follow(
        self,
        next_url: str,
        resource_type: str,
        deadline: Deadline,
        what: str,
        notes: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Read the rest of a searchset from its next link (e.g. a paged CDS prefetch), within
        the base URL.
        """
        next_url = urljoin(self.base_url, next_url)
        if not self.within_base(next_url):
            raise FhirFatalError(
                f"{what}: the next link points outside the FHIR base URL; not followed"
            )
        return self._pages(next_url, None, resource_type, deadline, what, notes)

    def _pages(
        self,
        url: str,
        query: list[tuple[str, str]] | None,
        resource_type: str,
        deadline: Deadline,
        what: str,
        notes: list[str] | None,
    ) -> list[dict[str, Any]]:
        resources: list[dict[str, Any]] = []
        seen: set[str] = {urljoin(self.base_url, url)} if query is None else set()
        for _page in range(MAX_PAGES):
            bundle = self._get(url, query, deadline, what, resource_type)
            try:
                resources.extend(_entries(bundle, what, resource_type, notes))
                next_url = _next_link(bundle, what)
            except FhirError as exc:
                # A 200 whose Bundle reports an error (or is malformed) is a failed fetch too.
                count_fetch_failure(resource_type, "error-in-answer")
                fetch_log.warning(
                    "fhir answer failed",
                    resource_type=resource_label(resource_type),
                    error=exc.code,
                )
                raise
            if next_url is None:
                return resources
            # A relative next link is relative to the page it came on (RFC 3986), not to the base.
            next_url = urljoin(urljoin(self.base_url, url), next_url)
            if not self.within_base(next_url):
                # Following it would send our credentials (and the patient's id) to another host.
                raise FhirFatalError(
                    f"{what}: the server's next link points outside the configured FHIR base "
                    "URL; not followed"
                )
            if next_url in seen:
                raise FhirFatalError(f"{what}: the server's next link repeats a page already read")
            seen.add(next_url)
            url, query = next_url, None
        raise FhirFatalError(f"{what}: more than {MAX_PAGES} pages; stopped")

    def within_base(self, url: str) -> bool:
        """Say whether an absolute URL lies under this client's base URL."""
        return within_base(self.base_url, url)

    def _get(
        self,
        url: str,
        params: list[tuple[str, str]] | None,
        deadline: Deadline,
        what: str,
        resource_type: str,
    ) -> dict[str, Any]:
        """GET with retries (see _get_with_retries), logged and measured once per call."""
        trace = _Trace()
        started = time.perf_counter()
        try:
            body = self._get_with_retries(url, params, deadline, what, trace)
        except FhirError as exc:
            _observe_fetch(resource_type, trace, time.perf_counter() - started, exc)
            raise
        _observe_fetch(resource_type, trace, time.perf_counter() - started, None)
        return body

    # C901: one branch per HTTP outcome (ok, retry, token refresh, fatal, deadline)
    def _get_with_retries(  # noqa: C901
        self,
        url: str,
        params: list[tuple[str, str]] | None,
        deadline: Deadline,
        what: str,
        trace: _Trace,
    ) -> dict[str, Any]:
        """GET with retries on temporary failures, honouring Retry-After and the deadline."""
        target = urljoin(self.base_url, url)
        last = "no attempt"
        refreshed = False
        attempt = timeouts = 0
        while attempt < self.settings.tries:
            attempt += 1
            remaining = deadline.remaining()
            if remaining <= 0:
                raise FhirDeadlineExceeded(
                    f"{what}: the {deadline.seconds:g} s deadline passed ({last})"
                )
            # S311: jitter, not security
            delay = self.settings.backoff * 2 ** (attempt - 1) * (0.5 + random.random() / 2)  # noqa: S311
            try:
                trace.tries += 1
                response = self._send(target, params, min(self.settings.timeout, remaining))
            except requests.Timeout:
                last = f"no answer within {min(self.settings.timeout, remaining):g} s"
                timeouts += 1
            except requests.ConnectionError:
                last = "connection failed"
            except requests.exceptions.ChunkedEncodingError:
                last = "the answer was cut off"
            except FhirTemporaryError as exc:
                # The token endpoint (asked inside _send for a new token) failed for now: retry like
                # the server itself.
                last = exc.message
            except requests.RequestException as exc:
                # Any other requests error (an invalid URL or header): retrying cannot fix it.
                raise FhirFatalError(
                    f"{what}: the request could not be sent ({type(exc).__name__})"
                ) from exc
            else:
                status = trace.status = response.status_code
                if status == 200:
                    return _json(response, what)
                if status == 401 and not refreshed and self.auth.refreshable:
                    # A cached token the server no longer accepts: get a new one once, without
                    # counting a try.
                    refreshed = True
                    attempt -= 1
                    self.auth.invalidate()
                    continue
                if status in (401, 403):
                    raise FhirAuthRefused(
                        f"{what}: the FHIR server refused the service's credentials ({status})",
                        http_status=status,
                    )
                if status not in TEMPORARY_STATUS:
                    raise FhirFatalError(
                        f"{what}: {status} {_outcome_text(response)}".rstrip(), http_status=status
                    )
                last = f"{status}"
                retry_after = _retry_after(response.headers.get("Retry-After"))
                if retry_after is not None:
                    if retry_after > self.settings.max_retry_after:
                        raise FhirTemporaryError(
                            f"{what}: {status}, and the server asks to wait {retry_after:g} s",
                            http_status=status,
                        )
                    delay = retry_after
            if attempt < self.settings.tries:
                if delay >= deadline.remaining():
                    raise FhirDeadlineExceeded(
                        f"{what}: {last}; no time left to retry within the {deadline.seconds:g} "
                        "s deadline"
                    )
                log.info(
                    "fhir retry: %s: %s (try %d of %d)", what, last, attempt, self.settings.tries
                )
                self.sleep(delay)
        if timeouts == self.settings.tries or (timeouts and deadline.remaining() <= 0):
            # A server that never answered (a hung read) is a gateway timeout, as the API documents:
            # 504, not 502.
            raise FhirDeadlineExceeded(f"{what} failed: {last} after {self.settings.tries} tries")
        raise FhirTemporaryError(f"{what} failed: {last} after {self.settings.tries} tries")

    def _send(
        self, url: str, params: list[tuple[str, str]] | None, timeout: float
    ) -> requests.Response:
        headers = {"Accept": FHIR_JSON, **self.auth.headers()}
        assert self.session is not None  # noqa: S101 - set in __post_init__
        # No redirects: one could carry the bearer token to a host we did not choose.
        return self.session.get(
            url, params=params, headers=headers, timeout=timeout, allow_redirects=False
        )


@dataclass
class _Trace:
    """What one GET did, for its log line: HTTP requests sent, and the last HTTP status (None: no
    answer).
    """

    tries: int = 0
    status: int | None = None


def _observe_fetch(
    resource_type: str, trace: _Trace, seconds: float, error: FhirError | None
) -> None:
    """Log and measure one FHIR GET; a 404/410 is an answer (no such resource), not a failure of
    the server.
    """
    label = resource_label(resource_type)
    not_found = error is not None and error.http_status in (404, 410)
    outcome = "ok" if error is None else "not-found" if not_found else error.code
    observe_fetch(resource_type, outcome, seconds, failed=outcome not in ("ok", "not-found"))
    (fetch_log.warning if outcome not in ("ok", "not-found") else fetch_log.info)(
        "fhir fetch",
        resource_type=label,
        status=trace.status,
        tries=trace.tries,
        duration_ms=round(seconds * 1000, 2),
        outcome=outcome,
    )


def within_base(base_url: str, url: str) -> bool:
    """Say whether an absolute URL lies under a base URL (same scheme, host, port and path
    prefix).
    """
    base, other = urlsplit(base_url.rstrip("/") + "/"), urlsplit(url)
    # Dot segments (also percent-encoded) are resolved by the HTTP stack or the server:
    # "/fhir/../admin" is not under "/fhir/". Decoded until nothing changes: a proxy that decodes
    # twice turns "%252e%252e" into "..".
    path, decoded = other.path, [other.path]
    while (path := unquote(path)) != decoded[-1] and len(decoded) < 5:
        decoded.append(path)
    if path != decoded[-1] or any({".", ".."} & set(re.split(r"[/\\]", form)) for form in decoded):
        return False
    return (other.scheme, other.netloc.lower()) == (base.scheme, base.netloc.lower()) and (
        other.path.rstrip("/") + "/"
    ).startswith(base.path)


def new_session(pool_size: int = 16) -> requests.Session:
    """Return a Session whose connection pool serves parallel searches to one host."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _json(response: requests.Response, what: str) -> dict[str, Any]:
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        raise FhirFatalError(f"{what}: the server's answer is not JSON") from exc
    if not isinstance(body, dict):
        raise FhirFatalError(f"{what}: the server's answer is not a FHIR resource")
    return body


def _entries(
    bundle: dict[str, Any],
    what: str,
    resource_type: str | None = None,
    notes: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Return a searchset's resources (matches and includes); an error OperationOutcome fails it,
    warnings become notes.
    """
    if bundle.get("resourceType") == "OperationOutcome":
        raise FhirFatalError(
            f"{what}: the server answered with an OperationOutcome ({issue_summary(bundle)}), "
            "not a Bundle"
        )
    if bundle.get("resourceType") != "Bundle":
        raise FhirFatalError(
            f"{what}: the server answered with a {bundle.get('resourceType')!r}, not a Bundle"
        )
    resources = []
    # A server's fullUrls are its own absolute URLs: the record resolves its references by type and
    # id.
    for entry in read_entries(
        bundle.get("entry") or None, f"{what}: ", FhirFatalError, full_urls=False
    ):
        resource, mode = entry.resource, entry.search_mode
        if resource["resourceType"] == "OperationOutcome":
            # A searchset's outcome entry is how a server says "this search did not (fully) run",
            # with a 200.
            if not outcome_is_note(resource):
                raise FhirFatalError(
                    f"{what}: the server reported an error in the searchset "
                    f"({issue_summary(resource)}); its results are not complete"
                )
            if notes is not None and resource.get("issue"):
                notes.append(f"{what}: the server noted {issue_summary(resource)}")
            continue
        if mode == "outcome":
            # an outcome entry that is not an OperationOutcome: nothing to read, nothing reported
            continue
        if (
            resource_type is not None
            and resource["resourceType"] != resource_type
            and mode != "include"
            and resource["resourceType"] != "Medication"
        ):
            # A match of another type means the server did not run the search asked for (its own
            # matches may be missing).
            raise FhirFatalError(
                f"{what}: the server answered with a {resource['resourceType']} as a match of a "
                f"{resource_type} search"
            )
        resources.append(resource)
    return resources


# OperationOutcome issue codes (R4 issue-type) that say a search returned only part of its matches.
INCOMPLETE_CODES = {"incomplete", "too-costly", "throttled", "too-long"}


def outcome_is_note(outcome: dict[str, Any]) -> bool:
    """Say whether an OperationOutcome holds only warnings and information (an issue without a
    known severity is an error).
    """
    issues = outcome.get("issue")
    if issues is None or issues == []:
        return True
    if not isinstance(issues, list):
        return False
    return all(
        isinstance(issue, dict)
        and issue.get("severity") in NOTE_SEVERITIES
        # Whatever the severity, these say matches are missing: the search is incomplete.
        and issue.get("code") not in INCOMPLETE_CODES
        for issue in issues
    )


def issue_summary(outcome: dict[str, Any]) -> str:
    """Summarise an OperationOutcome by its issues' severity and code only: its free text may
    quote the patient.
    """
    issues = outcome.get("issue")
    parts = []
    for issue in issues if isinstance(issues, list) else []:
        if not isinstance(issue, dict):
            continue
        severity, code = issue.get("severity"), issue.get("code")
        severity = (
            severity
            if isinstance(severity, str) and ISSUE_CODE.fullmatch(severity)
            else "no severity"
        )
        parts.append(
            f"{severity} '{code}'"
            if isinstance(code, str) and ISSUE_CODE.fullmatch(code)
            else severity
        )
    return ", ".join(sorted(set(parts))[:5]) or "no issues"


def _next_link(bundle: dict[str, Any], what: str) -> str | None:
    links = bundle.get("link") or []
    if not isinstance(links, list):
        raise FhirFatalError(f"{what}: Bundle.link is not a list")
    for link in links:
        if isinstance(link, dict) and link.get("relation") == "next":
            url = link.get("url")
            if not isinstance(url, str) or not url:
                raise FhirFatalError(f"{what}: a next link has no url")
            return url
    return None


def _retry_after(value: str | None) -> float | None:
    """Return Retry-After in seconds (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _outcome_text(response: requests.Response) -> str:
    """Quote the server's OperationOutcome (diagnostics or details), short, for the error
    message.
    """
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return ""
    if not isinstance(body, dict) or body.get("resourceType") != "OperationOutcome":
        return ""
    texts = []
    for issue in body.get("issue") or []:
        if isinstance(issue, dict):
            text = issue.get("diagnostics") or (issue.get("details") or {}).get("text")
            if isinstance(text, str):
                texts.append(text)
    return ("— " + "; ".join(texts))[:300] if texts else ""


__all__ = ["ClientSettings", "Deadline", "FhirClient", "FhirError", "new_session"]
