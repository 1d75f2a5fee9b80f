"""Build fixture Bundles and manifest.json from a data file: a base patient, and per case its change
and expectation.

A case starts from the base patient's resources (numbered ``<patient>-1…`` in order) and changes
them: ``patient`` merges fields over the Patient; ``remove`` drops named base resources; ``set``
edits named base resources in place (same position, same id); ``replace`` drops named base resources
and appends edited copies (new ids); ``add`` appends new resources (``like: <name>`` starts one from
a base resource). A case with ``resources`` carries its whole record instead of the base's. Appended
resources are numbered on from the base (``id: n`` fixes one).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from fhir_fixtures.vocabulary import KINDS, Context, VocabularyError, expand, patient

ROOT = Path(__file__).resolve().parent
CASES_DIR = ROOT / "cases"
CASE_KEYS = frozenset(
    {"name", "description", "patientName", "patient", "remove", "set", "replace", "add"}
    | {"resources", "expect"}
)


class CaseError(ValueError):
    """A data file that cannot be built (the message names the file and the case)."""


@dataclass(frozen=True)
class Case:
    """One case of a data file: its name and description, its change to the base, and what its
    report must say.
    """

    name: str
    description: str
    change: Mapping[str, Any]
    expect: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class DataFile:
    """One data file: the trial (or a folder name, for demo patients), the as-of date, the base
    and the cases.
    """

    path: Path
    folder: str
    trial: str | None
    as_of: date
    base_patient: Mapping[str, Any]
    base_resources: Mapping[str, Mapping[str, Any]]
    cases: list[Case] = field(default_factory=list)

    @property
    def id_prefix(self) -> str:
        """Return what every patient id of this file starts with (ids are unique across trials)."""
        return self.folder.lower()


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def load(path: Path) -> DataFile:
    """Read and check a data file."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    base = doc.get("base") or {}
    cases = []
    for item in doc.get("cases") or []:
        unknown = set(item) - CASE_KEYS
        if unknown or "name" not in item:
            raise CaseError(
                f"{path.name}: case {item.get('name')!r}: unknown keys {sorted(unknown)}"
            )
        change = {k: v for k, v in item.items() if k not in ("name", "description", "expect")}
        cases.append(
            Case(str(item["name"]), item.get("description", ""), change, item.get("expect"))
        )
    names = [c.name for c in cases]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise CaseError(f"{path.name}: duplicate case names: {duplicates}")
    trial = doc.get("trial")
    lacking = [c.name for c in cases if trial and not (c.expect or {}).get("verdict")]
    if lacking:
        # Every trial case states its verdict: `rules test` and the golden check compare it.
        raise CaseError(f"{path.name}: cases with no expected verdict: {lacking}")
    return DataFile(
        path=path,
        folder=str(doc.get("folder") or trial),
        trial=trial,
        as_of=_as_date(doc["asOf"]),
        base_patient=base.get("patient") or {},
        base_resources=base.get("resources") or {},
        cases=cases,
    )


def edited(fields: Mapping[str, Any], change: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return a resource's fields with a change merged over them (null drops a field; a new kind
    replaces all).
    """
    if change is None:
        return dict(fields)
    if any(k in KINDS for k in change):
        return {k: v for k, v in change.items() if v is not None}
    merged = {**fields, **change}
    return {k: v for k, v in merged.items() if v is not None}


def _names(data: DataFile, case: Case, key: str) -> list[str]:
    value = case.change.get(key) or []
    names = list(value)
    unknown = [n for n in names if n not in data.base_resources]
    if unknown:
        raise CaseError(
            f"{data.path.name}: case {case.name!r}: {key} names no base resource: {unknown}"
        )
    return names


def resources_of(data: DataFile, case: Case) -> list[tuple[int | None, dict[str, Any]]]:
    """Return the case's resources as (fixed id number or None, terse fields), in Bundle order."""
    if "resources" in case.change:
        return [(r.get("id"), dict(r)) for r in case.change["resources"]]
    removed = set(_names(data, case, "remove")) | set(_names(data, case, "replace"))
    edits: Mapping[str, Any] = case.change.get("set") or {}
    _names(data, case, "set")
    kept = []
    for number, (name, fields) in enumerate(data.base_resources.items(), start=1):
        if name not in removed:
            kept.append((fields.get("id", number), edited(fields, edits.get(name))))
    appended = [
        edited(data.base_resources[name], change)
        for name, change in (case.change.get("replace") or {}).items()
    ]
    for item in case.change.get("add") or []:
        like = item.get("like")
        if like is not None and like not in data.base_resources:
            raise CaseError(
                f"{data.path.name}: case {case.name!r}: like names no base resource: {like}"
            )
        start = data.base_resources[like] if like else {}
        appended.append(edited(start, {k: v for k, v in item.items() if k != "like"}))
    return kept + [(fields.get("id"), fields) for fields in appended]


