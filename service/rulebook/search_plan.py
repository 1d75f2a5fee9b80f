"""Derive from the rulebook the FHIR searches a set of trials needs: resource types, codes and
date floors.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from math import ceil
from urllib.parse import quote, urlencode

from service.rulebook.book import Rulebook, Trial
from service.rulebook.definitions import NO_LIMIT, Definition, Window

# Tokens per Observation search: keeps a GET URL well under the 8 KB many servers and proxies
# accept.
CODES_PER_SEARCH = 60
# One extra day below the window: a server compares instants, the facts compare local dates.
FLOOR_MARGIN_DAYS = 1
# Types read through a medication[x] reference, and the search parameter that includes it.
INCLUDES = {
    "MedicationRequest": "MedicationRequest:medication",
    "MedicationStatement": "MedicationStatement:medication",
    "MedicationAdministration": "MedicationAdministration:medication",
    "MedicationDispense": "MedicationDispense:medication",
}
# The token parameter for codes: Observation's combo-code matches code or component.code, so a
# blood-pressure panel whose systolic and diastolic values are components is found by 8480-6 /
# 8462-4 (code alone misses it).
CODE_PARAMS = {"Observation": "combo-code"}
# Search order (Observation first: it is the largest, so it starts first when run in parallel).
ORDER = (
    "Observation",
    "Condition",
    "MedicationRequest",
    "MedicationStatement",
    "MedicationAdministration",
    "MedicationDispense",
    "Procedure",
    "AllergyIntolerance",
    "Immunization",
)


@dataclass(frozen=True)
class Search:
    """One search of a patient's resources of one type, optionally narrowed to codes and a date
    floor.
    """

    resource_type: str
    # Code tokens, OR-ed (bare codes from the plan, so any spelling of the system matches); empty
    # means every resource of the type for the patient.
    codes: tuple[str, ...] = ()
    # The widest window of the definitions it serves: results before its start are not needed (no
    # limit: no floor).
    window: Window = NO_LIMIT
    include: str | None = None
    # Observation category codes (any system) narrowing a search that cannot name its codes (value
    # sets matched by name).
    categories: tuple[str, ...] = ()
    # False for a search the CDS prefetch cannot carry: its template would have no date and ask the
    # EHR for every Observation the patient has (the named pregnancy tests of the last days).
    prefetch: bool = True

    def params(
        self, patient_id: str, as_of: date, page_size: int, *, date_floor: bool = True
    ) -> list[tuple[str, str]]:
        """Return the query parameters for one patient on one as-of date."""
        params = [("patient", f"Patient/{patient_id}")]
        if self.codes:
            params.append((self.code_param, ",".join(self.codes)))
        if self.categories:
            params.append(("category", ",".join(self.categories)))
        start = self.window.start(as_of)
        if start is not None and date_floor:
            params.append(("date", "ge" + (start - timedelta(days=FLOOR_MARGIN_DAYS)).isoformat()))
        if self.include:
            params.append(("_include", self.include))
        params.append(("_count", str(page_size)))
        return params

    def template(self) -> str:
        """Return the search as a CDS Hooks 2.0 prefetch template.

        The specification's prefetch subset has no relative-date token and no ``_include``, so a
        template asks for every matching record; the window is applied when the facts are read.
        """
        params = [("patient", "{{context.patientId}}")]
        if self.codes:
            params.append((self.code_param, ",".join(self.codes)))
        if self.categories:
            params.append(("category", ",".join(self.categories)))
        # Tokens and '|' stay readable: the EHR substitutes them before it sends the query.
        return f"{self.resource_type}?" + urlencode(params, safe="{}|,.:/-", quote_via=quote)

    @property
    def code_param(self) -> str:
        """Return the search parameter the codes go in."""
        return CODE_PARAMS.get(self.resource_type, "code")

    @property
    def label(self) -> str:
        """Name the search in reasons and logs (never with a patient id)."""
        return (
            f"{self.resource_type} search"
            + (f" ({len(self.codes)} codes)" if self.codes else "")
            + (f" (category {','.join(self.categories)})" if self.categories else "")
        )


def plan_searches(book: Rulebook, trials: Iterable[Trial]) -> list[Search]:
    """Return the searches (besides the Patient read) that the trials' definitions need."""
    names = set().union(*(book.definitions_for(trial) for trial in trials))
    types = {rtype for name in names for rtype in book.resource_types_of(name)}
    searches: list[Search] = []
    for rtype in ORDER:
        if rtype not in types:
            continue
        if rtype == "Observation":
            searches.extend(
                _observation_searches(
                    book, sorted(n for n in names if "Observation" in book.resource_types_of(n))
                )
            )
        else:
            # History questions (any record of X, ever or in a window): every record of the type,
            # since ICD-10-CM prefixes and drug names cannot be expressed as a standard token
            # search.
            searches.append(Search(rtype, include=INCLUDES.get(rtype)))
    return searches


