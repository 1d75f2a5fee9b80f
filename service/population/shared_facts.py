"""Facts a screen shares between the patients of a bucket: what equal inputs decide, and what a
record holding nothing a definition could match leaves as it is.

Only the status of a fact travels: its value, bounds, the lab it lacks, whether a person must
confirm it, whether it rests on a name, whether it is absent for want of a result. The text and
evidence of a shared fact are those of the first patient that computed it, so a shared fact is never
shown; a row is built from statuses alone, and the per-patient evaluation rebuilds the report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

from service.facts import FACT_FUNCTIONS, FactSet, derived
from service.facts.base import Fact
from service.facts.context import Concept, Context
from service.facts.history import (  # noqa: PLC2701 - the very signatures the kinds match
    _describe_allergy,
    _describe_condition,
    _describe_immunization,
    _describe_procedure,
    _medication_concepts,
    _unresolved,
    unread_code,
)
from service.facts.readings import _describe_element  # noqa: PLC2701 - the very signature matched
from service.records.record import PatientRecord
from service.rulebook.definitions import Definition
from service.rulebook.kinds import KINDS, MEDICATION_TYPES

# What a status rests on (see Signature): value, low, high, missing, review?, by name?, absent?.
Signature = tuple[Any, ...]
ItemSignature = tuple[tuple[Concept, ...], tuple[str, ...]]
# Kinds computed only from other definitions' facts (never the record itself): equal inputs, equal
# fact. Childbearing potential is not one: it also reads the Patient's birth-sex extension (a man
# recorded female at birth may become pregnant).
DERIVED_KINDS = frozenset({"formula", "cockcroftGault", "schwartz"})
# Kinds that read only items matched by the definition's value set, by the family of items they
# match: a record with no such item gives what any such record gives.
MATCHED_KINDS = {
    "measurement": "Observation",
    "ulnRatio": "Observation",
    "inReferenceRange": "Observation",
    "qualitative": "Observation",
    "ordinal": "Observation",
    "condition": "Condition",
    "conditionCount": "Condition",
    "medication": "Medication",
    "medicationCycles": "Medication",
    "procedure": "Procedure",
    "allergy": "AllergyIntolerance",
    "immunization": "Immunization",
}
# Families whose items are matched with their texts only when the value set has names
# (history.procedure): an excluded set's names must not veto what the fact function would find.
TEXTS_ONLY_WITH_NAMES = frozenset({"Procedure"})


def _describe_items(ctx: Context, family: str) -> list[tuple[list[Concept], list[str]]] | None:
    """Describe a record's items of a family as its fact functions match them (every item, void
    statuses too: a superset), or None when one cannot be described (a drug not in the record).
    """
    record = ctx.record
    if family == "Condition":
        return [_describe_condition(ctx, c) for c in record.of_type("Condition")]
    if family == "Observation":
        return [_describe_element(pair) for pair in ctx.observation_elements()]
    if family == "Medication":
        orders = [r for rtype in MEDICATION_TYPES for r in record.of_type(rtype)]
        if any(_unresolved(ctx, r) for r in orders):
            return None  # its drug may be in any value set: the fact function decides
        return [_medication_concepts(ctx, r) for r in orders]
    if family == "Procedure":
        # With its text; a value set without names is matched without it (TEXTS_ONLY_WITH_NAMES).
        return [_describe_procedure(p) for p in record.of_type("Procedure")]
    if family == "AllergyIntolerance":
        return [_describe_allergy(item) for item in record.of_type("AllergyIntolerance")]
    items = record.of_type("Immunization")
    if any(unread_code(ctx, item.get("vaccineCode")) for item in items):
        return None  # a vaccine coded only as an NDC may be in any value set
    return [_describe_immunization(item) for item in items]


# The evidence note an absent measurement's one stale result carries (facts.derived._absent).
_STALE = "outside the lookback window"


def signature(fact: Fact) -> Signature:
    """Return what a fact's statuses rest on: everything but its text and evidence (and whether it
    is absent for want of a result, which a formula reads from its evidence).
    """
    value = fact.value
    if isinstance(value, (list, dict)):
        value = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    return (
        value,
        type(fact.value).__name__,
        fact.low,
        fact.high,
        fact.missing,
        fact.review is not None,
        bool(fact.review),
        fact.by_name,
        bool(fact.missing) and all(e.note == _STALE for e in fact.evidence),
    )


@dataclass
class _Node:
    """One step of a memo trie: the definition read next, and where each of its signatures leads."""

    reads: str | None = None
    fact: Fact | None = None
    children: dict[Signature, _Node] = field(default_factory=dict)


class _Recorder:
    """Walk a memo trie as a fact function reads other facts, and say where the walk ended."""

    def __init__(self, root: _Node, facts: ScreenFacts) -> None:
        self.node, self._facts = root, facts
        self.created = 0

    def get(self, name: str) -> Fact:
        """Return a fact the function reads, extending the trie with it."""
        fact = self._facts.get(name)
        self.node.reads = name
        children, key = self.node.children, self._facts.signature_of(name)
        if key not in children:
            children[key] = _Node()
            self.created += 1
        self.node = children[key]
        return fact


@dataclass(frozen=True)
class _Plan:
    """How a definition's fact may be shared: "derived" (always, by its inputs), "matched" (with
    no item of a family in its value set, for each (family, value set) of ``matches``) or "own"
    (never).
    """

    mode: str
    reads: frozenset[str] = frozenset()
    matches: tuple[tuple[str, str], ...] = ()


def _plan(definition: Definition) -> _Plan:
    kind = definition["kind"]
    reads = frozenset(KINDS[kind].reads)
    if kind in DERIVED_KINDS:
        return _Plan("derived", reads)
    if kind in MATCHED_KINDS and definition.value_set:
        matches: tuple[tuple[str, str], ...] = ((MATCHED_KINDS[kind], str(definition.value_set)),)
        if definition.procedure_value_set:
            # A therapy also read as a procedure that gave it (history._given_as_procedure).
            matches += (("Procedure", definition.procedure_value_set),)
            reads |= {"Procedure"}
        return _Plan("matched", reads, matches)
    return _Plan("own", reads)


class SharedFacts:
    """The memos one bucket's patients share: facts by the signatures of what they read, and
    item signatures by the value sets they match.
    """

    def __init__(self, library: Any) -> None:
        self._tries: dict[str, _Node] = {}
        self.plans = {name: _plan(d) for name, d in library.definitions.items()}
        # The value sets the matched kinds read, by the family of items they match.
        self._value_sets: dict[str, dict[str, Any]] = {}
        for plan in self.plans.values():
            for family, value_set in plan.matches:
                self._value_sets.setdefault(family, {})[value_set] = library.value_sets[value_set]
        # Per item signature, the names of the value sets it matches (each asked once).
        self._matched: dict[tuple[str, ItemSignature], frozenset[str]] = {}
        # Trie nodes and signatures held: what the memos cost in memory.
        self.size = 0

    def fact(self, name: str, facts: ScreenFacts, compute: Callable[[Context], Fact]) -> Fact:
        """Return the fact a deterministic function of other facts gives, computing it once per
        distinct set of input signatures.
        """
        node = self._tries.setdefault(name, _Node())
        while node.fact is None and node.reads is not None:
            following = node.children.get(facts.signature_of(node.reads))
            if following is None:
                break
            node = following
        if node.fact is not None:
            return node.fact
        # The function reads its inputs again from the first: the walk starts at the root.
        recorder = _Recorder(self._tries[name], facts)
        fact = compute(replace(facts.context, fact=recorder.get))
        recorder.node.fact = fact
        self.size += recorder.created + 1
        return fact

    def matched(self, rtype: str, items: frozenset[ItemSignature]) -> frozenset[str]:
        """Return the names of the value sets any of these item signatures is in."""
        found: set[str] = set()
        for item in items:
            key = (rtype, item)
            names = self._matched.get(key)
            if names is None:
                concepts, texts = item
                names = self._matched[key] = frozenset(
                    name
                    for name, vs in self._value_sets.get(rtype, {}).items()
                    if vs.match(
                        concepts, texts if vs.names or rtype not in TEXTS_ONLY_WITH_NAMES else ()
                    )
                )
                self.size += 1
            found |= names
        return frozenset(found)


class ScreenFacts(FactSet):
    """One patient's facts in a screen: computed as FactSet does, or taken from the bucket's memos
    when nothing of this record could make them differ.
    """

    def __init__(
        self, record: PatientRecord, as_of: Any, library: Any, shared: SharedFacts
    ) -> None:
        super().__init__(record, as_of, library)
        self._shared = shared
        self._matched: dict[str, frozenset[str] | None] = {}
        self._fact_signatures: dict[str, Signature] = {}
        # Types a definition cannot be decided on as usual: a failed search or a resource set aside.
        self._troubled = set(record.failed) | {
            str(item.resource.get("resourceType")) for item in record.unreadable
        }

    def signature_of(self, name: str) -> Signature:
        """Return the signature of a definition's fact, computed once per patient."""
        found = self._fact_signatures.get(name)
        if found is None:
            found = self._fact_signatures[name] = signature(self.get(name))
        return found

    def _compute(self, name: str) -> Fact:
        plan = self._shared.plans[name]
        if plan.mode == "own" or not (
            plan.mode == "derived"
            or (self._troubled.isdisjoint(plan.reads) and self._nothing_to_match(plan))
        ):
            return super()._compute(name)
        definition = self._library.definitions[name]
        return self._shared.fact(name, self, lambda ctx: self._run(ctx, name, definition))

    def _run(self, ctx: Context, name: str, definition: Definition) -> Fact:
        """Compute a fact with a given context (the memo's, which records what it reads)."""
        kind = definition["kind"]
        if kind == "formula":
            return derived.formula(ctx, name, definition, self._library.formulas[name])
        return FACT_FUNCTIONS[kind](ctx, name, definition)

    def _nothing_to_match(self, plan: _Plan) -> bool:
        """Say whether this record holds nothing the definition could read (then it is decided as
        for any such record).
        """
        for family, value_set in plan.matches:
            matched = self._matched_value_sets(family)
            if matched is None or value_set in matched:
                return False
        return True

    def _matched_value_sets(self, family: str) -> frozenset[str] | None:
        """Return the value sets matched by any of the record's items of a family (None: any may
        be).
        """
        if family not in self._matched:
            described = _describe_items(self.context, family)
            self._matched[family] = (
                None
                if described is None
                else self._shared.matched(
                    family,
                    frozenset((tuple(concepts), tuple(texts)) for concepts, texts in described),
                )
            )
        return self._matched[family]
