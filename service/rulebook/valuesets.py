"""Value sets: codes (from the committed expansions), ICD prefixes with exclusions, names as a
safety net, and matching.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

# Spellings of one code system seen in the wild, folded to the canonical URI.
# WHO ICD-10 folds into ICD-10-CM on purpose: Chinese records send either under either URI, and the
# expansions hold both editions' codes, so a code of either edition is looked up in one index.
SYSTEM_ALIASES = {
    "http://hl7.org/fhir/sid/icd-10": "http://hl7.org/fhir/sid/icd-10-cm",
    "urn:oid:2.16.840.1.113883.6.3": "http://hl7.org/fhir/sid/icd-10-cm",
    "urn:oid:2.16.840.1.113883.6.90": "http://hl7.org/fhir/sid/icd-10-cm",
    "urn:oid:2.16.840.1.113883.6.96": "http://snomed.info/sct",
    "urn:oid:2.16.840.1.113883.6.1": "http://loinc.org",
    "urn:oid:2.16.840.1.113883.6.88": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "urn:oid:2.16.840.1.113883.6.43.1": "http://terminology.hl7.org/CodeSystem/icd-o-3",
    "http://hl7.org/fhir/sid/icd-o-3": "http://terminology.hl7.org/CodeSystem/icd-o-3",
    "http://www.whocc.no/atc/": "http://www.whocc.no/atc",
    "urn:oid:2.16.840.1.113883.6.73": "http://www.whocc.no/atc",
    "urn:oid:2.16.840.1.113883.12.292": "http://hl7.org/fhir/sid/cvx",
    # CPT-4 and ICD-10-PCS by their HL7 OIDs, as Epic's EHI exports write them (probe M).
    "urn:oid:2.16.840.1.113883.6.12": "http://www.ama-assn.org/go/cpt",
    "urn:oid:2.16.840.1.113883.6.4": "http://www.cms.gov/Medicare/Coding/ICD10",
    # HCPCS Level II (THO CodeSystem hcpcs-Level-II): J-codes of drugs given in clinic.
    "urn:oid:2.16.840.1.113883.6.285": "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
}
ICD_SYSTEMS = {"http://hl7.org/fhir/sid/icd-10-cm"}
EXPANSIONS = "expansions"
# Distinct (concepts, texts) signatures whose match a value set remembers; past this the memo starts
# over, so records that carry endless distinct codes or texts cannot grow a long-lived worker
# without bound.
MATCH_MEMO_LIMIT = 20_000
GUARDS = Path("sources") / "name-guards.json"
# How a match that only puts a record to review was made: by a name in its text, or by its code's
# place in a classification (a CPT section, an ICD-10-PCS section) rather than a listed code.
REVIEW_MATCHES = frozenset({"name", "range"})


_UNSEEN = object()


def canonical_system(system: str) -> str:
    """Fold a code system URI to the canonical spelling used in value sets."""
    found = SYSTEM_ALIASES.get(system)
    if found is not None:
        return found
    if system.endswith("/") or system.startswith("https://") or system != system.strip():
        # "http://loinc.org/", "https://loinc.org", " http://snomed.info/sct": one system each, as
        # EHR exports write them; every canonical URI of the value sets is http without a slash.
        folded = system.strip().rstrip("/")
        folded = (
            "http://" + folded.removeprefix("https://") if folded.startswith("https://") else folded
        )
        return SYSTEM_ALIASES.get(folded, folded)
    return system


def canonical_code(system: str, code: str) -> str:
    """Fold a code's spelling: ICD-10-CM is compared without its dot and in upper case."""
    return code.replace(".", "").upper().strip() if system in ICD_SYSTEMS else code.strip()


def _alternation(words: Iterable[str]) -> re.Pattern[str] | None:
    words = sorted(set(words))
    if not words:
        return None
    # A name in a script written without spaces (安罗替尼, after 服 in 口服盐酸安罗替尼) has no word
    # boundary before it: it matches anywhere; a Latin name must start a word.
    bounded = [re.escape(w) for w in words if w[0].isascii()]
    unbounded = [re.escape(w) for w in words if not w[0].isascii()]
    parts = ([r"\b(?:" + "|".join(bounded) + ")"] if bounded else []) + (
        ["(?:" + "|".join(unbounded) + ")"] if unbounded else []
    )
    return re.compile("|".join(parts))


