"""Guards over the codes definitions list themselves: answer tables and mass factors pass their
check digits and cite a source.
"""

from __future__ import annotations

import json
from pathlib import Path

from service.terminology.check import definition_code_problems

LIBRARY = Path(__file__).resolve().parents[2] / "rules" / "library"


def _write(tmp_path: Path, rows: list[dict[str, object]]) -> Path:
    (tmp_path / "definitions.json").write_text(
        json.dumps({"definitions": {"grade": {"kind": "ordinal", "answerCodes": rows}}}),
        encoding="utf-8",
    )
    return tmp_path


def test_committed_answer_tables_have_no_problems() -> None:
    """Every SNOMED CT / LOINC code in the committed answer tables and mass factors is valid and
    sourced.
    """
    definitions = json.loads((LIBRARY / "definitions.json").read_text(encoding="utf-8"))[
        "definitions"
    ]
    listed = [row["code"] for d in definitions.values() for row in d.get("answerCodes", [])]
    assert len(listed) >= 6
    assert definition_code_problems(LIBRARY) == []


def test_a_snomed_typo_in_an_answer_table_is_reported(tmp_path: Path) -> None:
    """An answer code one digit off (167277002 for 167277001) fails its Verhoeff check and is
    reported.
    """
    rows = [
        {
            "system": "http://snomed.info/sct",
            "code": "167277002",
            "display": "Urine protein test = +++",
            "value": 3,
            "source": "x",
        }
    ]
    assert definition_code_problems(_write(tmp_path, rows)) == [
        "grade answerCodes: SNOMED CT 167277002 fails its Verhoeff check digit"
    ]


def test_an_answer_code_without_a_source_is_reported(tmp_path: Path) -> None:
    """An answer code that does not say where it was verified is reported."""
    rows = [
        {
            "system": "http://snomed.info/sct",
            "code": "167277001",
            "display": "Urine protein test = +++",
            "value": 3,
            "source": " ",
        }
    ]
    assert definition_code_problems(_write(tmp_path, rows)) == [
        "grade answerCodes: 167277001 has no source"
    ]


def test_every_icdo3_code_is_in_the_verified_table() -> None:
    """Every ICD-O-3 code in the value sets is in the verified ICD-O-3.2 table (or kept as a
    legacy code with a reason).
    """
    from service.terminology.check import icdo3_known
    from service.terminology.expand import ICDO3, read_definitions

    valuesets = LIBRARY.parent / "valuesets"
    used = {
        c["code"]
        for d in read_definitions(valuesets).values()
        for c in d.get("codes", [])
        if c["system"] == ICDO3
    }
    assert len(used) > 50
    assert sorted(used - icdo3_known(valuesets)) == []


def test_an_unverified_icdo3_code_is_reported(tmp_path: Path) -> None:
    """A well-formed ICD-O-3 code that the verified table lacks (8811/6, a metastatic code no set
    should hold) is a problem.
    """
    from service.terminology.check import problems

    valuesets = tmp_path / "valuesets"
    (valuesets / "sources").mkdir(parents=True)
    (tmp_path / "library").mkdir()
    (tmp_path / "library" / "definitions.json").write_text('{"definitions": {}}', encoding="utf-8")
    (valuesets / "sources" / "icdo3-morphology.json").write_text(
        json.dumps({"codes": [{"code": "8811/3", "term": "Myxofibrosarcoma"}], "legacy": []}),
        encoding="utf-8",
    )
    (valuesets / "conditions.json").write_text(
        json.dumps(
            {
                "valueSets": {
                    "myxo": {
                        "title": "x",
                        "source": "test",
                        "codes": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/icd-o-3",
                                "code": "8811/3",
                                "display": "Myxofibrosarcoma",
                            },
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/icd-o-3",
                                "code": "8811/6",
                                "display": "Myxofibrosarcoma, metastatic",
                            },
                        ],
                    }
                }
            }
        ),
        encoding="utf-8",
    )
    assert problems(tmp_path) == [
        "myxo: ICD-O-3 8811/6 is not in sources/icdo3-morphology.json (verify it and add it, or "
        "list it as legacy)"
    ]
