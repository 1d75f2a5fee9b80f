"""What every definition kind reads: the record, the as-of date, the value sets and the other
facts.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar, cast

from service.facts.base import Fact
from service.facts.values import as_list, codings, concept_text
from service.records.entries import reference_of
from service.records.record import PatientRecord
from service.rulebook.definitions import Definition
from service.rulebook.valuesets import ValueSet, canonical_code, canonical_system

T = TypeVar("T")
Concept = tuple[str, str, str]  # (system, code, display)


@dataclass
class Context:
    """Inputs of one evaluation; ``fact`` computes (and caches) another definition by name."""

    record: PatientRecord
    as_of: date
    value_sets: dict[str, ValueSet]
    fact: Callable[[str], Fact]
    # Observations (or their components) by (system, code), built on first use: a large record
    # holds ~1,000 Observations and each measurement asks for a handful of codes.
    _by_code: dict[tuple[str, str], list[tuple[dict[str, Any], dict[str, Any]]]] | None = field(
        default=None, repr=False
    )
    # Items grouped by the concepts they carry, per kind of item: a record repeats the same few
    # drugs and diagnoses hundreds of times, so each value set is matched once per distinct concept,
    # not per record.
    _groups: dict[
        str,
        list[
            tuple[tuple[tuple[Concept, ...], tuple[str, ...]], list[Concept], list[str], list[int]]
        ],
    ] = field(default_factory=dict, repr=False)
    _elements: list[tuple[dict[str, Any], dict[str, Any]]] | None = field(default=None, repr=False)
    # What several definitions ask of the same record (a value set's matches, a resource's dates),
    # computed once: the record and the as-of date do not change during an evaluation.
    _memo: dict[Hashable, Any] = field(default_factory=dict, repr=False)

    def remember(self, key: Hashable, compute: Callable[[], T]) -> T:
        """Return ``compute()`` for ``key``, computed on first use and kept for this record and
        as-of date.
        """
        try:
            return cast(T, self._memo[key])
        except KeyError:
            found = self._memo[key] = compute()
            return found

    def observation_elements(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """Return (Observation, element) for each Observation and each of its components, built
        once per record.
        """
        if self._elements is None:
            self._elements = [
                (obs, element)
                for obs in self.record.of_type("Observation")
                for element in (
                    obs,
                    *(c for c in as_list(obs.get("component")) if isinstance(c, dict)),
                )
            ]
        return self._elements

    def matching(
        self,
        kind: str,
        items: Sequence[T],
        describe: Callable[[T], tuple[list[Concept], list[str]]],
        value_set: ValueSet,
    ) -> list[tuple[T, str, list[Concept], list[str]]]:
        """Return (item, how, concepts, texts) for the items whose concepts are in the value set, in
        the items' order.

        ``kind`` names the item list (it must be the same list on every call with that kind).
        """
        groups = self._groups.get(kind)
        if groups is None:
            by_signature: dict[
                tuple[tuple[Concept, ...], tuple[str, ...]],
                tuple[list[Concept], list[str], list[int]],
            ] = {}
            for position, item in enumerate(items):
                concepts, texts = describe(item)
                by_signature.setdefault((tuple(concepts), tuple(texts)), (concepts, texts, []))[
                    2
                ].append(position)
            # The signature is kept as the value set's memo key (ValueSet.match), so it is not
            # rebuilt per value set.
            groups = self._groups[kind] = [
                (signature, *group) for signature, group in by_signature.items()
            ]
        hits: list[tuple[int, str, list[Concept], list[str]]] = []
        for (concepts_key, texts_key), concepts, texts, positions in groups:
            how = value_set.match(concepts_key, texts_key)
            if how:
                for position in positions:
                    hits.append((position, how, concepts, texts))
        # Positions are distinct, so the tuples sort by position alone (no key function per hit).
        hits.sort()
        return [(items[position], how, concepts, texts) for position, how, concepts, texts in hits]

    def observations_coded(
        self, keys: set[tuple[str, str]]
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """Return (Observation, element carrying the code) pairs whose code is one of ``keys``,
        each pair once.
        """
        if self._by_code is None:
            index: dict[tuple[str, str], list[tuple[dict[str, Any], dict[str, Any]]]] = {}
            # A record repeats a few dozen codes hundreds of times: each is made canonical once.
            canonical: dict[tuple[str, str], tuple[str, str]] = {}
            for pair in self.observation_elements():
                seen: list[tuple[str, str]] = []
                for system, code, _display in codings(pair[1].get("code")):
                    key = canonical.get((system, code))
                    if key is None:
                        key = canonical[(system, code)] = (
                            canonical_system(system),
                            canonical_code(canonical_system(system), code),
                        )
                    if key not in seen:
                        seen.append(key)
                        index.setdefault(key, []).append(pair)
            self._by_code = index
        found: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
        for key in keys:
            for pair in self._by_code.get(key, ()):
                found[id(pair[1])] = pair
        return list(found.values())

    def window_start(self, definition: Definition) -> date | None:
        """Return the first day of a definition's lookback window, or None when it has none."""
        return definition.window.start(self.as_of)

    def window_text(self, definition: Definition) -> str:
        """Describe a definition's lookback window in words."""
        return definition.window.describe(self.as_of)

    def in_window(self, definition: Definition, day: date) -> bool:
        """Say whether an item dated ``day`` falls in a definition's lookback window on the as-of
        date.
        """
        return definition.window.contains(day, self.as_of)

    def value_set(self, definition: Definition) -> ValueSet:
        """Return the value set a definition names."""
        return self.value_sets[str(definition.value_set)]

    def failure(self, resource_type: str) -> str | None:
        """Return why a resource type's search failed, or None when its data arrived."""
        return self.record.failed.get(resource_type)

    def blocked(
        self, resource_types: tuple[str, ...], value_set: ValueSet | None = None
    ) -> str | None:
        """Say why a definition over these types cannot be decided: a failed search, or a resource
        in its value set set aside.

        A resource set aside whose concept cannot be read could be anything, so it blocks every
        value set of its type.
        """
        if not self.record.failed and not self.record.unreadable:
            return None  # the usual record: asked by every definition, answered without a walk
        return self.remember(
            ("blocked", resource_types, None if value_set is None else id(value_set)),
            lambda: self._blocked(resource_types, value_set),
        )

    def _blocked(self, resource_types: tuple[str, ...], value_set: ValueSet | None) -> str | None:
        """Walk the failed searches and the resources set aside for ``blocked``."""
        reasons = [
            f"{rtype} search failed ({self.failure(rtype)})"
            for rtype in resource_types
            if self.failure(rtype)
        ]
        for item in self.record.unreadable:
            if item.resource.get("resourceType") not in resource_types:
                continue
            if (
                value_set is None
                or item.concept is None
                or value_set.match(codings(item.concept), [concept_text(item.concept)])
            ):
                reasons.append(f"{reference_of(item.resource)} could not be read ({item.problem})")
        return "; ".join(reasons[:3]) or None
