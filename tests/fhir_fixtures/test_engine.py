"""Building every data file gives exactly the committed Bundles and manifests; the change rules
do what they say.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import orjson
import pytest

from fhir_fixtures import engine
from fhir_fixtures.engine import Case, CaseError, DataFile

DATA_FILES = engine.data_files()
AS_OF = date(2026, 11, 20)


def _committed(folder: str, name: str) -> object:
    return orjson.loads((engine.ROOT / folder / f"{name}.json").read_bytes())


def test_there_is_a_data_file_per_trial_folder() -> None:
    """Every committed trial folder of Bundles has its data file (and so is rebuilt by the
    engine).
    """
    folders = {p.parent.name for p in engine.ROOT.glob("*/manifest.json")}
    assert len(folders) == 5
    assert folders <= {p.stem for p in DATA_FILES}


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.stem)
def test_building_gives_the_committed_bundles(path: Path) -> None:
    """Each case's built Bundle equals its committed file (parsed), and no committed Bundle lacks
    a case.
    """
    data = engine.load(path)
    built = {case.name: engine.bundle(data, case) for case in data.cases}
    committed = {p.stem for p in (engine.ROOT / data.folder).glob("*.json")} - {"manifest"}
    assert built
    assert set(built) == committed
    different = [name for name, bundle in built.items() if bundle != _committed(data.folder, name)]
    assert different == []


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.stem)
def test_building_gives_the_committed_manifest(path: Path) -> None:
    """A trial's built manifest equals its committed manifest.json; a demo file writes none."""
    data = engine.load(path)
    manifest = engine.ROOT / data.folder / "manifest.json"
    if data.trial is None:
        assert not manifest.exists()
    else:
        assert engine.manifest(data) == orjson.loads(manifest.read_bytes())


def _data(cases: list[Case], **base: object) -> DataFile:
    resources = {
        "anc": {"lab": "LOINC#751-8 ANC", "value": "2.4 10*9/L", "date": "-3d"},
        "hcg": {
            "coded-result": "LOINC#2106-3 hCG",
            "answer": "SNOMED#260385009 Negative",
            "date": "-3d",
        },
    }
    return DataFile(
        path=Path("t.yaml"),
        folder="T1",
        trial="T1",
        as_of=AS_OF,
        base_patient={"birthDate": "2000-01-01", "gender": "female"},
        base_resources=base.get("resources", resources),  # type: ignore[arg-type]
        cases=cases,
    )


def _ids(bundle: dict) -> list[str]:
    return [e["resource"]["id"] for e in bundle["entry"]]


def test_base_resources_are_numbered_in_order_after_the_patient() -> None:
    """The unchanged base gives Patient, then <patient>-1, -2 in the order written."""
    data = _data([Case("base", "the base", {})])
    assert _ids(engine.bundle(data, data.cases[0])) == ["t1-base", "t1-base-1", "t1-base-2"]


def test_replace_appends_an_edited_copy_with_a_new_id() -> None:
    """replace drops the base resource and appends it, edited, numbered after the base."""
    case = Case("low", "", {"replace": {"anc": {"value": "0.9 10*9/L"}}})
    bundle = engine.bundle(_data([case]), case)
    assert _ids(bundle) == ["t1-low", "t1-low-2", "t1-low-3"]
    assert bundle["entry"][-1]["resource"]["valueQuantity"]["value"] == 0.9


def test_set_edits_in_place_keeping_the_id() -> None:
    """set changes a base resource where it stands."""
    case = Case("old", "", {"set": {"anc": {"date": "-40d"}}})
    bundle = engine.bundle(_data([case]), case)
    assert bundle["entry"][1]["resource"]["effectiveDateTime"] == "2026-10-11T08:00:00+08:00"
    assert _ids(bundle)[1] == "t1-old-1"


def test_remove_and_add_with_a_fixed_id() -> None:
    """remove drops a base resource; add appends, and id: n fixes a number (later ones count on
    from it).
    """
    case = Case(
        "m",
        "",
        {
            "patient": {"gender": "male"},
            "remove": ["hcg"],
            "add": [
                {"score": "LOINC#89247-1 ECOG", "value": 1, "date": "-2d", "id": 2},
                {"like": "anc"},
            ],
        },
    )
    bundle = engine.bundle(_data([case]), case)
    assert _ids(bundle) == ["t1-m", "t1-m-1", "t1-m-2", "t1-m-3"]
    assert bundle["entry"][0]["resource"]["gender"] == "male"


def test_patient_fields_merge_and_null_drops_one() -> None:
    """patient: {birthDate: null} removes the birth date."""
    case = Case("nodob", "", {"patient": {"birthDate": None}})
    assert "birthDate" not in engine.bundle(_data([case]), case)["entry"][0]["resource"]


def test_a_case_with_whole_resources_ignores_the_base() -> None:
    """resources: carries the whole record, patient: the whole Patient."""
    case = Case(
        "odd", "", {"patient": {"gender": "other"}, "resources": [{"allergy": "penicillin"}]}
    )
    bundle = engine.bundle(_data([case]), case)
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == [
        "Patient",
        "AllergyIntolerance",
    ]


def test_naming_a_missing_base_resource_is_an_error() -> None:
    """remove/replace/set/like must name a base resource; the error names the case."""
    case = Case("bad", "", {"remove": ["no-such"]})
    with pytest.raises(CaseError, match="'bad'"):
        engine.bundle(_data([case]), case)


def test_duplicate_case_names_are_refused(tmp_path: Path) -> None:
    """A data file cannot hold two cases of one name (they would write one Bundle)."""
    path = tmp_path / "T1.yaml"
    path.write_text(
        "trial: T1\nasOf: 2026-11-20\ncases:\n- {name: a}\n- {name: a}\n", encoding="utf-8"
    )
    with pytest.raises(CaseError, match="duplicate"):
        engine.load(path)


def test_unknown_case_keys_are_refused(tmp_path: Path) -> None:
    """A misspelt change key (remvoe) is an error, not a silently unchanged case."""
    path = tmp_path / "T1.yaml"
    path.write_text(
        "trial: T1\nasOf: 2026-11-20\ncases:\n- {name: a, remvoe: [x]}\n", encoding="utf-8"
    )
    with pytest.raises(CaseError, match="remvoe"):
        engine.load(path)


def test_a_trial_case_with_no_expected_verdict_is_refused(tmp_path: Path) -> None:
    """Every trial case says its verdict: one without it would crash `rules test`, not fail it."""
    path = tmp_path / "T1.yaml"
    path.write_text(
        "trial: T1\nasOf: 2026-11-20\ncases:\n- {name: a, expect: {verdict: eligible}}\n"
        "- {name: b, expect: {statuses: {inc-1: met}}}\n",
        encoding="utf-8",
    )
    with pytest.raises(CaseError, match=r"no expected verdict: \['b'\]"):
        engine.load(path)


def test_write_replaces_the_folder_and_main_builds_named_files(tmp_path: Path) -> None:
    """write() removes stale Bundles and writes one per case plus the manifest."""
    data = _data([Case("base", "the base", {}, {"verdict": "eligible"})])
    (tmp_path / "stale.json").write_text("{}", encoding="utf-8")
    assert engine.write(data, tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base.json", "manifest.json"]


def test_main_refuses_an_unknown_command_and_an_unknown_trial() -> None:
    """python -m fhir_fixtures needs 'build', and names only data files that exist."""
    with pytest.raises(SystemExit, match="usage"):
        engine.main(["make"])
    with pytest.raises(SystemExit, match="NCT00000000"):
        engine.main(["build", "NCT00000000"])
