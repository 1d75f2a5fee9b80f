"""The CDS Hooks service itself: its discovery entry, and one patient-view call turned into cards
(no Flask here).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import requests

from service.cds.cards import cards_for
from service.cds.hook import HOOK, HookRequest
from service.cds.issued import note_issued
from service.evaluation.evaluate import evaluate_trials
from service.evaluation.report import TrialReport
from service.facts import FactSet
from service.observability import note_cards, note_reports
from service.records.fhir.client import ClientSettings, FhirClient, within_base
from service.records.fhir.fetch import FetchOptions
from service.records.prefetch import PrefetchSource, read_prefetch
from service.rulebook.book import Rulebook
from service.rulebook.prefetch_plan import PrefetchPlan, prefetch_plan

if TYPE_CHECKING:
    from service.cds.state import IssuedStore

SERVICE_ID = "trial-eligibility"


@dataclass
class CdsService:
    """The trial-eligibility CDS Service: what it asks the EHR for and how it answers a call."""

    book: Rulebook
    fhir_allowlist: tuple[str, ...] = ()
    show_ineligible: bool = False
    client_settings: ClientSettings = field(default_factory=ClientSettings)
    fetch_options: FetchOptions = field(default_factory=FetchOptions)
    session: requests.Session | None = None
    # This service's public base URL: each card links its patient × trial page there
    # (service/pages).
    report_base: str | None = None
    # Cards only for trials whose target disease the patient may have
    # (ELIGIBILITY_CDS_REQUIRE_TARGET_DISEASE).
    require_target_disease: bool = True
    # Where issued cards are recorded so feedback ties back to trial and verdict
    # (service/cds/state.py); None: not recorded.
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
                f"Checks the patient against {len(self.trials)} trials' inclusion and exclusion "
                "criteria, criterion by criterion, "
                "and shows the trials the patient may join, the labs to obtain and the criteria "
                "the study team must review."
            ),
            "prefetch": self.plan.templates(),
            "usageRequirements": (
                "Send the prefetch, or fhirServer with fhirAuthorization allowing read access to "
                + ", ".join(needed)
                + ". The service's JWT trust (iss and JWKS URL) must be registered with it."
            ),
        }

    def call(self, request: HookRequest, as_of: date) -> dict[str, Any]:
        """Answer one hook call with cards: prefetch first, the EHR's FHIR server for what is
        missing.
        """
        record = self.source(request).record(self.trials, as_of)
        # One fact set for the reports and the target-disease gate: the gate's facts are already
        # computed, not redone.
        facts = FactSet(record, as_of, self.book)
        reports = evaluate_trials(self.book, self.trials, record, as_of, facts)
        note_reports(
            reports, request.patient_id
        )  # metrics and the request line (service/observability)
        if self.require_target_disease:
            reports = self._relevant(reports, facts)
        urls = {t.id: t.url for t in self.trials}
        cards = cards_for(
            reports,
            request.hook_instance,
            urls,
            show_ineligible=self.show_ineligible,
            report_base=self.report_base,
        )
        note_issued(
            self.issued, SERVICE_ID, request.patient_id, request.hook_instance, reports, cards
        )
        note_cards(cards)
        return {"cards": cards}

    def _relevant(self, reports: list[TrialReport], facts: FactSet) -> list[TrialReport]:
        """Keep the reports of trials whose target disease the patient may have: one of its
        definitions true or unknown.

        A trial for NMO is noise on the chart of a patient with no NMO on record, whatever the labs
        say; an unknown (the Condition search failed) keeps the card, since "no record" was not
        established. No targetDisease: no gate.
        """
        targets = {trial.id: trial.target_disease for trial in self.trials}
        return [
            report
            for report in reports
            if not targets[report.trial_id]
            or any(facts.get(name).value is not False for name in targets[report.trial_id])
        ]

    def source(self, request: HookRequest) -> PrefetchSource:
        """Return the call's patient source: its prefetch, and the fhirServer when it is
        allowlisted and needed.
        """
        prefetched = read_prefetch(request.prefetch, self.plan, request.patient_id)
        server = request.fhir_server
        client = None
        if prefetched.needs_server() and isinstance(server, str) and self.allowed(server):
            client = FhirClient(server, request.fhir_auth, self.client_settings, self.session)
        return PrefetchSource(
            prefetched,
            self.plan,
            request.patient_id,
            client,
            self.fetch_options,
            request.why_no_server(),
        )

    def allowed(self, server: str) -> bool:
        """Say whether a fhirServer lies under one of the configured base URLs (scheme, host,
        port and path).
        """
        if "?" in server or "#" in server:
            # Relative paths joined onto a base with a query or fragment replace its last segment:
            # "base/r4?x" reads "base/Patient/…".
            return False
        return any(within_base(base, server.rstrip("/") + "/") for base in self.fhir_allowlist)