def name_matched_value_sets(book: Rulebook, trials: Iterable[Trial]) -> set[str]:
    """Return the Observation value sets the trials read that are matched by name or prefix (so
    no code search can find them).
    """
    names = set().union(*(book.definitions_for(trial) for trial in trials))
    return {
        str(book.definitions[n].value_set)
        for n in names
        if "Observation" in book.resource_types_of(n)
        and (
            book.value_sets[str(book.definitions[n].value_set)].names
            or book.value_sets[str(book.definitions[n].value_set)].prefixes
        )
    }


def _observation_searches(book: Rulebook, names: list[str]) -> list[Search]:
    """Return Observation searches: by code for value sets of exact codes, by date alone for the
    others.

    A value set matched by name (e.g. EDSS) or by prefix cannot be a token filter, so its
    definitions' window is fetched whole; the facts pick their Observations from the union either
    way.

    A definition where no result answers "no" (``absence: no``) or whose positives never expire gets
    no date floor: a server's date search skips Observations dated only by ``issued`` or not dated
    at all, which the facts would set aside as "cannot tell" rather than read as no test.
    """
    coded: list[Definition] = []
    uncoded: list[Definition] = []
    unfloored: list[Definition] = []
    for name in names:
        definition = book.definitions[name]
        value_set = book.value_sets[str(definition.value_set)]
        if value_set.names or value_set.prefixes:
            uncoded.append(definition)
            if not value_set.codes:
                continue
        # A set matched by name too is also searched by its codes: the uncoded search is filtered
        # by category in a prefetch, and a coded result outside those categories must not be lost.
        if _unfloored(definition):
            unfloored.append(definition)
        else:
            coded.append(definition)
    searches = []
    for group, window in ((coded, _widest(coded)), (unfloored, NO_LIMIT)):
        # Bare codes, not system|code: a token without a system matches the code in any system
        # (FHIR token search), and records write one system many ways (an OID, https, a trailing
        # slash) that the value sets fold together and a server does not: a newer result so
        # written was never fetched, so the older one decided (probe K). The facts match the
        # system again.
        tokens = sorted(
            {code for d in group for _system, code in book.value_sets[str(d.value_set)].codes}
        )
        searches += [
            Search("Observation", tuple(tokens[i : i + CODES_PER_SEARCH]), window)
            for i in range(0, len(tokens), CODES_PER_SEARCH)
        ]
    # A pregnancy test known only by its name (an EHR's local code, a point-of-care test by text)
    # outranks a coded negative that is not newer than it: without a search for it, the pull read
    # the older negative as "not pregnant" where a Bulk export, which holds everything, did not.
    named = [w for w in (_named_test_window(book.definitions[n]) for n in names) if w is not None]
    if uncoded:
        window = NO_LIMIT if any(_unfloored(d) for d in uncoded) else _widest(uncoded)
        searches.append(Search("Observation", window=Window.widest([window, *named])))
    elif named:
        searches.append(Search("Observation", window=Window.widest(named), prefetch=False))
    return searches


def _named_test_window(definition: Definition) -> Window | None:
    """Return the days a definition's named tests matter in (its negative-test window: a named
    test only counts when not older than a negative in it), or None when it reads none.
    """
    if not definition.document.get("namedTestValueSet"):
        return None
    hours = definition.document.get("negativeWithinHours")
    days = definition.document.get("negativeWithinDays")
    # The hours run to the end of the as-of day (service.facts.pregnancy), so they reach back
    # into the day ceil(hours / 24) days before it.
    if hours is not None:
        return Window(ceil(hours / 24))
    return Window(days) if days is not None else definition.window


def _unfloored(definition: Definition) -> bool:
    """Say whether a definition's Observations must be searched over the whole history (absence
    means no, or positives persist).
    """
    return definition.absence == "no" or definition.positives_persist


def _widest(definitions: list[Definition]) -> Window:
    """Return the window covering every definition's (no limit when one of them looks back
    without limit).
    """
    return Window.widest(d.window for d in definitions)
