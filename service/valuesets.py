"""Value sets of codes (with ICD prefixes and, for drugs, ingredient names) and matching against FHIR codings."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

# Spellings of one code system seen in the wild, folded to the canonical URI.
SYSTEM_ALIASES = {
    "http://hl7.org/fhir/sid/icd-10": "http://hl7.org/fhir/sid/icd-10-cm",
    "urn:oid:2.16.840.1.113883.6.90": "http://hl7.org/fhir/sid/icd-10-cm",
    "urn:oid:2.16.840.1.113883.6.96": "http://snomed.info/sct",
    "urn:oid:2.16.840.1.113883.6.1": "http://loinc.org",
    "urn:oid:2.16.840.1.113883.6.88": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "urn:oid:2.16.840.1.113883.6.43.1": "http://terminology.hl7.org/CodeSystem/icd-o-3",
    "http://hl7.org/fhir/sid/icd-o-3": "http://terminology.hl7.org/CodeSystem/icd-o-3",
    "http://www.whocc.no/atc/": "http://www.whocc.no/atc",
}
ICD_SYSTEMS = {"http://hl7.org/fhir/sid/icd-10-cm"}


def canonical_system(system: str) -> str:
    """Fold a code system URI to the canonical spelling used in value sets."""
    return SYSTEM_ALIASES.get(system, system)


def canonical_code(system: str, code: str) -> str:
    """Fold a code's spelling: ICD-10-CM is compared without its dot and in upper case."""
    return code.replace(".", "").upper().strip() if system in ICD_SYSTEMS else code.strip()


@dataclass
class ValueSet:
    """A named set of codes, code prefixes and (for drugs) ingredient names, minus its exclusions."""

    name: str
    title: str
    codes: set[tuple[str, str]] = field(default_factory=set)
    prefixes: list[tuple[str, str]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    excluded: list[ValueSet] = field(default_factory=list)
    # One compiled alternation of the names (built on first use): a record has hundreds of drug texts.
    _pattern: re.Pattern[str] | None = field(default=None, repr=False, compare=False)
    _prefix_index: dict[str, tuple[str, ...]] | None = field(default=None, repr=False, compare=False)

    def is_plain_codes(self) -> bool:
        """Say whether membership is decided by exact codes alone (no prefixes, names or exclusions)."""
        return not (self.prefixes or self.names or self.excluded)

    def match(self, concepts: Iterable[tuple[str, str, str]], texts: Iterable[str] = ()) -> str | None:
        """Return how the concepts match ('code', 'name') or None; an excluded code vetoes the match."""
        concepts = list(concepts)
        texts = list(texts)
        if any(other.match(concepts, texts) for other in self.excluded):
            return None
        for system, code, _display in concepts:
            system = canonical_system(system)
            code = canonical_code(system, code)
            if (system, code) in self.codes:
                return "code"
            if self._prefix_index is None:
                grouped: dict[str, list[str]] = {}
                for psys, prefix in self.prefixes:
                    grouped.setdefault(psys, []).append(prefix)
                self._prefix_index = {psys: tuple(items) for psys, items in grouped.items()}
            if system in self._prefix_index and code.startswith(self._prefix_index[system]):
                return "code"
        if self.names:
            if self._pattern is None:
                self._pattern = re.compile(r"\b(?:" + "|".join(re.escape(n) for n in sorted(set(self.names))) + ")")
            words = " ".join(texts + [display for _s, _c, display in concepts]).lower()
            if self._pattern.search(words):
                return "name"
        return None


def build_value_sets(documents: dict[str, dict]) -> dict[str, ValueSet]:
    """Build value sets from their JSON documents, resolving 'include' and 'exclude' by name."""
    built: dict[str, ValueSet] = {}

    def build(name: str, trail: tuple[str, ...] = ()) -> ValueSet:
        if name in built:
            return built[name]
        if name in trail:
            raise KeyError(f"value set {name!r} includes itself through {' → '.join(trail)}", name)
        if name not in documents:
            # The second argument names the value set whose document is at fault.
            culprit = trail[-1] if trail else name
            raise KeyError(f"value set {culprit!r} includes unknown value set {name!r}" if trail else f"unknown value set {name!r}", culprit)
        doc = documents[name]
        vs = ValueSet(name=name, title=doc.get("title", name))
        for item in doc.get("codes", []):
            system = canonical_system(item["system"])
            vs.codes.add((system, canonical_code(system, item["code"])))
        for item in doc.get("prefixes", []):
            system = canonical_system(item["system"])
            vs.prefixes.append((system, canonical_code(system, item["prefix"])))
        vs.names.extend(n.lower() for n in doc.get("names", []))
        for included in doc.get("include", []):
            other = build(included, (*trail, name))
            vs.codes |= other.codes
            vs.prefixes.extend(other.prefixes)
            vs.names.extend(other.names)
            vs.excluded.extend(other.excluded)
        vs.excluded.extend(build(excluded, (*trail, name)) for excluded in doc.get("exclude", []))
        built[name] = vs
        return vs

    for name in documents:
        build(name)
    return built