@dataclass
class ValueSet:
    """A named set of codes, code prefixes (each minus its exclusions) and names, minus the sets
    it excludes.
    """

    name: str
    title: str
    codes: set[tuple[str, str]] = field(default_factory=set)
    prefixes: list[tuple[str, str]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    excluded: list[ValueSet] = field(default_factory=list)
    # Per (system, prefix): the longer prefixes it does not reach (C49 minus C49.A GIST).
    prefix_vetoes: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    # Words that make a name match no match ("family history of cancer" is not cancer); codes are
    # not affected.
    name_guards: tuple[str, ...] = ()
    # Per name, words that stop that name only ("sarcoma" in a sarcoma set is not "Kaposi sarcoma"
    # or "myeloid sarcoma"); a name also listed without them, as malignancy's own "sarcoma" is,
    # keeps none.
    name_stops: dict[str, frozenset[str]] = field(default_factory=dict)
    # (system, low, high): codes of one length between low and high (CPT's Surgery section, 10004 to
    # 69990) that are only a reason to review, like a name: a section holds venipunctures as well as
    # colectomies, so no range decides a yes.
    review_ranges: list[tuple[str, str, str]] = field(default_factory=list)
    # As an exclusion, whether a match by one of its names vetoes a coded match (a sarcoma named in
    # a C55 "uterus, part unspecified" text does; a metastasis phrase does not).
    names_veto_codes: bool = True
    # One compiled alternation of the names (built on first use): a record has hundreds of drug
    # texts.
    _pattern: re.Pattern[str] | None = field(default=None, repr=False, compare=False)
    _guard: re.Pattern[str] | None = field(default=None, repr=False, compare=False)
    _prefix_index: dict[str, tuple[str, ...]] | None = field(
        default=None, repr=False, compare=False
    )
    # Match results by (concepts, texts) for the process's life (the set does not change once
    # built): patients repeat the same few hundred codes, and each hook call asked ~1,900 matches of
    # ~40 value sets.
    _memo: dict[tuple[tuple[tuple[str, str, str], ...], tuple[str, ...]], str | None] = field(
        default_factory=dict, repr=False, compare=False
    )

    def is_plain_codes(self) -> bool:
        """Say whether membership is decided by exact codes alone (no prefixes, names or
        exclusions).
        """
        return not (self.prefixes or self.names or self.excluded or self.review_ranges)

    def _prefix_hit(self, system: str, code: str) -> bool:
        if self._prefix_index is None:
            grouped: dict[str, list[str]] = {}
            for psys, prefix in self.prefixes:
                grouped.setdefault(psys, []).append(prefix)
            self._prefix_index = {psys: tuple(items) for psys, items in grouped.items()}
        prefixes = self._prefix_index.get(system)
        if not prefixes or not code.startswith(prefixes):
            return False
        return any(
            code.startswith(p) and not code.startswith(self.prefix_vetoes.get((system, p), ()))
            for p in prefixes
        )

    def match(
        self, concepts: Iterable[tuple[str, str, str]], texts: Iterable[str] = ()
    ) -> str | None:
        """Return how the concepts match ('code', 'name') or None; an excluded set's match vetoes
        the match.
        """
        key = (tuple(concepts), tuple(texts))
        found = self._memo.get(key, _UNSEEN)
        if found is not _UNSEEN:
            return found  # type: ignore[return-value]
        how = self._own_match(*key)
        # Exclusions are looked at only for a match: most records match nothing, and exclusions cost
        # as much as the set.
        for other in self.excluded if how else ():
            vetoed = other.match(*key)
            # A set whose names describe another lesion, not this one (a metastasis phrase in a
            # coded primary's text, "sigmoid colon cancer metastatic to liver" coded C18.7) vetoes
            # a code only by a code (probe P).
            if vetoed and (vetoed == "code" or how != "code" or other.names_veto_codes):
                how = None
                break
        if len(self._memo) >= MATCH_MEMO_LIMIT:
            self._memo.clear()
        self._memo[key] = how
        return how

    def _own_match(
        self, concepts: tuple[tuple[str, str, str], ...], texts: tuple[str, ...]
    ) -> str | None:
        for system, code, _display in concepts:
            system = canonical_system(system)
            code = canonical_code(system, code)
            if (system, code) in self.codes or self._prefix_hit(system, code):
                return "code"
        if self.review_ranges and any(
            in_range(canonical_system(system), canonical_code(canonical_system(system), code), r)
            for system, code, _display in concepts
            for r in self.review_ranges
        ):
            return "range"
        if self.names:
            if self._pattern is None:
                self._pattern = _alternation(self.names)
                self._guard = _alternation(self.name_guards)
            words = " ".join([*texts, *(display for _s, _c, display in concepts)]).lower()
            if (
                self._pattern is not None
                and not (self._guard and self._guard.search(words))
                and any(
                    not any(stop in words for stop in self.name_stops.get(hit.group(0), ()))
                    for hit in self._pattern.finditer(words)
                )
            ):
                return "name"
        return None


def in_range(system: str, code: str, review_range: tuple[str, str, str]) -> bool:
    """Say whether a code lies in a (system, low, high) range: the same length as its bounds, only
    digits when both bounds are (CPT's 3008F tracking code is not in 10004-69990), and between them.
    """
    range_system, low, high = review_range
    return (
        system == range_system
        and len(code) == len(low)
        and (code.isdigit() or not (low.isdigit() and high.isdigit()))
        and low <= code.upper() <= high
    )


class ValueSets(dict[str, ValueSet]):
    """The value sets by name, with the version of the expansions they were built from."""

    version: str = "unexpanded"


def value_sets_version(value_sets: dict[str, ValueSet]) -> str:
    """Return the expansions' version (code-system editions and build), for reports."""
    return getattr(value_sets, "version", ValueSets.version)


@lru_cache(maxsize=8)
def _read_expansions(
    directory: Path, stamp: tuple[int, int]
) -> tuple[str, dict[str, tuple[tuple[str, str], ...]]]:
    """Read every committed expansion once per process (``stamp`` is the manifest's mtime and
    size).
    """
    manifest = orjson.loads((directory / "manifest.json").read_bytes())
    sources = ", ".join(
        s["label"] for s in manifest.get("sources", []) if s["label"] != "curated lists"
    )
    version = f"{manifest['version']} ({sources})"
    codes: dict[str, tuple[tuple[str, str], ...]] = {}
    for name in manifest["valueSets"]:
        path = directory / f"{name}.json"
        if path.exists():
            contains = orjson.loads(path.read_bytes())["expansion"]["contains"]
            found = []
            for item in contains:
                system = canonical_system(item["system"])
                found.append((system, canonical_code(system, item["code"])))
            codes[name] = tuple(found)
    return version, codes


def load_expansions(valuesets_dir: Path) -> tuple[str, dict[str, tuple[tuple[str, str], ...]]]:
    """Return (version, codes by value-set name) of the committed expansions, or ('unexpanded',
    {}) when there are none.
    """
    directory = valuesets_dir / EXPANSIONS
    manifest = directory / "manifest.json"
    if not manifest.exists():
        return ValueSets.version, {}
    stat = manifest.stat()
    return _read_expansions(directory.resolve(), (stat.st_mtime_ns, stat.st_size))


def load_name_guards(valuesets_dir: Path) -> tuple[str, ...]:
    """Return the words that stop a name match (negations, family history, screening)."""
    path = valuesets_dir / GUARDS
    return (
        tuple(w.lower() for w in orjson.loads(path.read_bytes())["words"]) if path.exists() else ()
    )


def _add_own_names(vs: ValueSet, doc: dict[str, Any]) -> None:
    """Add a set's own names with its stop words."""
    stops = frozenset(w.lower() for w in doc.get("nameStops", []))
    for own in doc.get("names", []):
        vs.names.append(own.lower())
        _merge_stops(vs, own.lower(), stops)


def _merge_stops(target: ValueSet, name: str, stops: frozenset[str]) -> None:
    """Record a name's stop words; a name reached again with other stops keeps only those both
    share.
    """
    target.name_stops[name] = (
        target.name_stops[name] & stops if name in target.name_stops else stops
    )


def _merge_prefixes(target: ValueSet, other: ValueSet) -> None:
    """Add another set's prefixes; where both have a prefix, only the exclusions both make still
    apply.
    """
    had = set(target.prefixes)
    for key in dict.fromkeys(other.prefixes):
        theirs = other.prefix_vetoes.get(key, ())
        if key in had:
            shared = tuple(v for v in target.prefix_vetoes.get(key, ()) if v in theirs)
            target.prefix_vetoes.pop(key, None)
            if shared:
                target.prefix_vetoes[key] = shared
        elif theirs:
            target.prefix_vetoes[key] = theirs
    target.prefixes.extend(other.prefixes)


def _review_ranges(name: str, doc: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Return a set's own review ranges as (system, low, high), refusing bounds that match
    nothing.
    """
    found = []
    for item in doc.get("reviewRanges", []):
        low, high = item["low"].upper(), item["high"].upper()
        if len(low) != len(high) or low > high:
            # A range that could match nothing would read every code of its section as absent.
            raise KeyError(
                f"value set {name!r}: review range {low}-{high} needs bounds of one length, "
                "the lower first",
                name,
            )
        found.append((canonical_system(item["system"]), low, high))
    return found


def build_value_sets(
    documents: dict[str, dict[str, Any]], valuesets_dir: Path | None = None
) -> ValueSets:
    """Build value sets from their definitions and committed expansions, resolving 'include' and
    'exclude' by name.
    """
    version, expanded = load_expansions(valuesets_dir) if valuesets_dir else (ValueSets.version, {})
    guards = load_name_guards(valuesets_dir) if valuesets_dir else ()
    built = ValueSets()
    built.version = version

    def build(name: str, trail: tuple[str, ...] = ()) -> ValueSet:
        if name in built:
            return built[name]
        if name in trail:
            raise KeyError(f"value set {name!r} includes itself through {' → '.join(trail)}", name)
        if name not in documents:
            # The second argument names the value set whose document is at fault.
            culprit = trail[-1] if trail else name
            raise KeyError(
                f"value set {culprit!r} includes unknown value set {name!r}"
                if trail
                else f"unknown value set {name!r}",
                culprit,
            )
        doc = documents[name]
        vs = ValueSet(
            name=name,
            title=doc.get("title", name),
            name_guards=guards,
            names_veto_codes=doc.get("namesVetoCodes", True),
        )
        vs.codes.update(expanded.get(name, ()))
        for item in doc.get("codes", []):
            system = canonical_system(item["system"])
            vs.codes.add((system, canonical_code(system, item["code"])))
        vetoes: dict[str, list[str]] = {}
        for item in doc.get("excludePrefixes", []):
            system = canonical_system(item["system"])
            vetoes.setdefault(system, []).append(canonical_code(system, item["prefix"]))
        for item in doc.get("prefixes", []):
            system = canonical_system(item["system"])
            prefix = canonical_code(system, item["prefix"])
            vs.prefixes.append((system, prefix))
            own = tuple(v for v in vetoes.get(system, ()) if v.startswith(prefix) and v != prefix)
            if own:
                vs.prefix_vetoes[(system, prefix)] = own
        _add_own_names(vs, doc)
        vs.review_ranges.extend(_review_ranges(name, doc))
        for included in doc.get("include", []):
            other = build(included, (*trail, name))
            vs.codes |= other.codes
            _merge_prefixes(vs, other)
            vs.names.extend(other.names)
            vs.review_ranges.extend(r for r in other.review_ranges if r not in vs.review_ranges)
            for other_name in other.names:
                _merge_stops(vs, other_name, other.name_stops.get(other_name, frozenset()))
            vs.excluded.extend(other.excluded)
        vs.excluded.extend(build(excluded, (*trail, name)) for excluded in doc.get("exclude", []))
        built[name] = vs
        return vs

    for name in documents:
        build(name)
    return built
