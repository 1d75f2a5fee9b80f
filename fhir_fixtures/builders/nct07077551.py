"""Build the NCT07077551 fixture patients (NALIRIFOX second line, extrapulmonary high-grade NEN).

Run ``python -m fhir_fixtures.builders.nct07077551``: it writes one collection Bundle per case and
``manifest.json`` into ``fhir_fixtures/NCT07077551/``. Every case is the eligible base patient (a man,
or the same patient as a woman with her serum pregnancy test) with one change, so each case fails,
or sits on the boundary of, exactly one criterion.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from fhir_fixtures.builders.fhir import (
    ATC,
    ICD10,
    ICDO3,
    LOINC,
    SNOMED,
    PatientBuilder,
    drop,
    manifest_entry,
    write_fixtures,
)

TRIAL = "NCT07077551"
AS_OF = date(2026, 11, 20)
OUT = Path(__file__).resolve().parent.parent / TRIAL

# Base patient: a 58-year-old man (born 1968-05-14) with metastatic pancreatic neuroendocrine carcinoma
# that progressed after first-line etoposide + cisplatin.
BASE_BIRTH = "1968-05-14"

# A change made to the base patient (its return value, if any, is ignored).
Change = Callable[[PatientBuilder], object]


@dataclass(frozen=True)
class Lab:
    """One test of the base patient: LOINC code, display, value, UCUM unit and ULN (referenceRange.high), if any."""

    code: str
    display: str
    value: float
    unit: str
    high: float | None = None


# Base values sit comfortably inside every limit; ×ULN labs carry referenceRange.high.
LABS: dict[str, Lab] = {
    "anc": Lab("751-8", "Neutrophils [#/volume] in Blood by Automated count", 3.2, "10*9/L"),
    "platelets": Lab("777-3", "Platelets [#/volume] in Blood by Automated count", 210, "10*9/L"),
    "hemoglobin": Lab("718-7", "Hemoglobin [Mass/volume] in Blood", 128, "g/L"),
    "bilirubin": Lab(
        "1975-2", "Bilirubin.total [Mass/volume] in Serum or Plasma", 0.7, "mg/dL", high=1.2
    ),
    "alt": Lab(
        "1742-6",
        "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
        30,
        "U/L",
        high=40,
    ),
    "ast": Lab(
        "1920-8",
        "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
        28,
        "U/L",
        high=40,
    ),
    "creatinine": Lab(
        "2160-0", "Creatinine [Mass/volume] in Serum or Plasma", 0.9, "mg/dL", high=1.2
    ),
    "weight": Lab("29463-7", "Body weight", 68, "kg"),
}
ECOG = ("89247-1", "ECOG Performance Status score")
SERUM_HCG = ("2118-8", "Choriogonadotropin (pregnancy test) [Presence] in Serum or Plasma")
URINE_HCG = ("2106-3", "Choriogonadotropin (pregnancy test) [Presence] in Urine")
NEGATIVE = ("260385009", "Negative")
POSITIVE = ("10828004", "Positive")
TUMOUR_CODE = "C25.4"
NODE_METS_CODE = "C77.2"
ETOPOSIDE = ("etoposide", "4179")
CISPLATIN = ("cisplatin", "2555")
VITAL_SIGNS = [
    {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                "code": "vital-signs",
            }
        ]
    }
]


def base(pid: str, birth_date: str = BASE_BIRTH, gender: str = "male") -> PatientBuilder:
    """Return the eligible base patient: every computable criterion is decided in his (or her) favour."""
    # Ids carry the trial so every fixture patient is unique across trials (served by id, loaded into one server).
    b = PatientBuilder(f"nct07077551-{pid}", birth_date, gender, AS_OF)
    # Pancreatic NEC coded as mCODE does it: ICD-10-CM site code plus the ICD-O-3 histology extension.
    b.condition(
        ICD10,
        TUMOUR_CODE,
        "Malignant neoplasm of endocrine pancreas",
        300,
        histology=("8246/3", "Neuroendocrine carcinoma, NOS"),
    )
    # Metastatic to intra-abdominal lymph nodes only (no liver metastases: the ALT/AST limit is 2.5 × ULN).
    b.condition(
        ICD10,
        NODE_METS_CODE,
        "Secondary and unspecified malignant neoplasm of intra-abdominal lymph nodes",
        300,
    )
    # First line: four cycles of etoposide + cisplatin, the last one 70 days ago.
    for days in (160, 130, 100, 70):
        b.medication(ETOPOSIDE[0], days, code=ETOPOSIDE[1])
        b.medication(CISPLATIN[0], days, code=CISPLATIN[1])
    b.score(*ECOG, 1, days_before=2)
    for key, lab in LABS.items():
        high = 1.0 if key == "creatinine" and gender == "female" else lab.high
        extra: dict[str, Any] = {"category": VITAL_SIGNS} if key == "weight" else {}
        b.lab(lab.code, lab.display, lab.value, lab.unit, 3, high=high, **extra)
    if gender == "female":
        b.coded_result(*SERUM_HCG, *NEGATIVE, days_before=2)
    return b


def set_lab(
    b: PatientBuilder,
    key: str,
    value: float | None,
    *,
    unit: str | None = None,
    days_before: int = 3,
    high: float | str | None = "base",
    **extra: Any,
) -> dict[str, Any]:
    """Replace a base lab by one with another value (and optionally unit, date or reference range)."""
    lab = LABS[key]
    drop(b, lab.code)
    if key == "weight":
        extra.setdefault("category", VITAL_SIGNS)
    return b.lab(
        lab.code,
        lab.display,
        value,
        unit or lab.unit,
        days_before,
        high=lab.high if high == "base" else high,
        **extra,
    )  # type: ignore[arg-type]


def swap(code: str, add: Change) -> Change:
    """A change that removes the resources with a code and adds something in their place."""

    def change(b: PatientBuilder) -> None:
        drop(b, code)
        add(b)

    return change


def lab(key: str, value: float | None, **kwargs: Any) -> Change:
    """A change that replaces one base lab."""

    def change(b: PatientBuilder) -> None:
        set_lab(b, key, value, **kwargs)

    return change


def labs(*changes: Change) -> Change:
    """A change made of several changes, applied in order."""

    def change(b: PatientBuilder) -> None:
        for one in changes:
            one(b)

    return change


def remove_lab(key: str) -> Change:
    """A change that removes one base lab altogether."""
    return lambda b: drop(b, LABS[key].code)


def ecog(value: int, days_before: int = 2) -> Change:
    """A change that replaces the base ECOG score."""

    def change(b: PatientBuilder) -> None:
        drop(b, ECOG[0])
        b.score(*ECOG, value, days_before=days_before)

    return change


def liver_mets(
    verification: str = "confirmed", clinical: str = "active", system: str = SNOMED
) -> Change:
    """A change that adds liver metastases (SNOMED 94381002 as mCODE codes it, or ICD-10-CM C78.7)."""

    def change(b: PatientBuilder) -> None:
        code, display = (
            ("94381002", "Metastatic malignant neoplasm to liver")
            if system == SNOMED
            else ("C78.7", "Secondary malignant neoplasm of liver and intrahepatic bile duct")
        )
        b.condition(
            system,
            code,
            display,
            90,
            clinical=clinical,
            verification=verification,
            abatement_days_before=30 if clinical == "resolved" else None,
        )

    return change


def replace_tumour(
    system: str,
    code: str,
    display: str,
    histology: tuple[str, str] | None = None,
    verification: str = "confirmed",
) -> Change:
    """A change that replaces the base tumour diagnosis."""

    def change(b: PatientBuilder) -> None:
        drop(b, TUMOUR_CODE)
        b.condition(system, code, display, 300, histology=histology, verification=verification)

    return change


def replace_prior_therapy(add: Change | None) -> Change:
    """A change that removes the base etoposide + cisplatin and adds something else (or nothing)."""

    def change(b: PatientBuilder) -> None:
        drop(b, ETOPOSIDE[1])
        drop(b, CISPLATIN[1])
        if add:
            add(b)

    return change


def hcg(
    result: tuple[str, str] | None,
    days_before: int = 2,
    test: tuple[str, str] = SERUM_HCG,
    status: str = "final",
) -> Change:
    """A change that replaces the base serum hCG by another pregnancy test (or by none)."""

    def change(b: PatientBuilder) -> None:
        drop(b, SERUM_HCG[0])
        if result:
            b.coded_result(*test, *result, days_before=days_before, status=status)

    return change


def no_birth_date(b: PatientBuilder) -> None:
    """Remove Patient.birthDate."""
    b.resources[0].pop("birthDate")


def unchanged(_b: PatientBuilder) -> None:
    """Leave the base patient as it is."""


@dataclass(frozen=True)
class Case:
    """One fixture patient: how it differs from the base, and what the report must say."""

    name: str
    description: str
    change: Change
    verdict: str
    fails: tuple[str, ...] = ()
    statuses: dict[str, str] = field(default_factory=dict)
    birth_date: str = BASE_BIRTH
    gender: str = "male"

    def build(self) -> PatientBuilder:
        """Return the patient: the base, changed."""
        b = base(self.name, self.birth_date, self.gender)
        self.change(b)
        return b

    def manifest(self) -> dict[str, Any]:
        """Render the manifest entry."""
        return manifest_entry(self.description, self.verdict, self.fails, self.statuses)


COMPUTED_MET = {
    c: "met"
    for c in (
        "inc-2",
        "inc-3a",
        "inc-3c",
        "inc-5",
        "inc-8a",
        "inc-8b",
        "inc-8c",
        "inc-8d",
        "inc-8e",
        "inc-8f",
        "inc-8g",
        "inc-8h",
        "inc-8i",
        "inc-9a",
    )
}
# exc-1 says the source listing has no exclusion criteria: they must be checked in the full protocol.
REVIEW = {
    c: "review" for c in ("inc-1", "inc-3b", "inc-4", "inc-6", "inc-7", "inc-9b", "inc-9c", "exc-1")
}
F = "female"

CASES: list[Case] = [
    # ===== The base patients =====
    # Every computable criterion met; inc-4 is 'review' (prior therapy on record, one failed line is for the investigator).
    Case(
        "eligible",
        "58-year-old man with metastatic pancreatic NEC after first-line etoposide + cisplatin, ECOG 1, normal counts and organ function.",
        unchanged,
        "eligible",
        statuses={**COMPUTED_MET, **REVIEW},
    ),
    # The same patient as a woman, with a negative serum hCG 2 days ago; CrCl carries the 0.85 factor.
    Case(
        "eligible-female",
        "The base patient as a 58-year-old woman with a negative serum pregnancy test 2 days before.",
        unchanged,
        "eligible",
        statuses={**COMPUTED_MET, **REVIEW},
        gender=F,
    ),
    # ===== inc-2: aged 18-75 (inclusive) on the as-of date =====
    # Clearly too young.
    Case(
        "age-17",
        "Base patient aged 17: below the 18-75 range.",
        unchanged,
        "ineligible",
        ("inc-2",),
        {"inc-2": "not-met"},
        birth_date="2009-03-01",
    ),
    # Boundary: the 18th birthday is the as-of date (the birthday counts).
    Case(
        "age-18-birthday-today",
        "Base patient whose 18th birthday is the as-of date: aged 18, in range.",
        unchanged,
        "eligible",
        statuses={"inc-2": "met"},
        birth_date="2008-11-20",
    ),
    # Boundary: the 18th birthday is the day after the as-of date: still 17.
    Case(
        "age-18-birthday-tomorrow",
        "Base patient whose 18th birthday is the day after the as-of date: aged 17, out of range.",
        unchanged,
        "ineligible",
        ("inc-2",),
        {"inc-2": "not-met"},
        birth_date="2008-11-21",
    ),
    # Boundary: the 75th birthday is the as-of date.
    Case(
        "age-75-birthday-today",
        "Base patient whose 75th birthday is the as-of date: aged 75, in range.",
        unchanged,
        "eligible",
        statuses={"inc-2": "met"},
        birth_date="1951-11-20",
    ),
    # Boundary: the 76th birthday is the day after the as-of date: still 75.
    Case(
        "age-76-birthday-tomorrow",
        "Base patient whose 76th birthday is the day after the as-of date: aged 75, in range.",
        unchanged,
        "eligible",
        statuses={"inc-2": "met"},
        birth_date="1950-11-21",
    ),
    # Boundary: the 76th birthday is the as-of date: 76, too old.
    Case(
        "age-76-birthday-today",
        "Base patient whose 76th birthday is the as-of date: aged 76, out of range.",
        unchanged,
        "ineligible",
        ("inc-2",),
        {"inc-2": "not-met"},
        birth_date="1950-11-20",
    ),
    # Data quality: birth year only, 1951 → 74 or 75: in range either way.
    Case(
        "age-birth-year-1951",
        "Base patient whose birthDate is only '1951' (aged 74 or 75): in range either way.",
        unchanged,
        "eligible",
        statuses={"inc-2": "met"},
        birth_date="1951",
    ),
    # Data quality: birth year only, 1950 → 75 or 76: cannot tell.
    Case(
        "age-birth-year-1950",
        "Base patient whose birthDate is only '1950' (aged 75 or 76): age criterion unknown.",
        unchanged,
        "insufficient-data",
        statuses={"inc-2": "unknown"},
        birth_date="1950",
    ),
    # Data quality: no birthDate: age unknown; creatinine ≤1.5×ULN still decides inc-8g although CrCl cannot be computed.
    Case(
        "age-missing",
        "Base patient with no birthDate: age unknown; creatinine criterion still met by the ×ULN side.",
        no_birth_date,
        "insufficient-data",
        statuses={"inc-2": "unknown", "inc-8g": "met"},
    ),
    # ===== inc-3a: NEC, NET G3 or MiNEN on record =====
    # Pancreatic adenocarcinoma (ICD-O-3 8140/3) instead of a NEN.
    Case(
        "no-nen-adenocarcinoma",
        "Base patient whose tumour is a pancreatic adenocarcinoma (ICD-O-3 8140/3), not a neuroendocrine neoplasm.",
        replace_tumour(
            ICD10,
            "C25.0",
            "Malignant neoplasm of head of pancreas",
            ("8140/3", "Adenocarcinoma, NOS"),
        ),
        "eligible",
        statuses={"inc-3a": "review"},
    ),
    # A NEC diagnosis that was refuted is ignored, leaving no NEN on record.
    Case(
        "nen-refuted",
        "Base patient whose only NEC diagnosis has verificationStatus 'refuted': ignored, so no NEN on record.",
        replace_tumour(
            ICD10,
            TUMOUR_CODE,
            "Malignant neoplasm of endocrine pancreas",
            ("8246/3", "Neuroendocrine carcinoma, NOS"),
            "refuted",
        ),
        "eligible",
        statuses={"inc-3a": "review"},
    ),
    # A provisional NEC diagnosis: recorded but not confirmed → unknown.
    Case(
        "nen-provisional",
        "Base patient whose NEC diagnosis is only 'provisional': unknown until confirmed.",
        replace_tumour(
            ICD10,
            TUMOUR_CODE,
            "Malignant neoplasm of endocrine pancreas",
            ("8246/3", "Neuroendocrine carcinoma, NOS"),
            "provisional",
        ),
        "insufficient-data",
        statuses={"inc-3a": "unknown"},
    ),
    # NET G3 coded directly as ICD-O-3 8249/3 in Condition.code.
    Case(
        "net-g3-icdo-code",
        "Base patient whose tumour is coded directly as ICD-O-3 8249/3 (NET grade 2/3): NEN on record.",
        replace_tumour(ICDO3, "8249/3", "Neuroendocrine tumor, grade 2/3"),
        "eligible",
        statuses={"inc-3a": "met", "inc-3b": "review"},
    ),
    # MiNEN of the colon (ICD-O-3 8154/3 as mCODE histology).
    Case(
        "minen-colon",
        "Base patient with a mixed neuroendocrine-non-neuroendocrine neoplasm of the colon (ICD-O-3 8154/3).",
        replace_tumour(
            ICD10,
            "C18.7",
            "Malignant neoplasm of sigmoid colon",
            ("8154/3", "Mixed neuroendocrine non-neuroendocrine neoplasm"),
        ),
        "eligible",
        statuses={"inc-3a": "met"},
    ),
    # ===== inc-3c: extrapulmonary primary (review when a lung cancer is on record) =====
    # Small cell lung carcinoma: a high-grade NEN, but pulmonary → review, not a failure.
    Case(
        "lung-primary-sclc",
        "Base patient whose NEC is a small cell carcinoma of the lung (C34.11, ICD-O-3 8041/3): primary site to be confirmed.",
        replace_tumour(
            ICD10,
            "C34.11",
            "Malignant neoplasm of upper lobe, right bronchus or lung",
            ("8041/3", "Small cell carcinoma, NOS"),
        ),
        "eligible",
        statuses={"inc-3a": "met", "inc-3c": "review"},
    ),
    # A refuted lung cancer is ignored.
    Case(
        "lung-cancer-refuted",
        "Base patient with a lung cancer diagnosis marked 'refuted': ignored, extrapulmonary criterion met.",
        lambda b: b.condition(
            ICD10,
            "C34.90",
            "Malignant neoplasm of unspecified part of unspecified bronchus or lung",
            250,
            verification="refuted",
        ),
        "eligible",
        statuses={"inc-3c": "met"},
    ),
    # ===== inc-4: failed one previous systemic treatment (review when prior therapy is on record) =====
    # No antineoplastic record at all → not-met.
    Case(
        "no-prior-therapy",
        "Base patient with no prior systemic anti-tumour therapy on record: treatment-naive.",
        replace_prior_therapy(None),
        "eligible",
        statuses={"inc-4": "review"},
    ),
    # Drug known only by name (text, no coding) → matched by name → review.
    Case(
        "prior-therapy-name-only",
        "Base patient whose prior chemotherapy is recorded only as text ('Etoposide 100 mg/m2 IV', 'Cisplatin 75 mg/m2 IV').",
        replace_prior_therapy(
            lambda b: (
                b.medication("Etoposide 100 mg/m2 IV", 100, code=None),
                b.medication("Cisplatin 75 mg/m2 IV", 100, code=None),
            )
        ),
        "eligible",
        statuses={"inc-4": "review"},
    ),
    # Coded with ATC only (L01CB01 etoposide) → matched by the L01 prefix → review.
    Case(
        "prior-therapy-atc",
        "Base patient whose prior etoposide is coded with ATC L01CB01 only.",
        replace_prior_therapy(lambda b: b.medication("Etoposide", 100, system=ATC, code="L01CB01")),
        "eligible",
        statuses={"inc-4": "review"},
    ),
    # The only antineoplastic record was entered in error → ignored → not-met.
    Case(
        "prior-therapy-entered-in-error",
        "Base patient whose only chemotherapy record (an etoposide order) is entered-in-error.",
        replace_prior_therapy(
            lambda b: b.medication(
                ETOPOSIDE[0],
                100,
                code=ETOPOSIDE[1],
                kind="MedicationRequest",
                status="entered-in-error",
            )
        ),
        "eligible",
        statuses={"inc-4": "review"},
    ),
    # ===== inc-5: ECOG 0 or 1 (14-day lookback) =====
    Case(
        "ecog-2",
        "Base patient with ECOG 2.",
        ecog(2),
        "ineligible",
        ("inc-5",),
        {"inc-5": "not-met"},
    ),
    # ECOG as a LOINC answer code (LA9622-7 = 0) instead of an integer.
    Case(
        "ecog-0-coded",
        "Base patient whose ECOG is recorded as the LOINC answer LA9622-7 (0).",
        swap(
            ECOG[0],
            lambda b: b.coded_result(*ECOG, "LA9622-7", "0", days_before=2, answer_system=LOINC),
        ),
        "eligible",
        statuses={"inc-5": "met"},
    ),
    # Exactly 14 days old: inside the window.
    Case(
        "ecog-14-days",
        "Base patient whose only ECOG (1) is 14 days old: inside the 14-day window.",
        ecog(1, 14),
        "eligible",
        statuses={"inc-5": "met"},
    ),
    # 15 days old: one day outside → unknown, naming the latest date.
    Case(
        "ecog-15-days",
        "Base patient whose only ECOG (1) is 15 days old: outside the 14-day window, unknown.",
        ecog(1, 15),
        "insufficient-data",
        statuses={"inc-5": "unknown"},
    ),
    # ===== inc-8a: ANC ≥ 1.5 × 10⁹/L (14-day lookback) =====
    Case(
        "anc-1.49",
        "Base patient with ANC 1.49 × 10⁹/L: just below 1.5.",
        lab("anc", 1.49),
        "ineligible",
        ("inc-8a",),
        {"inc-8a": "not-met"},
    ),
    Case(
        "anc-1.5",
        "Base patient with ANC exactly 1.5 × 10⁹/L (non-strict limit).",
        lab("anc", 1.5),
        "eligible",
        statuses={"inc-8a": "met"},
    ),
    # Unusual unit: cells per microlitre.
    Case(
        "anc-1500-per-ul",
        "Base patient with ANC reported as 1500 /uL (= 1.5 × 10⁹/L).",
        lab("anc", 1500, unit="/uL"),
        "eligible",
        statuses={"inc-8a": "met"},
    ),
    Case(
        "anc-1490-per-ul",
        "Base patient with ANC reported as 1490 /uL (= 1.49 × 10⁹/L).",
        lab("anc", 1490, unit="/uL"),
        "ineligible",
        ("inc-8a",),
        {"inc-8a": "not-met"},
    ),
    # Comparator: '<0.5' is below 1.5 whatever its exact value.
    Case(
        "anc-below-0.5",
        "Base patient with ANC reported as '<0.5 × 10⁹/L'.",
        lab("anc", 0.5, comparator="<"),
        "ineligible",
        ("inc-8a",),
        {"inc-8a": "not-met"},
    ),
    Case(
        "anc-14-days",
        "Base patient whose only ANC (3.2) is 14 days old: inside the window.",
        lab("anc", 3.2, days_before=14),
        "eligible",
        statuses={"inc-8a": "met"},
    ),
    Case(
        "anc-15-days",
        "Base patient whose only ANC (3.2) is 15 days old: one day outside the window, unknown.",
        lab("anc", 3.2, days_before=15),
        "insufficient-data",
        statuses={"inc-8a": "unknown"},
    ),
    # A newer, low ANC entered in error is ignored; the older valid one decides.
    Case(
        "anc-entered-in-error",
        "Base patient with a newer ANC of 0.8 marked entered-in-error; the valid 3.2 from 3 days ago decides.",
        lambda b: b.lab(
            LABS["anc"].code, LABS["anc"].display, 0.8, "10*9/L", 1, status="entered-in-error"
        ),
        "eligible",
        statuses={"inc-8a": "met"},
    ),
    Case(
        "anc-data-absent",
        "Base patient whose only ANC has no value (dataAbsentReason: error).",
        lab(
            "anc",
            None,
            dataAbsentReason={
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                        "code": "error",
                        "display": "Error",
                    }
                ]
            },
        ),
        "insufficient-data",
        statuses={"inc-8a": "unknown"},
    ),
    Case(
        "anc-missing",
        "Base patient with no ANC on record.",
        remove_lab("anc"),
        "insufficient-data",
        statuses={"inc-8a": "unknown"},
    ),
    # ===== inc-8b: platelets ≥ 100 × 10⁹/L =====
    Case(
        "platelets-99",
        "Base patient with platelets 99 × 10⁹/L.",
        lab("platelets", 99),
        "ineligible",
        ("inc-8b",),
        {"inc-8b": "not-met"},
    ),
    Case(
        "platelets-100",
        "Base patient with platelets exactly 100 × 10⁹/L (non-strict limit), reported in 10*3/uL.",
        lab("platelets", 100, unit="10*3/uL"),
        "eligible",
        statuses={"inc-8b": "met"},
    ),
    # ===== inc-8c: haemoglobin ≥ 8 g/dL (80 g/L) =====
    Case(
        "hb-7.9-g-dl",
        "Base patient with haemoglobin 7.9 g/dL (79 g/L).",
        lab("hemoglobin", 7.9, unit="g/dL"),
        "ineligible",
        ("inc-8c",),
        {"inc-8c": "not-met"},
    ),
    Case(
        "hb-8.0-g-dl",
        "Base patient with haemoglobin exactly 8.0 g/dL (80 g/L, non-strict limit).",
        lab("hemoglobin", 8.0, unit="g/dL"),
        "eligible",
        statuses={"inc-8c": "met"},
    ),
    Case(
        "hb-79-g-l",
        "Base patient with haemoglobin 79 g/L.",
        lab("hemoglobin", 79),
        "ineligible",
        ("inc-8c",),
        {"inc-8c": "not-met"},
    ),
    # Molar unit: 5.0 mmol/L × 16.1145 = 80.6 g/L.
    Case(
        "hb-5.0-mmol",
        "Base patient with haemoglobin 5.0 mmol/L (80.6 g/L).",
        swap(
            "718-7",
            lambda b: b.lab("59260-0", "Hemoglobin [Moles/volume] in Blood", 5.0, "mmol/L", 3),
        ),
        "eligible",
        statuses={"inc-8c": "met"},
    ),
    # ===== inc-8d: total bilirubin ≤ 1.5 × ULN =====
    Case(
        "bilirubin-1.5-uln",
        "Base patient with total bilirubin 1.8 mg/dL, ULN 1.2 (exactly 1.5 × ULN, non-strict).",
        lab("bilirubin", 1.8),
        "eligible",
        statuses={"inc-8d": "met"},
    ),
    Case(
        "bilirubin-1.58-uln",
        "Base patient with total bilirubin 1.9 mg/dL, ULN 1.2 (1.58 × ULN).",
        lab("bilirubin", 1.9),
        "ineligible",
        ("inc-8d",),
        {"inc-8d": "not-met"},
    ),
    # SI units: 31.5 µmol/L with ULN 21 µmol/L = 1.5 × ULN.
    Case(
        "bilirubin-umol-1.5-uln",
        "Base patient with total bilirubin 31.5 µmol/L, ULN 21 µmol/L (1.5 × ULN).",
        swap(
            "1975-2",
            lambda b: b.lab(
                "14631-6",
                "Bilirubin.total [Moles/volume] in Serum or Plasma",
                31.5,
                "umol/L",
                3,
                high=21,
            ),
        ),
        "eligible",
        statuses={"inc-8d": "met"},
    ),
    Case(
        "bilirubin-umol-1.52-uln",
        "Base patient with total bilirubin 32 µmol/L, ULN 21 µmol/L (1.52 × ULN).",
        swap(
            "1975-2",
            lambda b: b.lab(
                "14631-6",
                "Bilirubin.total [Moles/volume] in Serum or Plasma",
                32,
                "umol/L",
                3,
                high=21,
            ),
        ),
        "ineligible",
        ("inc-8d",),
        {"inc-8d": "not-met"},
    ),
    # No referenceRange: the documented default ULN (1.2 mg/dL) is used and said so.
    Case(
        "bilirubin-no-range",
        "Base patient with total bilirubin 0.7 mg/dL and no reference range: default ULN 1.2 mg/dL used.",
        lab("bilirubin", 0.7, high=None),
        "eligible",
        statuses={"inc-8d": "met"},
    ),
    # No referenceRange on a µmol/L result: the default ULN (1.2 mg/dL) is converted with bilirubin's molar mass (20.5 µmol/L).
    Case(
        "bilirubin-umol-no-range",
        "Base patient with total bilirubin 12 µmol/L and no reference range: default ULN converted to 20.5 µmol/L.",
        swap(
            "1975-2",
            lambda b: b.lab(
                "14631-6", "Bilirubin.total [Moles/volume] in Serum or Plasma", 12, "umol/L", 3
            ),
        ),
        "eligible",
        statuses={"inc-8d": "met"},
    ),
    # ===== inc-8e: ALT ≤ 2.5 × ULN, or ≤ 5 × ULN with liver metastases =====
    Case(
        "alt-3x-no-liver-mets",
        "Base patient (no liver metastases coded) with ALT 120 U/L, ULN 40 (3 × ULN): review (metastases may be only in imaging).",
        lab("alt", 120),
        "eligible",
        (),
        {"inc-8e": "review"},
    ),
    Case(
        "alt-2.5x-no-liver-mets",
        "Base patient (no liver metastases) with ALT 100 U/L, ULN 40 (exactly 2.5 × ULN).",
        lab("alt", 100),
        "eligible",
        statuses={"inc-8e": "met"},
    ),
    Case(
        "alt-3x-liver-mets",
        "Base patient with liver metastases and ALT 120 U/L, ULN 40 (3 × ULN, within 5 × ULN).",
        labs(liver_mets(), lab("alt", 120)),
        "eligible",
        statuses={"inc-8e": "met", "inc-8f": "met"},
    ),
    Case(
        "alt-5x-liver-mets",
        "Base patient with liver metastases and ALT 200 U/L, ULN 40 (exactly 5 × ULN).",
        labs(liver_mets(), lab("alt", 200)),
        "eligible",
        statuses={"inc-8e": "met"},
    ),
    Case(
        "alt-5.1x-liver-mets",
        "Base patient with liver metastases and ALT 204 U/L, ULN 40 (5.1 × ULN).",
        labs(liver_mets(), lab("alt", 204)),
        "ineligible",
        ("inc-8e",),
        {"inc-8e": "not-met"},
    ),
    # Liver metastases coded in ICD-10-CM (C78.7) count too.
    Case(
        "alt-3x-liver-mets-icd10",
        "Base patient with liver metastases coded ICD-10-CM C78.7 and ALT 3 × ULN.",
        labs(liver_mets(system=ICD10), lab("alt", 120)),
        "eligible",
        statuses={"inc-8e": "met"},
    ),
    # A refuted liver metastasis is ignored: the 2.5 × ULN limit applies.
    Case(
        "alt-3x-liver-mets-refuted",
        "Base patient with ALT 3 × ULN whose liver-metastasis diagnosis was refuted: no liver metastasis on record, review.",
        labs(liver_mets(verification="refuted"), lab("alt", 120)),
        "eligible",
        (),
        {"inc-8e": "review"},
    ),
    # Resolved liver metastases (e.g. resected) are not active: the 2.5 × ULN limit applies.
    Case(
        "alt-3x-liver-mets-resolved",
        "Base patient with ALT 3 × ULN whose liver metastases are recorded as resolved: not active, review.",
        labs(liver_mets(clinical="resolved"), lab("alt", 120)),
        "eligible",
        (),
        {"inc-8e": "review"},
    ),
    # Liver metastasis only provisional: ALT 3 × ULN fails the 2.5 limit and the 5 × ULN side is unknown → unknown, never not-met.
    Case(
        "alt-3x-liver-mets-provisional",
        "Base patient with ALT 3 × ULN and a provisional (unconfirmed) liver metastasis: unknown.",
        labs(liver_mets(verification="provisional"), lab("alt", 120)),
        "insufficient-data",
        statuses={"inc-8e": "unknown"},
    ),
    # Same provisional liver metastasis, but ALT 2 × ULN passes the stricter limit whatever the liver status → met.
    Case(
        "alt-2x-liver-mets-provisional",
        "Base patient with ALT 2 × ULN and a provisional liver metastasis: met by the 2.5 × ULN limit.",
        labs(liver_mets(verification="provisional"), lab("alt", 80)),
        "eligible",
        statuses={"inc-8e": "met", "inc-8f": "met"},
    ),
    Case(
        "alt-missing",
        "Base patient with no ALT on record.",
        remove_lab("alt"),
        "insufficient-data",
        statuses={"inc-8e": "unknown"},
    ),
    # ===== inc-8f: AST ≤ 2.5 × ULN, or ≤ 5 × ULN with liver metastases =====
    Case(
        "ast-2.6x-no-liver-mets",
        "Base patient (no liver metastases coded) with AST 104 U/L, ULN 40 (2.6 × ULN): review.",
        lab("ast", 104),
        "eligible",
        (),
        {"inc-8f": "review"},
    ),
    Case(
        "ast-2.5x-no-liver-mets",
        "Base patient (no liver metastases) with AST 100 U/L, ULN 40 (exactly 2.5 × ULN).",
        lab("ast", 100),
        "eligible",
        statuses={"inc-8f": "met"},
    ),
    Case(
        "ast-4x-liver-mets",
        "Base patient with liver metastases and AST 160 U/L, ULN 40 (4 × ULN).",
        labs(liver_mets(), lab("ast", 160)),
        "eligible",
        statuses={"inc-8f": "met"},
    ),
    Case(
        "ast-5.1x-liver-mets",
        "Base patient with liver metastases and AST 204 U/L, ULN 40 (5.1 × ULN).",
        labs(liver_mets(), lab("ast", 204)),
        "ineligible",
        ("inc-8f",),
        {"inc-8f": "not-met"},
    ),
    # Unusual unit: µkat/L (1 µkat/L = 60 U/L) with the ULN in the same unit.
    Case(
        "ast-ukat",
        "Base patient with AST 0.5 µkat/L, ULN 0.58 µkat/L (0.86 × ULN).",
        lab("ast", 0.5, unit="ukat/L", high=0.58),
        "eligible",
        statuses={"inc-8f": "met"},
    ),
    # ===== inc-8g: creatinine ≤ 1.5 × ULN OR CrCl > 60 mL/min (Cockcroft-Gault) =====
    # Ratio side true at its boundary, CrCl side false (43 mL/min) → met.
    Case(
        "creatinine-1.5-uln-crcl-43",
        "Base patient with creatinine 1.8 mg/dL, ULN 1.2 (exactly 1.5 × ULN) and CrCl 43 mL/min.",
        lab("creatinine", 1.8),
        "eligible",
        statuses={"inc-8g": "met"},
    ),
    # Ratio side false (1.58 × ULN), CrCl side true (110 kg → 65.9 mL/min) → met.
    Case(
        "creatinine-high-crcl-66",
        "Base patient (110 kg) with creatinine 1.9 mg/dL, ULN 1.2 (1.58 × ULN) but CrCl 65.9 mL/min.",
        labs(lab("creatinine", 1.9), lab("weight", 110)),
        "eligible",
        statuses={"inc-8g": "met"},
    ),
    # Both sides false → not-met.
    Case(
        "creatinine-high-crcl-41",
        "Base patient with creatinine 1.9 mg/dL, ULN 1.2 (1.58 × ULN) and CrCl 40.8 mL/min.",
        lab("creatinine", 1.9),
        "ineligible",
        ("inc-8g",),
        {"inc-8g": "not-met"},
    ),
    # Ratio side false, CrCl unknown (no weight) → unknown, never not-met.
    Case(
        "creatinine-high-no-weight",
        "Base patient with creatinine 1.58 × ULN and no body weight, so CrCl cannot be computed.",
        labs(lab("creatinine", 1.9), remove_lab("weight")),
        "insufficient-data",
        statuses={"inc-8g": "unknown"},
    ),
    # Ratio side true, CrCl unknown (no weight) → met.
    Case(
        "creatinine-normal-no-weight",
        "Base patient with normal creatinine and no body weight: met by the ×ULN side.",
        remove_lab("weight"),
        "eligible",
        statuses={"inc-8g": "met"},
    ),
    # Weight 31 days old: outside the 30-day window → CrCl unknown; with a high creatinine → unknown.
    Case(
        "creatinine-high-weight-31-days",
        "Base patient (110 kg, weighed 31 days ago) with creatinine 1.58 × ULN: CrCl unknown.",
        labs(lab("creatinine", 1.9), lab("weight", 110, days_before=31)),
        "insufficient-data",
        statuses={"inc-8g": "unknown"},
    ),
    # Weight in pounds: 242.5 lb = 110 kg.
    Case(
        "creatinine-high-weight-lb",
        "Base patient weighed 242.5 lb (110 kg) with creatinine 1.58 × ULN: CrCl 65.9 mL/min.",
        labs(lab("creatinine", 1.9), lab("weight", 242.5, unit="[lb_av]")),
        "eligible",
        statuses={"inc-8g": "met"},
    ),
    # Strict CrCl limit: exactly 60.0 mL/min (44-year-old man, 90 kg, creatinine 2.0 mg/dL) → not-met.
    Case(
        "crcl-60-exact",
        "44-year-old base man, 90 kg, creatinine 2.0 mg/dL (1.67 × ULN): CrCl exactly 60.0 mL/min, not > 60.",
        labs(lab("creatinine", 2.0), lab("weight", 90)),
        "ineligible",
        ("inc-8g",),
        {"inc-8g": "not-met"},
        birth_date="1982-03-10",
    ),
    Case(
        "crcl-60.1",
        "44-year-old base man, 90.1 kg, creatinine 2.0 mg/dL (1.67 × ULN): CrCl 60.1 mL/min, > 60.",
        labs(lab("creatinine", 2.0), lab("weight", 90.1)),
        "eligible",
        statuses={"inc-8g": "met"},
        birth_date="1982-03-10",
    ),
    # Sex-specific factor: the same numbers give a man 70.6 and a woman 60.0 mL/min (× 0.85).
    Case(
        "crcl-man-70.6",
        "44-year-old base man, 90 kg, creatinine 1.7 mg/dL, ULN 1.1 (1.55 × ULN): CrCl 70.6 mL/min.",
        labs(lab("creatinine", 1.7, high=1.1), lab("weight", 90)),
        "eligible",
        statuses={"inc-8g": "met"},
        birth_date="1982-03-10",
    ),
    Case(
        "crcl-woman-60.0",
        "44-year-old base woman, 90 kg, creatinine 1.7 mg/dL, ULN 1.1 (1.55 × ULN): CrCl 60.0 mL/min (× 0.85), not > 60.",
        labs(lab("creatinine", 1.7, high=1.1), lab("weight", 90)),
        "ineligible",
        ("inc-8g",),
        {"inc-8g": "not-met", "inc-9a": "met"},
        birth_date="1982-03-10",
        gender=F,
    ),
    # SI units: 80 µmol/L with ULN 106 µmol/L; CrCl from 0.90 mg/dL.
    Case(
        "creatinine-umol",
        "Base patient with creatinine 80 µmol/L, ULN 106 µmol/L (0.75 × ULN).",
        swap(
            "2160-0",
            lambda b: b.lab(
                "14682-9", "Creatinine [Moles/volume] in Serum or Plasma", 80, "umol/L", 3, high=106
            ),
        ),
        "eligible",
        statuses={"inc-8g": "met"},
    ),
    # Mixed units: result in µmol/L, referenceRange.high in mg/dL (1.2 mg/dL = 106.1 µmol/L): 150 µmol/L = 1.41 × ULN.
    Case(
        "creatinine-umol-uln-mg-dl",
        "Base patient with creatinine 150 µmol/L whose reference range is given as 1.2 mg/dL (1.41 × ULN).",
        swap(
            "2160-0",
            lambda b: b.lab(
                "14682-9",
                "Creatinine [Moles/volume] in Serum or Plasma",
                150,
                "umol/L",
                3,
                referenceRange=[
                    {
                        "high": {
                            "value": 1.2,
                            "unit": "mg/dL",
                            "system": "http://unitsofmeasure.org",
                            "code": "mg/dL",
                        }
                    }
                ],
            ),
        ),
        "eligible",
        statuses={"inc-8g": "met"},
    ),
    Case(
        "creatinine-missing",
        "Base patient with no creatinine on record: both sides unknown.",
        remove_lab("creatinine"),
        "insufficient-data",
        statuses={"inc-8g": "unknown"},
    ),
    # ===== inc-8h: no blood-component transfusion in the 14 days before =====
    Case(
        "transfusion-10-days",
        "Base patient transfused red cells 10 days before.",
        lambda b: b.procedure("71493000", "Transfusion of red blood cells", 10),
        "ineligible",
        ("inc-8h",),
        {"inc-8h": "not-met"},
    ),
    Case(
        "transfusion-14-days",
        "Base patient transfused red cells 14 days before: just inside the window.",
        lambda b: b.procedure("71493000", "Transfusion of red blood cells", 14),
        "ineligible",
        ("inc-8h",),
        {"inc-8h": "not-met"},
    ),
    Case(
        "transfusion-15-days",
        "Base patient transfused red cells 15 days before: just outside the window.",
        lambda b: b.procedure("71493000", "Transfusion of red blood cells", 15),
        "eligible",
        statuses={"inc-8h": "met"},
    ),
    Case(
        "transfusion-entered-in-error",
        "Base patient with a transfusion 5 days before recorded in error (status entered-in-error).",
        lambda b: b.procedure(
            "116859006", "Transfusion of blood product", 5, status="entered-in-error"
        ),
        "eligible",
        statuses={"inc-8h": "met"},
    ),
    # Known only by its text: 'Platelet transfusion' with a local code.
    Case(
        "transfusion-text-only",
        "Base patient with a 'Platelet transfusion' 7 days before recorded with a local code only.",
        lambda b: b.procedure(
            "PLT-TX", "Platelet transfusion", 7, system="urn:oid:1.2.3.4.5.local"
        ),
        "ineligible",
        ("inc-8h",),
        {"inc-8h": "not-met"},
    ),
    # ===== inc-8i: no G-CSF in the 14 days before =====
    Case(
        "gcsf-10-days",
        "Base patient given filgrastim (RxNorm 68442) 10 days before.",
        lambda b: b.medication("filgrastim", 10, code="68442"),
        "ineligible",
        ("inc-8i",),
        {"inc-8i": "not-met"},
    ),
    Case(
        "gcsf-14-days",
        "Base patient given filgrastim 14 days before: just inside the window.",
        lambda b: b.medication("filgrastim", 14, code="68442"),
        "ineligible",
        ("inc-8i",),
        {"inc-8i": "not-met"},
    ),
    Case(
        "gcsf-15-days",
        "Base patient given filgrastim 15 days before: just outside the window.",
        lambda b: b.medication("filgrastim", 15, code="68442"),
        "eligible",
        statuses={"inc-8i": "met"},
    ),
    # Drug known only by name.
    Case(
        "gcsf-name-only",
        "Base patient given 'Pegfilgrastim 6 mg SC' (text only, no code) 8 days before.",
        lambda b: b.medication("Pegfilgrastim 6 mg SC", 8, code=None),
        "ineligible",
        ("inc-8i",),
        {"inc-8i": "not-met"},
    ),
    # ATC L03AA13 (pegfilgrastim), as a MedicationStatement.
    Case(
        "gcsf-atc-statement",
        "Base patient with a MedicationStatement of pegfilgrastim coded ATC L03AA13, 6 days before.",
        lambda b: b.medication(
            "pegfilgrastim", 6, system=ATC, code="L03AA13", kind="MedicationStatement"
        ),
        "ineligible",
        ("inc-8i",),
        {"inc-8i": "not-met"},
    ),
    # ===== inc-9a: women need a negative serum pregnancy test within 72 hours =====
    Case(
        "female-no-hcg",
        "The base woman (58) with no serum pregnancy test on record: childbearing potential to confirm.",
        hcg(None),
        "eligible",
        statuses={"inc-9a": "review"},
        gender=F,
    ),
    Case(
        "female-hcg-positive",
        "The base woman whose serum hCG 1 day before is positive.",
        hcg(POSITIVE, 1),
        "ineligible",
        ("inc-9a",),
        {"inc-9a": "not-met"},
        gender=F,
    ),
    Case(
        "female-hcg-3-days",
        "The base woman (58) whose negative serum hCG is 3 days old (08:00): over 72 hours before the end of the as-of day; "
        "childbearing potential to confirm.",
        hcg(NEGATIVE, 3),
        "eligible",
        statuses={"inc-9a": "review"},
        gender=F,
    ),
    Case(
        "female-hcg-4-days",
        "The base woman (58) whose only negative serum hCG is 4 days old: outside the window; childbearing potential to confirm.",
        hcg(NEGATIVE, 4),
        "eligible",
        statuses={"inc-9a": "review"},
        gender=F,
    ),
    # A positive result entered in error is ignored; the valid negative decides.
    Case(
        "female-hcg-positive-entered-in-error",
        "The base woman with a newer positive serum hCG marked entered-in-error and a valid negative.",
        lambda b: b.coded_result(*SERUM_HCG, *POSITIVE, days_before=1, status="entered-in-error"),
        "eligible",
        statuses={"inc-9a": "met"},
        gender=F,
    ),
    # A urine test is not the serum test the protocol asks for.
    Case(
        "female-urine-hcg-only",
        "The base woman (58) with only a negative urine hCG (no serum test): childbearing potential to confirm.",
        hcg(NEGATIVE, 1, URINE_HCG),
        "eligible",
        statuses={"inc-9a": "review"},
        gender=F,
    ),
    # Patient.gender 'unknown' with no test: whether the test applies cannot be told; CrCl (sex-dependent) is unknown
    # but creatinine ≤ 1.5 × ULN still decides inc-8g.
    # Patient.gender 'unknown' but a negative serum hCG: the 'not positive' side decides → met.
    Case(
        "gender-unknown-hcg-negative",
        "The base patient with Patient.gender 'unknown' and a negative serum hCG 2 days before: met.",
        lambda b: b.coded_result(*SERUM_HCG, *NEGATIVE, days_before=2),
        "eligible",
        statuses={"inc-9a": "met", "inc-8g": "met"},
        gender="unknown",
    ),
    Case(
        "gender-unknown-no-hcg",
        "The base patient with Patient.gender 'unknown' and no pregnancy test: childbearing potential to confirm.",
        unchanged,
        "eligible",
        statuses={"inc-9a": "review", "inc-8g": "met"},
        gender="unknown",
    ),
    # --- criteria-b cases ---
    # inc-8e: ALT above even the relaxed 5 × ULN without liver metastases: a hard not-met (the review band is 2.5–5 ×).
    Case(
        "alt-6x-no-liver-mets",
        "Base patient (no liver metastases) with ALT 240 U/L, ULN 40 (6 × ULN): above both limits, not met.",
        lab("alt", 240),
        "ineligible",
        ("inc-8e",),
        {"inc-8e": "not-met"},
    ),
    # exc-1: the listing has no exclusion criteria, so a complete record is never 'eligible' with no exclusion screened.
    Case(
        "complete-record-exclusions-unscreened",
        "The base patient: all computed criteria met; exc-1 says the exclusions must be checked in the protocol.",
        unchanged,
        "eligible",
        statuses={"exc-1": "review"},
    ),
    # --- criteria-fix cases ---
    # inc-8i: hetrombopag (a TPO receptor agonist, by name) is a cell growth factor correction.
    Case(
        "hetrombopag-5-days",
        "Base patient given hetrombopag olamine (by name) 5 days before: a thrombopoietic growth factor.",
        lambda b: b.medication("Hetrombopag olamine tablets 7.5 mg", 5, code=None),
        "ineligible",
        ("inc-8i",),
        {"inc-8i": "not-met"},
    ),
    # --- criteria-a cases ---
    # inc-9a: a woman of 34 (childbearing potential) with no serum test: unknown, "To obtain: pregnancy test".
    Case(
        "woman-34-no-hcg",
        "The base patient as a 34-year-old woman with no pregnancy test: inc-9a unknown.",
        hcg(None),
        "insufficient-data",
        statuses={"inc-9a": "unknown"},
        gender=F,
        birth_date="1992-03-10",
    ),
    # inc-9a: 72 hours from the Observation's time: a test 2 days ago at 08:00 is 64 hours before the end of the as-of day: met.
    Case(
        "woman-34-hcg-2-days",
        "A 34-year-old woman whose negative serum hCG was 2 days ago at 08:00 (within 72 hours): inc-9a met.",
        hcg(NEGATIVE, 2),
        "eligible",
        statuses={"inc-9a": "met"},
        gender=F,
        birth_date="1992-03-10",
    ),
    # inc-9a: a test 3 days ago at 08:00 is 88 hours before the end of the as-of day: outside 72 hours, unknown (no longer 'within 3 calendar days').
    Case(
        "woman-34-hcg-3-days",
        "A 34-year-old woman whose only negative serum hCG was 3 days ago at 08:00 (88 hours): inc-9a unknown.",
        hcg(NEGATIVE, 3),
        "insufficient-data",
        statuses={"inc-9a": "unknown"},
        gender=F,
        birth_date="1992-03-10",
    ),
    # inc-9a: the document asks for a serum test: a negative urine test does not do for a woman of 34.
    Case(
        "woman-34-urine-hcg-only",
        "A 34-year-old woman with only a negative urine hCG: inc-9a unknown.",
        hcg(NEGATIVE, 1, URINE_HCG),
        "insufficient-data",
        statuses={"inc-9a": "unknown"},
        gender=F,
        birth_date="1992-03-10",
    ),
    # inc-9a: a woman of 68 is taken as postmenopausal: no test needed.
    Case(
        "woman-68-no-hcg",
        "The base patient as a 68-year-old woman with no pregnancy test: not of childbearing potential, inc-9a met.",
        hcg(None),
        "eligible",
        statuses={"inc-9a": "met"},
        gender=F,
        birth_date="1958-06-01",
    ),
]


def main() -> None:
    """Write every case's Bundle and the manifest."""
    write_fixtures(OUT, TRIAL, AS_OF, CASES)


if __name__ == "__main__":
    main()
