"""Expand each value-set definition (rules/valuesets/*.json) into a FHIR ValueSet with compose,
expansion and per-code source.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from service.terminology.editions import CM, WHO, Edition, edition

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ICDO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
VSAC_CANONICAL = "http://cts.nlm.nih.gov/fhir/ValueSet/"
CANONICAL = "urn:trial-eligibility:ValueSet:"
SOURCE_URL = "urn:trial-eligibility:StructureDefinition:code-source"
NAMES_URL = "urn:trial-eligibility:StructureDefinition:name-match"
# ICD-10 (R4's URI) is WHO ICD-10 in these definitions; CM is written with its own URI.
ICD_EDITION = {CM: CM, WHO: WHO}
EXPANSIONS = "expansions"
SOURCES = "sources"
VSAC_TABLE = "vsac-ecqm.json"


def read_definitions(valuesets_dir: Path) -> dict[str, dict[str, Any]]:
    """Return every value-set definition of the authoring files, by name."""
    documents: dict[str, dict[str, Any]] = {}
    for path in sorted(valuesets_dir.glob("*.json")):
        documents.update(json.loads(path.read_text(encoding="utf-8"))["valueSets"])
    return documents


def referenced_oids(documents: dict[str, dict[str, Any]]) -> set[str]:
    """Return the OIDs of the published value sets the definitions expand."""
    return {
        p["oid"]
        for doc in documents.values()
        for p in doc.get("published", [])
        if p.get("expand", True) and "oid" in p
    }


def _entry(
    system: str, version: str | None, code: str, display: str, source: str
) -> dict[str, Any]:
    item: dict[str, Any] = {"system": system}
    if version:
        item["version"] = version
    item.update(
        {
            "code": code,
            "display": display,
            "extension": [{"url": SOURCE_URL, "valueString": source}],
        }
    )
    return item


def _name_pattern(names: list[str]) -> re.Pattern[str] | None:
    if not names:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(n.lower()) for n in sorted(set(names))) + ")")


class Expander:
    """Expand definitions against the ICD editions and the VSAC table; every code keeps where it
    came from.
    """

    def __init__(self, documents: dict[str, dict[str, Any]], vsac: dict[str, Any] | None) -> None:
        self.documents = documents
        self.vsac = vsac or {"valueSets": {}, "rxnorm": {}}

    def _edition(self, system: str) -> Edition:
        return edition(ICD_EDITION[system])

    def _excluded_names(self, doc: dict[str, Any], trail: tuple[str, ...] = ()) -> list[str]:
        """Names of the sets this one excludes (e.g. non-systemic dose forms), followed through
        their includes.
        """
        names: list[str] = []
        for other in doc.get("exclude", []):
            names += self._all_names(other, trail)
        return names

    def _all_names(self, name: str, trail: tuple[str, ...]) -> list[str]:
        if name in trail or name not in self.documents:
            return []
        doc = self.documents[name]
        found = list(doc.get("names", []))
        for other in doc.get("include", []):
            found += self._all_names(other, (*trail, name))
        return found

    # C901: the value-set composition rules (codes, prefixes, exclusions, vetoes) in one place
    def contains(self, name: str, doc: dict[str, Any]) -> list[dict[str, Any]]:  # noqa: C901
        """Return the expansion's codes of one definition (its own codes; included sets expand in
        their own files).
        """
        default_source = doc["source"]
        out: dict[tuple[str, str], dict[str, Any]] = {}

        def add(entry: dict[str, Any]) -> None:
            out.setdefault((entry["system"], entry["code"]), entry)

        for item in doc.get("codes", []):
            system, code = item["system"], item["code"]
            version = None
            if system in ICD_EDITION:
                version = self._edition(system).version
            add(
                _entry(
                    system,
                    version,
                    code,
                    item.get("display", ""),
                    item.get("source", default_source),
                )
            )
        for item in doc.get("prefixes", []):
            system = item["system"]
            if system not in ICD_EDITION:
                # ATC classes: no ATC table installs here, so the class stays a filter in compose.
                continue
            vetoes = [
                e["prefix"].replace(".", "").upper()
                for e in doc.get("excludePrefixes", [])
                if e["system"] in (system, "*")
            ]
            editions = [self._edition(system)]
            if system == CM and item.get("who", True):
                editions.append(
                    self._edition(WHO)
                )  # the same category in WHO ICD-10 (both URIs fold together at run time)
            for ed in editions:
                for code, display in ed.under(item["prefix"]):
                    if not any(code.replace(".", "").startswith(v) for v in vetoes):
                        add(
                            _entry(
                                ed.system,
                                ed.version,
                                code,
                                display,
                                f"{ed.package}: under {item['prefix']}",
                            )
                        )
        for published in doc.get("published", []):
            if not published.get("expand", True) or "oid" not in published:
                continue
            table = self.vsac["valueSets"][published["oid"]]
            keep = _name_pattern(published.get("displayMatches", []))
            drop = set(published.get("removeCodes", []))
            unwanted = _name_pattern(published.get("displayExcludes", []))
            for system in published["systems"]:
                for code, display in table["codes"].get(system, {}).items():
                    if (
                        code in drop
                        or (keep and not keep.search(display.lower()))
                        or (unwanted and unwanted.search(display.lower()))
                    ):
                        continue
                    if system == CM:
                        code = self._edition(CM).codes.get(code, (code, display))[0]
                    source = (
                        f"VSAC {table['name']} {published['oid']} "
                        f"({table['expansionVersion']}), from canvas 0.261.0"
                    )
                    add(_entry(system, table["expansionVersion"], code, display, source))
        if doc.get("rxnormProducts"):
            ingredients = _name_pattern(doc.get("names", []))
            route = _name_pattern(self._excluded_names(doc))
            for code, display in self.vsac["rxnorm"].items():
                text = display.lower()
                if ingredients and ingredients.search(text) and not (route and route.search(text)):
                    add(
                        _entry(
                            RXNORM,
                            None,
                            code,
                            display,
                            "RxNorm product named in VSAC eCQM 2025-05-08 (canvas 0.261.0); its "
                            "name carries the ingredient",
                        )
                    )
        return sorted(out.values(), key=lambda e: (e["system"], e["code"]))

    def compose(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Return the FHIR compose of one definition: code lists, ICD filters, published sets,
        included sets.
        """
        include: list[dict[str, Any]] = []
        exclude: list[dict[str, Any]] = []
        by_system: dict[str, list[dict[str, str]]] = {}
        for item in doc.get("codes", []):
            by_system.setdefault(item["system"], []).append(
                {"code": item["code"], "display": item.get("display", "")}
            )
        include += [{"system": s, "concept": c} for s, c in sorted(by_system.items())]
        for item in doc.get("prefixes", []):
            include.append(
                {
                    "system": item["system"],
                    "filter": [
                        {
                            "property": "code",
                            "op": "regex",
                            "value": "^" + re.escape(item["prefix"]) + ".*",
                        }
                    ],
                }
            )
        for item in doc.get("excludePrefixes", []):
            exclude.append(
                {
                    "system": item["system"],
                    "filter": [
                        {
                            "property": "code",
                            "op": "regex",
                            "value": "^" + re.escape(item["prefix"]) + ".*",
                        }
                    ],
                }
            )
        for published in doc.get("published", []):
            if published.get("expand", True) and "oid" in published:
                include.append({"valueSet": [VSAC_CANONICAL + published["oid"]]})
        if doc.get("include"):
            include.append({"valueSet": [CANONICAL + n for n in doc["include"]]})
        if doc.get("exclude"):
            exclude.append({"valueSet": [CANONICAL + n for n in doc["exclude"]]})
        compose: dict[str, Any] = {"include": include or [{"valueSet": []}]}
        if exclude:
            compose["exclude"] = exclude
        return compose

    def value_set(self, name: str, version: str, timestamp: str) -> dict[str, Any]:
        """Return the FHIR ValueSet resource of one definition."""
        doc = self.documents[name]
        contains = self.contains(name, doc)
        resource: dict[str, Any] = {
            "resourceType": "ValueSet",
            "id": name.replace("_", "-"),
            "url": CANONICAL + name,
            "version": version,
            "name": name,
            "title": doc["title"],
            "status": "active",
            "description": doc["source"] + (f" Note: {doc['note']}" if doc.get("note") else ""),
        }
        if doc.get("names"):
            resource["extension"] = [{"url": NAMES_URL, "valueString": n} for n in doc["names"]]
        if doc.get("published"):
            resource["relatedArtifact"] = [_related(p) for p in doc["published"]]
        resource["compose"] = self.compose(doc)
        systems = sorted({(e["system"], e.get("version", "")) for e in contains})
        resource["expansion"] = {
            "timestamp": timestamp,
            "total": len(contains),
            "parameter": [
                {"name": "used-codesystem", "valueUri": f"{s}|{v}" if v else s} for s, v in systems
            ],
            "contains": contains,
        }
        return resource


def _related(published: dict[str, Any]) -> dict[str, Any]:
    """Cite a published value set for the same concept, with what this one adds or removes and
    why.
    """
    what = "; ".join(f"{k}: {published[k]}" for k in ("added", "removed") if published.get(k))
    label = published.get("name", "")
    ident = VSAC_CANONICAL + published["oid"] if "oid" in published else published.get("url", "")
    return {
        "type": "derived-from" if published.get("expand", True) else "documentation",
        "label": label,
        "display": f"{label} {published.get('version', '')}".strip()
        + (f" — {what}" if what else ""),
        "resource": ident,
    }
