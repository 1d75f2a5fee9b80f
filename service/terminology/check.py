"""Guards over the definitions: check digits, ICD-10 codes in their edition, a source for every
code, known OIDs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from service.terminology.checkdigits import loinc_check_ok, snomed_check_ok
from service.terminology.editions import CM, WHO, edition
from service.terminology.expand import (
    ICDO3,
    LOINC,
    SNOMED,
    SOURCES,
    VSAC_TABLE,
    read_definitions,
    referenced_oids,
)


def code_problems(name: str, system: str, code: str) -> str | None:
    """Return what is wrong with one code of a definition, or None."""
    if system == LOINC and not loinc_check_ok(code):
        return f"{name}: LOINC {code} fails its mod-10 check digit"
    if system == SNOMED and not snomed_check_ok(code):
        return f"{name}: SNOMED CT {code} fails its Verhoeff check digit"
    if system in (CM, WHO) and not edition(system).has(code):
        return (
            f"{name}: {code} is not a code of {edition(system).package.split()[0]} "
            f"({edition(system).version})"
        )
    if system == ICDO3 and not re.fullmatch(r"[89][0-9]{3}/[0-36]", code):
        return f"{name}: ICD-O-3 {code} is not a morphology/behaviour code"
    return None


ICDO3_TABLE = "icdo3-morphology.json"


def icdo3_known(valuesets_dir: Path) -> set[str]:
    """Return the ICD-O-3 morphology codes verified in the cited term list, plus the legacy codes
    kept with a reason.
    """
    path = valuesets_dir / SOURCES / ICDO3_TABLE
    if not path.exists():
        return set()
    table = json.loads(path.read_text(encoding="utf-8"))
    return {row["code"] for row in table["codes"]} | {
        row["code"] for row in table["legacy"] if row.get("why", "").strip()
    }


def problems(rules_dir: Path) -> list[str]:
    """Return every problem of the definitions in rules_dir/valuesets (empty when all is well)."""
    documents = read_definitions(rules_dir / "valuesets")
    icdo3 = icdo3_known(rules_dir / "valuesets")
    found: list[str] = []
    for name, doc in sorted(documents.items()):
        for item in doc.get("codes", []):
            problem = code_problems(name, item["system"], item["code"])
            if problem is None and item["system"] == ICDO3 and item["code"] not in icdo3:
                # The format check alone passed 8811/9 or a mistyped 8852/3 as well as real codes.
                problem = (
                    f"{name}: ICD-O-3 {item['code']} is not in {SOURCES}/{ICDO3_TABLE} "
                    "(verify it and add it, or list it as legacy)"
                )
            if problem:
                found.append(problem)
        for key in ("prefixes", "excludePrefixes"):
            for item in doc.get(key, []):
                if item["system"] in (CM, WHO) and not edition(item["system"]).under(
                    item["prefix"]
                ):
                    found.append(
                        f"{name}: {key} {item['prefix']} matches no code of "
                        f"{edition(item['system']).package}"
                    )
        if not doc.get("source", "").strip():
            found.append(f"{name}: no source")
    found += definition_code_problems(rules_dir / "library")
    table = rules_dir / "valuesets" / SOURCES / VSAC_TABLE
    known = (
        set(json.loads(table.read_text(encoding="utf-8"))["valueSets"]) if table.exists() else set()
    )
    found += [
        f"OID {oid} is not in {table.name}: run `python -m service.terminology vsac`"
        for oid in sorted(referenced_oids(documents) - known)
    ]
    return found


def definition_code_problems(library_dir: Path) -> list[str]:
    """Return what is wrong with the codes the definitions list themselves (answer tables, mass
    factors).
    """
    found: list[str] = []
    for path in sorted(library_dir.glob("*.json")):
        for name, definition in sorted(
            json.loads(path.read_text(encoding="utf-8"))["definitions"].items()
        ):
            for key in ("answerCodes", "massFactors"):
                for item in definition.get(key, []):
                    problem = code_problems(f"{name} {key}", item["system"], item["code"])
                    if problem:
                        found.append(problem)
                    if key == "answerCodes" and not item.get("source", "").strip():
                        found.append(f"{name} {key}: {item['code']} has no source")
    return found