def bundle(data: DataFile, case: Case) -> dict[str, Any]:
    """Build the case's collection Bundle."""
    patient_id = f"{data.id_prefix}-{case.name}"
    ctx = Context(patient_id, data.as_of)
    whole = "resources" in case.change
    fields = edited({} if whole else data.base_patient, case.change.get("patient"))
    resources = [patient(fields, patient_id, case.change.get("patientName"))]
    counter = len(data.base_resources)
    for fixed, terse in resources_of(data, case):
        try:
            resource = expand({k: v for k, v in terse.items() if k != "id"}, ctx)
        except (VocabularyError, KeyError, ValueError) as error:
            raise CaseError(
                f"{data.path.name}: case {case.name!r}: {error!r} in {terse}"
            ) from error
        if "id" not in resource:
            if fixed is None:
                counter += 1
                fixed = counter
            elif fixed > counter:
                counter = fixed
            resource["id"] = f"{patient_id}-{fixed}"
        resources.append(resource)
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"urn:uuid:{r['resourceType'].lower()}-{r['id']}", "resource": r}
            for r in resources
        ],
    }


def manifest(data: DataFile) -> dict[str, Any]:
    """Build the trial's manifest.json: per case its description and what its report must say."""
    patients = {}
    for case in data.cases:
        expect = dict(case.expect or {})
        entry: dict[str, Any] = {
            "verdict": expect.get("verdict"),
            "fails": list(expect.get("fails") or []),
        }
        if expect.get("statuses"):
            entry["statuses"] = dict(expect["statuses"])
        patients[case.name] = {"description": case.description, "expect": entry}
    return {"trial": data.trial, "asOf": data.as_of.isoformat(), "patients": patients}


def dumps(document: Mapping[str, Any]) -> str:
    """Render a Bundle or manifest as the committed files are: one-space indents, UTF-8, a final
    newline.
    """
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def write(data: DataFile, out: Path) -> int:
    """Replace the folder's Bundles (and, for a trial, manifest.json) with the data file's;
    return the count.
    """
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.json"):
        old.unlink()
    for case in data.cases:
        (out / f"{case.name}.json").write_text(dumps(bundle(data, case)), encoding="utf-8")
    if data.trial:
        (out / "manifest.json").write_text(dumps(manifest(data)), encoding="utf-8")
    return len(data.cases)


def data_files(only: Iterable[str] = ()) -> list[Path]:
    """Return the data files under fhir_fixtures/cases/, or just those named (NCT06761417, demo)."""
    wanted = set(only)
    paths = sorted(CASES_DIR.glob("*.yaml"))
    missing = wanted - {p.stem for p in paths}
    if missing:
        raise CaseError(f"no data file for {sorted(missing)} in {CASES_DIR}")
    return [p for p in paths if not wanted or p.stem in wanted]


def main(argv: list[str] | None = None) -> None:
    """Build every data file's Bundles (or only the named ones): python -m fhir_fixtures build
    [NCT… | demo].
    """
    args = sys.argv[1:] if argv is None else argv
    if args[:1] != ["build"]:
        raise SystemExit("usage: python -m fhir_fixtures build [NCT… | demo …]")
    try:
        for path in data_files(args[1:]):
            data = load(path)
            count = write(data, ROOT / data.folder)
            sys.stdout.write(f"wrote {count} {data.folder} patients to {ROOT / data.folder}\n")
    except CaseError as error:
        raise SystemExit(str(error)) from error
