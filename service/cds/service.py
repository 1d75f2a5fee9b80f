"""The CDS Hooks service itself: its discovery entry, and one patient-view call turned into cards (no Flask here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import requests

from service.cds.cards import cards_for
from service.cds.issued import note_issued
from service.cds.prefetch import (
    PATIENT_KEY,
    Prefetched,
    PrefetchPlan,
    prefetch_plan,
    read_prefetch,
    record_from_parts,
)
from service.errors import BadRequest, FhirError, PrefetchUnavailable
from service.evaluate import evaluate_trials
from service.facts import FactSet
from service.fhir.auth import Auth, BearerToken, NoAuth
from service.fhir.client import ClientSettings, Deadline, FhirClient, within_base
from service.fhir.fetch import FetchOptions, fetch_record
from service.fhir.medications import read_medications, unresolved_medications
from service.observability import note_cards, note_reports
from service.patients import is_fhir_id
from service.record import PatientRecord, entries_of
from service.rulebook import Rulebook

if TYPE_CHECKING:
    from service.cds.state import IssuedStore

SERVICE_ID = "trial-eligibility"
HOOK = "patient-view"


@dataclass
class CdsService:
    """The trial-eligibility CDS Service: what it asks the EHR for and how it answers a call."""

    book: Rulebook
    fhir_allowlist: tuple[str, ...] = ()
    show_ineligible: bool = False
    client_settings: ClientSettings = field(default_factory=ClientSettings)
    fetch_options: FetchOptions = field(default_factory=FetchOptions)
    session: requests.Session | None = None
    # This service's public base URL: each card links its patient × trial page there (service/pages).
    report_base: str | None = None
    # Cards only for trials whose target disease the patient may have (ELIGIBILITY_CDS_REQUIRE_TARGET_DISEASE).
    require_target_disease: bool = True
    # Where issued cards are recorded so feedback ties back to trial and verdict (service/cds/state.py); None: not recorded.
    issued: IssuedStore | None = None

    def __post_init__(self) -> None:
        self.trials = list(self.book.trials.values())
        self.plan: PrefetchPlan = prefetch_plan(self.book, self.trials)

    def discovery(self) -> dict[str, Any]:
        """Return this service's entry in GET /cds-services."""
        needed = sorted({s.resource_type for s in self.plan.searches.values()} | {"Patient"})
        return {
            "hook": HOOK,
            "id": SERVICE_ID,
            "title": "Clinical-trial eligibility",
            "description": (
                f"Checks the patient against {len(self.trials)} trials' inclusion and exclusion criteria, criterion by criterion, "
                "and shows the trials the patient may join, the labs to obtain and the criteria the study team must review."
            ),
            "prefetch": self.plan.templates(),
            "usageRequirements": (
                "Send the prefetch, or fhirServer with fhirAuthorization allowing read access to "
                + ", ".join(needed)
                + ". The service's JWT trust (iss and JWKS URL) must be registered with it."
            ),
        }

    def call(self, body: dict[str, Any], as_of: date) -> dict[str, Any]:
        """Answer one hook call with cards: prefetch first, the EHR's FHIR server for what is missing."""
        if body.get("hook") != HOOK:
            raise BadRequest(f"this service answers the {HOOK!r} hook, not {body.get('hook')!r}")
        hook_instance = body.get("hookInstance")
        if not isinstance(hook_instance, str) or not hook_instance:
            raise BadRequest("'hookInstance' must be a non-empty string")
        context = body.get("context")
        if not isinstance(context, dict):
            raise BadRequest("'context' must be an object with patientId")
        patient_id = context.get("patientId")
        if not is_fhir_id(patient_id):
            raise BadRequest(
                "'context.patientId' must be a FHIR id: 1-64 letters, digits, '-' or '.'"
            )
        record = self.record(body, str(patient_id), as_of)
        # One fact set for the reports and the target-disease gate: the gate's facts are already computed, not redone.
        facts = FactSet(record, as_of, self.book)
        reports = evaluate_trials(self.book, self.trials, record, as_of, facts)
        note_reports(
            reports, str(patient_id)
        )  # metrics and the request line (service/observability)
        if self.require_target_disease:
            reports = self._relevant(reports, facts)
        urls = {t.id: t.url for t in self.trials}
        cards = cards_for(
            reports,
            hook_instance,
            urls,
            show_ineligible=self.show_ineligible,
            report_base=self.report_base,
        )
        note_issued(self.issued, SERVICE_ID, str(patient_id), hook_instance, reports, cards)
        note_cards(cards)
        return {"cards": cards}

    def _relevant(self, reports: list[dict[str, Any]], facts: FactSet) -> list[dict[str, Any]]:
        """Keep the reports of trials whose target disease the patient may have: one of its definitions true or unknown.

        A trial for NMO is noise on the chart of a patient with no NMO on record, whatever the labs say; an unknown
        (the Condition search failed) keeps the card, since "no record" was not established. No targetDisease: no gate.
        """
        targets = {trial.id: trial.target_disease for trial in self.trials}
        return [
            report
            for report in reports
            if not targets[report["trialId"]]
            or any(facts.get(name).value is not False for name in targets[report["trialId"]])
        ]

    def record(self, body: dict[str, Any], patient_id: str, as_of: date) -> PatientRecord:
        """Build the record from prefetch, fetching missing, failed and paged keys from an allowlisted fhirServer; 412 when impossible."""
        prefetched = read_prefetch(body.get("prefetch"), self.plan, patient_id)
        needs_server = bool(
            prefetched.missing or prefetched.failed or prefetched.next_links
        ) or bool(unresolved_medications(prefetched.resources))
        client = self._client(body, prefetched) if needs_server else None
        patient, resources = prefetched.patient, list(prefetched.resources)
        failed: dict[str, str] = {}
        notes = {rtype: list(items) for rtype, items in prefetched.notes.items()}
        if client is None:
            if prefetched.missing and (
                prefetched.patient is None or set(prefetched.missing) != set(prefetched.null_keys)
            ):
                raise PrefetchUnavailable(self._unavailable(body, prefetched))
            # Every missing key was sent as null: the specification's "no data to populate" it. Failed and paged keys
            # cannot be completed here: their types are failed, so the criteria that read them are unknown.
            for key, why in prefetched.failed.items():
                failed.setdefault(self.plan.searches[key].resource_type, why)
            for key in prefetched.next_links:
                failed.setdefault(
                    self.plan.searches[key].resource_type,
                    f"prefetch {key!r} holds only the first page of its results, and no allowlisted fhirServer was given to read the rest",
                )
        else:
            to_fetch = [
                key for key in (*prefetched.missing, *prefetched.failed) if key != PATIENT_KEY
            ]
            if to_fetch or patient is None:
                fetched = fetch_record(
                    client,
                    [self.plan.searches[key] for key in to_fetch],
                    patient_id,
                    as_of,
                    self.fetch_options,
                )
                patient = prefetched.patient or fetched.patient
                failed.update(fetched.failed)
                for rtype, items in fetched.notes.items():
                    notes.setdefault(rtype, []).extend(items)
                resources += entries_of(fetched.resources)
            resources += self._rest_of_pages(client, prefetched.next_links, failed, notes)
        assert patient is not None  # noqa: S101 - present, or fetched, or the call was refused above
        resources += self._medications(client, resources, failed)
        return record_from_parts(patient, resources, failed, notes)

    def _rest_of_pages(
        self,
        client: FhirClient,
        next_links: dict[str, str],
        failed: dict[str, str],
        notes: dict[str, list[str]],
    ) -> list[dict[str, Any]]:
        """Follow paged prefetch keys' next links from fhirServer; a key whose rest cannot be read marks its type failed."""
        found: list[dict[str, Any]] = []
        deadline = Deadline(self.fetch_options.deadline)
        for key, url in next_links.items():
            rtype = self.plan.searches[key].resource_type
            try:
                found += client.follow(
                    url,
                    rtype,
                    deadline,
                    f"prefetch {key!r} (next pages)",
                    notes.setdefault(rtype, []),
                )
            except FhirError as exc:
                failed.setdefault(rtype, exc.message)
        return found

    def _medications(
        self, client: FhirClient | None, resources: list[dict[str, Any]], failed: dict[str, str]
    ) -> list[dict[str, Any]]:
        """Read the Medications prefetched orders reference; without them a drug is unknown, never "not given" (recorded in ``failed``)."""
        return read_medications(
            client,
            resources,
            failed,
            Deadline(self.fetch_options.deadline),
            no_client="{ref} was not prefetched, and no allowlisted fhirServer was given to read it from",
        )

    def _client(self, body: dict[str, Any], prefetched: Prefetched) -> FhirClient | None:
        server = body.get("fhirServer")
        if not isinstance(server, str) or not self.allowed(server):
            return None
        authorization = body.get("fhirAuthorization")
        auth: Auth = NoAuth()
        if authorization is not None:
            token = authorization.get("access_token") if isinstance(authorization, dict) else None
            if (
                not isinstance(token, str)
                or not token
                or (authorization.get("token_type") or "Bearer").lower() != "bearer"
            ):
                raise BadRequest("'fhirAuthorization' must hold a Bearer access_token")
            try:
                auth = BearerToken(token)
            except ValueError as exc:
                raise BadRequest(
                    "'fhirAuthorization.access_token' is not a usable bearer token"
                ) from exc
        return FhirClient(server, auth, self.client_settings, self.session)

    def allowed(self, server: str) -> bool:
        """Say whether a fhirServer lies under one of the configured base URLs (scheme, host, port and path)."""
        if "?" in server or "#" in server:
            # Relative paths joined onto a base with a query or fragment replace its last segment: "base/r4?x" reads "base/Patient/…".
            return False
        return any(within_base(base, server.rstrip("/") + "/") for base in self.fhir_allowlist)

    def _unavailable(self, body: dict[str, Any], prefetched: Prefetched) -> str:
        keys = ", ".join(
            k for k in prefetched.missing if k not in prefetched.null_keys
        ) or ", ".join(prefetched.missing)
        server = body.get("fhirServer")
        if server is None:
            why = "and the request has no fhirServer to fetch them from"
        else:
            why = (
                "and the request's fhirServer is not on this service's allowlist"
                if isinstance(server, str)
                else "and fhirServer is not a URL"
            )
        return f"prefetch keys missing: {keys}; {why}"
