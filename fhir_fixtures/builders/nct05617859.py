"""Build the NCT05617859 fixture patients (lenvatinib after apatinib/anlotinib, bone and soft tissue sarcoma).

Run ``python -m fhir_fixtures.builders.nct05617859``: it writes one collection Bundle per case and
``manifest.json`` into ``fhir_fixtures/NCT05617859/``. Every case is the eligible base patient with one
change, so each fails (or reaches a boundary on, or leaves unknown) exactly one criterion.
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
    LOINC,
    SNOMED,
    PatientBuilder,
    code_of,
    manifest_entry,
    write_fixtures,
)

TRIAL = "NCT05617859"
AS_OF = date(2026, 11, 20)
OUT = Path(__file__).resolve().parent.parent / TRIAL

# Base patient: a 46-year-old man (born 1980-05-15) with metastatic undifferentiated soft tissue sarcoma of
# the thigh, progressing after apatinib. Male, so the serum pregnancy test (inc-11a) is not needed; the
# female variant adds one.
BASE_BIRTH = "1980-05-15"
VITAL = [
    {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                "code": "vital-signs",
            }
        ]
    }
]


@dataclass(frozen=True)
class Lab:
    """One quantitative result of the base patient: LOINC code, display, value, UCUM unit, reference range, age in days."""

    code: str
    display: str
    value: float
    unit: str
    high: float | None = None
    low: float | None = None
    days: int = 3
    vital: bool = False


# Base values sit comfortably inside every limit; every ×ULN lab carries referenceRange.high.
LABS: dict[str, Lab] = {
    "anc": Lab(
        "751-8", "Neutrophils [#/volume] in Blood by Automated count", 3.2, "10*9/L", 7.5, 1.8
    ),
    "platelets": Lab(
        "777-3", "Platelets [#/volume] in Blood by Automated count", 210, "10*9/L", 350, 125
    ),
    "hemoglobin": Lab("718-7", "Hemoglobin [Mass/volume] in Blood", 138, "g/L", 175, 130),
    "creatinine": Lab(
        "2160-0", "Creatinine [Mass/volume] in Serum or Plasma", 0.9, "mg/dL", 1.2, 0.7
    ),
    "weight": Lab("29463-7", "Body weight", 72, "kg", days=5, vital=True),
    "bilirubin": Lab(
        "1975-2", "Bilirubin.total [Mass/volume] in Serum or Plasma", 0.7, "mg/dL", 1.2, 0.2
    ),
    "ast": Lab(
        "1920-8",
        "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
        28,
        "U/L",
        40,
        10,
    ),
    "alt": Lab(
        "1742-6",
        "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
        30,
        "U/L",
        40,
        7,
    ),
    "inr": Lab(
        "6301-6", "INR in Platelet poor plasma by Coagulation assay", 1.0, "{INR}", 1.2, 0.8
    ),
    "pt": Lab("5902-2", "Prothrombin time (PT)", 12.5, "s", 13.5, 11.0),
    "aptt": Lab("3173-2", "aPTT in Blood by Coagulation assay", 30, "s", 35, 25),
    "tsh": Lab("3016-3", "Thyrotropin [Units/volume] in Serum or Plasma", 2.1, "m[IU]/L", 4.5, 0.4),
    "temperature": Lab("8310-5", "Body temperature", 36.8, "Cel", days=2, vital=True),
    "lvef": Lab("8806-2", "Left ventricular Ejection fraction by 2D echo", 62, "%", days=20),
    "qtcf": Lab("76634-5", "Q-T interval corrected based on Fridericia formula", 420, "ms", days=7),
}
# Results the base does not have, added by variants.
EXTRA: dict[str, Lab] = {
    "creatinine_umol": Lab(
        "14682-9", "Creatinine [Moles/volume] in Serum or Plasma", 0, "umol/L", 106, 62
    ),
    "bilirubin_umol": Lab(
        "14631-6", "Bilirubin.total [Moles/volume] in Serum or Plasma", 0, "umol/L", 21, 3
    ),
    "hemoglobin_mmol": Lab("59260-0", "Hemoglobin [Moles/volume] in Blood", 0, "mmol/L"),
    "ft3": Lab(
        "3051-0",
        "Triiodothyronine (T3) Free [Mass/volume] in Serum or Plasma",
        0,
        "pg/mL",
        4.2,
        2.3,
    ),
    "ft4": Lab(
        "3024-7", "Thyroxine (T4) free [Mass/volume] in Serum or Plasma", 0, "ng/dL", 1.8, 0.8
    ),
    "urine_protein_24h": Lab("2889-4", "Protein [Mass/time] in 24 hour Urine", 0, "g/(24.h)"),
    "urine_protein_mg_dl": Lab(
        "5804-0", "Protein [Mass/volume] in Urine by Test strip", 0, "mg/dL"
    ),
    "systolic": Lab("8480-6", "Systolic blood pressure", 0, "mm[Hg]", days=2, vital=True),
    "diastolic": Lab("8462-4", "Diastolic blood pressure", 0, "mm[Hg]", days=2, vital=True),
    "hbv_dna": Lab(
        "42595-9",
        "Hepatitis B virus DNA [Units/volume] (viral load) in Serum or Plasma by NAA with probe detection",
        0,
        "[IU]/mL",
        days=10,
    ),
    "hcv_rna": Lab(
        "11011-4",
        "Hepatitis C virus RNA [Units/volume] (viral load) in Serum or Plasma by NAA with probe detection",
        0,
        "[IU]/mL",
        days=10,
    ),
}
ECOG = ("89247-1", "ECOG Performance Status score")
URINE_DIPSTICK = ("20454-5", "Protein [Presence] in Urine by Test strip")
FOBT = ("2335-8", "Hemoglobin.gastrointestinal [Presence] in Stool")
HBSAG = ("5196-1", "Hepatitis B virus surface Ag [Presence] in Serum or Plasma by Immunoassay")
HCV_AB = ("13955-0", "Hepatitis C virus Ab [Presence] in Serum or Plasma by Immunoassay")
HIV = ("56888-1", "HIV 1+2 Ab and HIV1 p24 Ag [Presence] in Serum or Plasma by Immunoassay")
SERUM_HCG = ("2118-8", "Choriogonadotropin (pregnancy test) [Presence] in Serum or Plasma")
URINE_HCG = ("2106-3", "Choriogonadotropin (pregnancy test) [Presence] in Urine")
BP_PANEL = "85354-9"
POSITIVE = ("10828004", "Positive")
NEGATIVE = ("260385009", "Negative")
SARCOMA = (
    ICD10,
    "C49.22",
    "Malignant neoplasm of connective and soft tissue of left lower limb, including hip",
)
APATINIB = "Apatinib mesylate 500 mg oral tablet"
LIVER_METS = (SNOMED, "94381002", "Metastatic malignant neoplasm to liver")

Change = Callable[[PatientBuilder], Any]


def base(pid: str, birth_date: str = BASE_BIRTH, gender: str = "male") -> PatientBuilder:
    """Return the eligible base patient: every computable criterion is decided in his favour."""
    # Ids carry the trial so every fixture patient is unique across trials (served by id, loaded into one server).
    b = PatientBuilder(f"nct05617859-{pid}", birth_date, gender, AS_OF)
    # Undifferentiated pleomorphic sarcoma of the left thigh (ICD-10-CM C49.22 with ICD-O-3 8805/3), lung metastases.
    b.condition(*SARCOMA, 500, histology=("8805/3", "Undifferentiated sarcoma"))
    # Its lung metastases: a secondary neoplasm, not 'another malignancy' (exc-8).
    b.condition(ICD10, "C78.01", "Secondary malignant neoplasm of right lung", 200)
    # Apatinib is not in RxNorm or ATC: recorded by name only; last given 60 days ago (outside the 4-week window).
    b.medication(APATINIB, 60, code=None, kind="MedicationStatement")
    b.score(*ECOG, 1, days_before=3)
    for lab in LABS.values():
        put(b, lab, lab.value)
    b.blood_pressure(124, 78, days_before=2)
    b.string_result(*URINE_DIPSTICK, "Negative", days_before=3)
    # exc-6d names a baseline faecal occult blood test: the base has a negative one (older than the variants' results).
    b.string_result(*FOBT, "Negative", days_before=7)
    b.coded_result(*HBSAG, *NEGATIVE, days_before=10)
    b.coded_result(*HCV_AB, *NEGATIVE, days_before=10)
    b.coded_result(*HIV, *NEGATIVE, days_before=10)
    if gender == "female":
        b.coded_result(*SERUM_HCG, *NEGATIVE, days_before=3)
    return b


def put(
    b: PatientBuilder,
    lab: Lab,
    value: float | None,
    *,
    unit: str | None = None,
    days: int | None = None,
    high: float | str | None = "lab",
    **extra: Any,
) -> dict[str, Any]:
    """Add a result of ``lab`` (its own unit, age and range unless given; high=None drops the range)."""
    if lab.vital:
        extra.setdefault("category", VITAL)
    upper = lab.high if high == "lab" else high
    lower = lab.low if high == "lab" else None
    return b.lab(
        lab.code,
        lab.display,
        value,
        unit or lab.unit,
        lab.days if days is None else days,
        high=upper,
        low=lower,
        **extra,
    )


def drop(*codes: str) -> Change:
    """Remove every base resource whose first code is one of ``codes``."""
    return lambda b: b.remove(lambda r: code_of(r) in codes)


def lab(key: str, value: float | None, *, keep: bool = False, **kw: Any) -> Change:
    """Replace the base result ``key`` (or add beside it with keep=True) by one with this value."""
    spec = LABS.get(key) or EXTRA[key]

    def change(b: PatientBuilder) -> None:
        if not keep:
            b.remove(lambda r: r["resourceType"] == "Observation" and code_of(r) == spec.code)
        put(b, spec, value, **kw)

    return change


def coded(
    which: tuple[str, str], answer: tuple[str, str], days: int = 10, *, keep: bool = False
) -> Change:
    """Replace (or add) a coded result such as a positive HBsAg."""

    def change(b: PatientBuilder) -> None:
        if not keep:
            b.remove(lambda r: code_of(r) == which[0])
        b.coded_result(*which, *answer, days_before=days)

    return change


def ecog(value: int) -> Change:
    """Replace the ECOG score."""
    return lambda b: (
        b.remove(lambda r: code_of(r) == ECOG[0]),
        b.score(*ECOG, value, days_before=3),
    )


def urine(text: str) -> Change:
    """Replace the dipstick urine protein with a text grade ('2+')."""
    return lambda b: (
        b.remove(lambda r: code_of(r) == URINE_DIPSTICK[0]),
        b.string_result(*URINE_DIPSTICK, text, days_before=3),
    )


def bp(systolic: float, diastolic: float) -> Change:
    """Replace the blood-pressure panel."""
    return lambda b: (
        b.remove(lambda r: code_of(r) == BP_PANEL),
        b.blood_pressure(systolic, diastolic, days_before=2),
    )


def cond(system: str, code: str, display: str, onset: int | None = 200, **kw: Any) -> Change:
    """Add a Condition with onset ``onset`` days before the as-of date."""
    return lambda b: b.condition(system, code, display, onset, **kw)


def med(display: str, days: int, **kw: Any) -> Change:
    """Add a medication record ``days`` days before the as-of date (no code unless given)."""
    return lambda b: b.medication(display, days, **kw)


def proc(code: str, display: str, days: int, **kw: Any) -> Change:
    """Add a Procedure performed ``days`` days before the as-of date."""
    return lambda b: b.procedure(code, display, days, **kw)


def patient(**fields: Any) -> Change:
    """Change Patient fields (birthDate, gender); a value of None removes the field."""

    def change(b: PatientBuilder) -> None:
        for key, value in fields.items():
            if value is None:
                b.resources[0].pop(key, None)
            else:
                b.resources[0][key] = value

    return change


def no_apatinib(b: PatientBuilder) -> None:
    """Remove the base apatinib record."""
    b.remove(lambda r: r.get("medicationCodeableConcept", {}).get("text") == APATINIB)


def apatinib_until(stopped_days: int) -> Change:
    """Replace the base apatinib record by a course from 180 days ago until ``stopped_days`` ago (effectivePeriod)."""

    def change(b: PatientBuilder) -> None:
        no_apatinib(b)
        statement = b.medication(APATINIB, 180, code=None, kind="MedicationStatement")
        del statement["effectiveDateTime"]
        statement["effectivePeriod"] = {"start": b.day(180), "end": b.day(stopped_days)}

    return change


@dataclass(frozen=True)
class Case:
    """One fixture patient: its changes to the base, and what the report must say."""

    name: str
    description: str
    changes: tuple[Change, ...] = ()
    verdict: str = "eligible"
    fails: tuple[str, ...] = ()
    statuses: dict[str, str] = field(default_factory=dict)
    gender: str = "male"

    def build(self) -> PatientBuilder:
        """Return the patient: the base, changed."""
        b = base(self.name, gender=self.gender)
        for change in self.changes:
            change(b)
        return b

    def manifest(self) -> dict[str, Any]:
        """Render the manifest entry."""
        return manifest_entry(self.description, self.verdict, self.fails, self.statuses)


def fails(
    criterion: str, name: str, description: str, *changes: Change, gender: str = "male"
) -> Case:
    """A case that fails exactly one criterion (inclusion not-met, exclusion met)."""
    status = "not-met" if criterion.startswith("inc") else "met"
    return Case(name, description, changes, "ineligible", (criterion,), {criterion: status}, gender)


def passes(
    criterion: str, status: str, name: str, description: str, *changes: Change, gender: str = "male"
) -> Case:
    """A case still eligible, with one criterion's status pinned (met / not-met / review)."""
    return Case(name, description, changes, "eligible", (), {criterion: status}, gender)


def undecided(
    criterion: str, name: str, description: str, *changes: Change, gender: str = "male"
) -> Case:
    """A case where one criterion is unknown (missing, stale or unusable data), so the verdict is insufficient-data."""
    return Case(name, description, changes, "insufficient-data", (), {criterion: "unknown"}, gender)


# The computable criteria and what the base patient gives for each (review criteria stay 'review').
BASE_STATUSES = {
    **{
        c: "met"
        for c in (
            "inc-1",
            "inc-2",
            "inc-4a",
            "inc-5a",
            "inc-8a",
            "inc-8b",
            "inc-8c",
            "inc-8d",
            "inc-8e",
            "inc-8f",
            "inc-8g",
            "inc-8h",
            "inc-8i",
            "inc-8j",
            "inc-8k",
            "inc-8l",
            "inc-9",
            "inc-10",
            "inc-11a",
        )
    },
    **{
        c: "not-met"
        for c in (
            "exc-1a",
            "exc-1b",
            "exc-1c",
            "exc-1e",
            "exc-3a",
            "exc-3b",
            "exc-4b",
            "exc-5",
            "exc-6a",
            "exc-6b",
            "exc-6c",
            "exc-7a",
            "exc-7b",
            "exc-7c",
            "exc-7d",
            "exc-6d",
            "exc-6e",
            "exc-6f",
            "exc-8",
            "exc-9",
            "exc-10a",
            "exc-10b",
            "exc-10c",
        )
    },
    **{
        c: "review"
        for c in (
            "inc-3",
            "inc-4b",
            "inc-5b",
            "inc-6",
            "inc-7",
            "inc-11b",
            "inc-11c",
            "inc-12",
            "exc-1d",
            "exc-2",
            "exc-4a",
            "exc-9b",
            "exc-11",
        )
    },
}

CASES: list[Case] = [
    # The base: every computable criterion decided in his favour, every review criterion 'review'.
    Case(
        "eligible",
        "46-year-old man with metastatic soft tissue sarcoma after apatinib, fit, normal labs and no exclusion on record.",
        statuses=BASE_STATUSES,
    ),
    # The same patient as a woman with a negative serum hCG 3 days ago: inc-11a met on the test; QTcF uses the female limit.
    Case(
        "eligible-female",
        "The base patient as a 46-year-old woman with a negative serum pregnancy test 3 days before.",
        gender="female",
        statuses={"inc-11a": "met", "exc-7c": "not-met", "inc-8f": "met"},
    ),
    # Administrative gender 'unknown': the pregnancy-test rule (inc-11a) cannot tell whether it applies, and a QTcF of
    # 460 ms is above the male but not the female limit, so exc-7c is unknown; CrCl cannot be computed but the ratio passes.
    Case(
        "sex-unknown",
        "Patient.gender 'unknown', QTcF 460 ms, no pregnancy test: exc-7c unknown; childbearing potential to confirm (inc-11a review).",
        (patient(gender="unknown"), lab("qtcf", 460)),
        "insufficient-data",
        (),
        {"inc-11a": "review", "exc-7c": "unknown", "inc-8f": "met"},
    ),
    # --- inc-1: ages 10-70 (whole years on the as-of date; the birthday counts) ---
    # 71st birthday on the as-of date: 71, out.
    fails(
        "inc-1",
        "age-71-birthday-today",
        "Born 1955-11-20: turns 71 on the as-of date, above 70.",
        patient(birthDate="1955-11-20"),
    ),
    # 70th birthday on the as-of date: 70, in.
    passes(
        "inc-1",
        "met",
        "age-70-birthday-today",
        "Born 1956-11-20: turns 70 on the as-of date, the upper end of 10-70.",
        patient(birthDate="1956-11-20"),
    ),
    # 10th birthday on the as-of date: 10, in (a 35 kg child; creatinine passes on ×ULN).
    passes(
        "inc-1",
        "met",
        "age-10-birthday-today",
        "Born 2016-11-20 (35 kg): turns 10 on the as-of date, the lower end of 10-70.",
        patient(birthDate="2016-11-20"),
        lab("weight", 35),
        lab("creatinine", 0.5, high=0.7),
    ),
    # 10th birthday the day after the as-of date: still 9, out.
    fails(
        "inc-1",
        "age-9-day-before-10th-birthday",
        "Born 2016-11-21: still 9 on the as-of date, below 10.",
        patient(birthDate="2016-11-21"),
        lab("weight", 33),
        lab("creatinine", 0.5, high=0.7),
    ),
    # No birthDate: age unknown (inc-8f still met on creatinine ×ULN although CrCl cannot be computed).
    Case(
        "no-birth-date",
        "Patient without a birthDate: age unknown, so inc-1 is unknown.",
        (patient(birthDate=None),),
        "insufficient-data",
        (),
        {"inc-1": "unknown", "inc-8f": "met"},
    ),
    # --- inc-2: ECOG 0-1, or up to 2 for an amputee ---
    fails("inc-2", "ecog-2-no-amputation", "ECOG 2 and no amputation on record: above 1.", ecog(2)),
    # The amputee branch, from an acquired-absence-of-limb Condition.
    passes(
        "inc-2",
        "met",
        "ecog-2-amputee-condition",
        "ECOG 2 after an above-knee amputation (Z89.612 on record): met under the amputee limit.",
        ecog(2),
        cond(ICD10, "Z89.612", "Acquired absence of left leg above knee", 700),
    ),
    # The amputee branch, from an amputation Procedure (two years ago, so not 'surgery in 4 weeks').
    # The general 'Amputation' concept records no level: the relaxation is for major limb loss, so review.
    passes(
        "inc-2",
        "review",
        "ecog-2-amputee-procedure",
        "ECOG 2 after an amputation Procedure of unrecorded level 700 days ago: the level is for review.",
        ecog(2),
        proc("81723002", "Amputation", 700),
    ),
    # Amputee, but ECOG 3 is above even the relaxed limit.
    fails(
        "inc-2",
        "ecog-3-amputee",
        "ECOG 3 after an amputation: above the amputee limit of 2.",
        ecog(3),
        proc("81723002", "Amputation", 700),
    ),
    # ECOG given as the LOINC answer LA9623-5 (= 1).
    passes(
        "inc-2",
        "met",
        "ecog-1-loinc-answer",
        "ECOG reported as LOINC answer LA9623-5 (grade 1) instead of an integer: met.",
        drop(ECOG[0]),
        lambda b: b.coded_result(
            *ECOG, "LA9623-5", "Symptomatic but completely ambulatory", 3, answer_system=LOINC
        ),
    ),
    # ECOG 2 > 1 is false; the amputation Condition is only provisional, so 'amputee' is unknown: unknown, never not-met.
    undecided(
        "inc-2",
        "ecog-2-amputation-provisional",
        "ECOG 2 with a provisional (unconfirmed) amputation status: amputee unknown, so unknown.",
        ecog(2),
        cond(
            ICD10,
            "Z89.612",
            "Acquired absence of left leg above knee",
            700,
            verification="provisional",
        ),
    ),
    # No ECOG at all.
    undecided("inc-2", "ecog-missing", "No ECOG on record: unknown.", drop(ECOG[0])),
    # --- inc-4a: bone or soft tissue sarcoma ---
    passes(
        "inc-4a",
        "review",
        "no-sarcoma-diagnosis",
        "No sarcoma diagnosis on record: the tumour type may be coded elsewhere, review.",
        drop(SARCOMA[1]),
    ),
    # The sarcoma diagnosis was refuted: ignored, so no sarcoma.
    passes(
        "inc-4a",
        "review",
        "sarcoma-refuted",
        "The only sarcoma Condition has verificationStatus 'refuted': ignored, so none on record, review.",
        drop(SARCOMA[1]),
        cond(*SARCOMA, 500, verification="refuted"),
    ),
    # Osteosarcoma known only from the mCODE histology extension (generic SNOMED 'malignant neoplastic disease' as the code);
    # the histology also keeps it out of 'other malignancy' (exc-8).
    Case(
        "osteosarcoma-histology-only",
        "Osteosarcoma coded only by the mCODE ICD-O-3 histology 9180/3 on a generic malignancy code: met.",
        (
            drop(SARCOMA[1]),
            cond(
                SNOMED,
                "363346000",
                "Malignant neoplastic disease",
                500,
                histology=("9180/3", "Osteosarcoma, NOS"),
            ),
        ),
        statuses={"inc-4a": "met", "exc-8": "not-met"},
    ),
    # --- inc-5a: prior apatinib or anlotinib (by name: neither has an RxNorm/ATC code) ---
    passes(
        "inc-5a",
        "review",
        "no-prior-tki",
        "No apatinib or anlotinib on record: oral TKIs are often bought outside, review.",
        no_apatinib,
    ),
    # Anlotinib alone, by name. The trial accepts anlotinib, so inc-5a should be met; but prior_apatinib_or_anlotinib reads the
    # value set 'apatinib' (names apatinib, rivoceranib), which lacks anlotinib. This case pins today's (wrong) result so the
    # golden shows it; when the rule is fixed, change it to: verdict eligible, fails [], inc-5a met.
    Case(
        "prior-anlotinib-only",
        "Prior anlotinib only (by name, 90 days ago), no apatinib: inc-5a met (the trial allows apatinib or anlotinib).",
        (
            no_apatinib,
            med("Anlotinib hydrochloride 12 mg capsule", 90, code=None, kind="MedicationStatement"),
        ),
        "eligible",
        (),
        {"inc-5a": "met"},
    ),
    # Apatinib under its other name, rivoceranib.
    passes(
        "inc-5a",
        "met",
        "prior-rivoceranib",
        "Prior apatinib recorded as 'rivoceranib' (its INN alias): met.",
        no_apatinib,
        med("Rivoceranib 750 mg", 90, code=None, kind="MedicationStatement"),
    ),
    # --- inc-8a: ANC >= 1.5 × 10⁹/L ---
    # Unit: 1,499 /µL = 1.499 × 10⁹/L, just below.
    fails(
        "inc-8a",
        "anc-1499-per-ul",
        "ANC 1,499 /uL (1.499 × 10⁹/L): just below 1.5.",
        lab("anc", 1499, unit="/uL", high=None),
    ),
    # Boundary and unit: 1,500 /µL = 1.5 exactly passes '>='.
    passes(
        "inc-8a",
        "met",
        "anc-1500-per-ul",
        "ANC 1,500 /uL (exactly 1.5 × 10⁹/L): passes '>='.",
        lab("anc", 1500, unit="/uL", high=None),
    ),
    # Window edge: exactly 14 days old is still in the 14-day window.
    passes(
        "inc-8a",
        "met",
        "anc-day-14",
        "Only ANC exactly 14 days old (2026-11-06): in the window, met.",
        lab("anc", 3.2, days=14),
    ),
    # One day outside: 15 days old is unknown, and the reason names its date.
    undecided(
        "inc-8a",
        "anc-stale-15d",
        "Only ANC 15 days old (2026-11-05): outside the 14-day window, unknown.",
        lab("anc", 3.2, days=15),
    ),
    # Entered-in-error: the newest ANC (0.9, yesterday) is void; the valid 3.2 from 3 days ago decides.
    passes(
        "inc-8a",
        "met",
        "anc-entered-in-error",
        "Newest ANC 0.9 is entered-in-error and ignored; the valid 3.2 three days ago is used.",
        lab("anc", 0.9, keep=True, days=1, status="entered-in-error"),
    ),
    # --- inc-8b: platelets >= 100 × 10⁹/L ---
    passes(
        "inc-8b",
        "met",
        "platelets-100",
        "Platelets exactly 100 × 10⁹/L: passes '>='.",
        lab("platelets", 100),
    ),
    fails("inc-8b", "platelets-99", "Platelets 99 × 10⁹/L: below 100.", lab("platelets", 99)),
    # --- inc-8c: haemoglobin >= 90 g/L (9 g/dL) ---
    # Unit and boundary: 9.0 g/dL = 90 g/L.
    passes(
        "inc-8c",
        "met",
        "hb-9.0-g-dl",
        "Haemoglobin 9.0 g/dL (= 90 g/L): passes '>='.",
        lab("hemoglobin", 9.0, unit="g/dL", high=None),
    ),
    fails(
        "inc-8c",
        "hb-8.9-g-dl",
        "Haemoglobin 8.9 g/dL (= 89 g/L): below 90.",
        lab("hemoglobin", 8.9, unit="g/dL", high=None),
    ),
    # Unit: molar haemoglobin (monomer, 16,114.5 g/mol): 5.6 mmol/L ≈ 90.2 g/L.
    passes(
        "inc-8c",
        "met",
        "hb-5.6-mmol-l",
        "Haemoglobin 5.6 mmol/L (LOINC 59260-0, ≈ 90.2 g/L): met.",
        drop(LABS["hemoglobin"].code),
        lab("hemoglobin_mmol", 5.6),
    ),
    # --- inc-8d: no transfusion in the 14 days before ---
    fails(
        "inc-8d",
        "transfusion-14d",
        "Red cell transfusion 14 days before (2026-11-06): inside the 14-day window.",
        proc("71493000", "Transfusion of red blood cells", 14),
    ),
    passes(
        "inc-8d",
        "met",
        "transfusion-15d",
        "Red cell transfusion 15 days before: outside the 14-day window.",
        proc("71493000", "Transfusion of red blood cells", 15),
    ),
    # --- inc-8e: no G-CSF in the 14 days before ---
    fails(
        "inc-8e",
        "g-csf-10d",
        "Filgrastim (RxNorm 68442) given 10 days before.",
        med("filgrastim", 10, code="68442"),
    ),
    passes(
        "inc-8e",
        "met",
        "g-csf-15d",
        "Pegfilgrastim (ATC L03AA13) given 15 days before: outside the 14-day window.",
        med("pegfilgrastim", 15, system=ATC, code="L03AA13"),
    ),
    # --- inc-8f: creatinine <= 1.5 × ULN or Cockcroft-Gault CrCl >= 60 mL/min ---
    # Ratio false (1.9/1.2 = 1.58 × ULN), CrCl true ((140-46) × 100 / (72 × 1.9) = 68.7): met.
    passes(
        "inc-8f",
        "met",
        "creatinine-high-crcl-ok",
        "Creatinine 1.9 mg/dL (1.58 × ULN) but 100 kg, CrCl 68.7 mL/min: met on CrCl.",
        lab("creatinine", 1.9),
        lab("weight", 100),
    ),
    # Unit: the same with the weight in pounds (220 lb = 99.8 kg, CrCl 68.6).
    passes(
        "inc-8f",
        "met",
        "creatinine-high-weight-lb",
        "Creatinine 1.9 mg/dL (1.58 × ULN), weight 220 [lb_av] (99.8 kg), CrCl 68.6: met on CrCl.",
        lab("creatinine", 1.9),
        lab("weight", 220, unit="[lb_av]"),
    ),
    # Both false: 2.0 mg/dL (1.67 × ULN), 60 kg, CrCl 39.2.
    fails(
        "inc-8f",
        "creatinine-high-crcl-low",
        "Creatinine 2.0 mg/dL (1.67 × ULN), 60 kg, CrCl 39.2 mL/min: both limits fail.",
        lab("creatinine", 2.0),
        lab("weight", 60),
    ),
    # Ratio false, CrCl unknown (no weight on record): unknown, never not-met.
    undecided(
        "inc-8f",
        "creatinine-high-no-weight",
        "Creatinine 1.9 mg/dL (1.58 × ULN) and no body weight, so CrCl cannot be computed: unknown.",
        lab("creatinine", 1.9),
        drop(LABS["weight"].code),
    ),
    # Boundary: exactly 1.5 × ULN (1.8/1.2) passes on the ratio although CrCl (50 kg) is only 36.3.
    passes(
        "inc-8f",
        "met",
        "creatinine-1.5-uln",
        "Creatinine 1.8 mg/dL, ULN 1.2 (exactly 1.5 × ULN), 50 kg (CrCl 36.3): met on the ratio.",
        lab("creatinine", 1.8),
        lab("weight", 50),
    ),
    # Unit: SI creatinine 97 µmol/L with its ULN 106 µmol/L (0.92 × ULN; 1.10 mg/dL for CrCl).
    passes(
        "inc-8f",
        "met",
        "creatinine-umol-l",
        "Creatinine 97 umol/L with referenceRange high 106 umol/L (0.92 × ULN): met.",
        drop(LABS["creatinine"].code),
        lab("creatinine_umol", 97),
    ),
    # Unit, no range: 150 µmol/L without referenceRange; the default ULN 1.2 mg/dL is converted with creatinine's molar mass
    # (106.1 µmol/L, 1.41 × ULN, marked 'default' in the evidence) although CrCl (55.4) is below 60: met on the ratio.
    passes(
        "inc-8f",
        "met",
        "creatinine-umol-l-no-range",
        "Creatinine 150 umol/L with no referenceRange: default ULN 1.2 mg/dL = 106.1 umol/L (1.41 × ULN), met although CrCl is 55.4.",
        drop(LABS["creatinine"].code),
        lab("creatinine_umol", 150, high=None),
    ),
    # --- inc-8g: total bilirubin <= 1.5 × ULN ---
    passes(
        "inc-8g",
        "met",
        "bilirubin-1.5-uln",
        "Total bilirubin 1.8 mg/dL, ULN 1.2 (exactly 1.5 × ULN): passes '<='.",
        lab("bilirubin", 1.8),
    ),
    fails(
        "inc-8g",
        "bilirubin-1.6-uln",
        "Total bilirubin 1.92 mg/dL, ULN 1.2 (1.6 × ULN): above 1.5.",
        lab("bilirubin", 1.92),
    ),
    # Unit: bilirubin in µmol/L with its own ULN (30/21 = 1.43 × ULN).
    passes(
        "inc-8g",
        "met",
        "bilirubin-umol-l",
        "Total bilirubin 30 umol/L, ULN 21 umol/L (1.43 × ULN): met.",
        drop(LABS["bilirubin"].code),
        lab("bilirubin_umol", 30),
    ),
    # --- inc-8h: AST <= 2.5 × ULN (<= 5 × ULN with liver metastases) ---
    passes(
        "inc-8h",
        "met",
        "ast-2.5-uln",
        "AST 100 U/L, ULN 40 (exactly 2.5 × ULN), no liver metastases: passes '<='.",
        lab("ast", 100),
    ),
    passes(
        "inc-8h",
        "review",
        "ast-3-uln",
        "AST 120 U/L, ULN 40 (3 × ULN) and no liver metastases coded: review (liver involvement may be only in imaging).",
        lab("ast", 120),
    ),
    # Liver metastases (SNOMED 94381002) allow 5 × ULN.
    passes(
        "inc-8h",
        "met",
        "ast-3-uln-liver-mets",
        "AST 120 U/L (3 × ULN) with confirmed liver metastases: met under 5 × ULN.",
        lab("ast", 120),
        cond(*LIVER_METS, 60),
    ),
    passes(
        "inc-8h",
        "met",
        "ast-5-uln-liver-mets",
        "AST 200 U/L (exactly 5 × ULN) with liver metastases: passes '<='.",
        lab("ast", 200),
        cond(*LIVER_METS, 60),
    ),
    fails(
        "inc-8h",
        "ast-5.1-uln-liver-mets",
        "AST 204 U/L (5.1 × ULN) with liver metastases: above 5 × ULN.",
        lab("ast", 204),
        cond(*LIVER_METS, 60),
    ),
    # A refuted liver metastasis does not unlock the 5 × ULN limit.
    passes(
        "inc-8h",
        "review",
        "ast-3-uln-liver-mets-refuted",
        "AST 3 × ULN with a refuted liver metastasis: no liver involvement on record, review.",
        lab("ast", 120),
        cond(*LIVER_METS, 60, verification="refuted"),
    ),
    # A provisional liver metastasis: which limit applies is unknown, and AST 3 × ULN passes one and fails the other.
    undecided(
        "inc-8h",
        "ast-3-uln-liver-mets-provisional",
        "AST 3 × ULN with a provisional liver metastasis: the limit is unknown, so unknown.",
        lab("ast", 120),
        cond(*LIVER_METS, 60, verification="provisional"),
    ),
    # --- inc-8i: ALT <= 2.5 × ULN (<= 5 × ULN with liver metastases) ---
    passes(
        "inc-8i",
        "review",
        "alt-2.6-uln",
        "ALT 104 U/L, ULN 40 (2.6 × ULN) and no liver metastases coded: review.",
        lab("alt", 104),
    ),
    # No referenceRange: the documented default ULN 40 U/L is used (90/40 = 2.25 × ULN) and the evidence says so.
    passes(
        "inc-8i",
        "met",
        "alt-default-uln",
        "ALT 90 U/L with no referenceRange: default ULN 40 U/L used (2.25 × ULN), met.",
        lab("alt", 90, high=None),
    ),
    # --- inc-8j: INR <= 1.5 ---
    passes("inc-8j", "met", "inr-1.5", "INR exactly 1.5: passes '<='.", lab("inr", 1.5)),
    fails("inc-8j", "inr-1.6", "INR 1.6: above 1.5.", lab("inr", 1.6)),
    # --- inc-8k: PT <= 1.5 × ULN ---
    passes(
        "inc-8k",
        "met",
        "pt-1.5-uln",
        "PT 20.25 s, ULN 13.5 s (exactly 1.5 × ULN): passes '<='.",
        lab("pt", 20.25),
    ),
    fails("inc-8k", "pt-1.6-uln", "PT 21.6 s, ULN 13.5 s (1.6 × ULN): above 1.5.", lab("pt", 21.6)),
    # --- inc-8l: APTT <= 1.5 × ULN ---
    passes(
        "inc-8l",
        "met",
        "aptt-1.5-uln",
        "APTT 52.5 s, ULN 35 s (exactly 1.5 × ULN): passes '<='.",
        lab("aptt", 52.5),
    ),
    fails("inc-8l", "aptt-1.6-uln", "APTT 56 s, ULN 35 s (1.6 × ULN): above 1.5.", lab("aptt", 56)),
    # --- inc-9: urine protein < 2+, or 24-h urine protein <= 1 g ---
    passes("inc-9", "met", "urine-protein-1plus", "Urine protein 1+: below 2+.", urine("1+")),
    # Dipstick false (2+), 24-h true at the boundary (1.0 g): met.
    passes(
        "inc-9",
        "met",
        "urine-protein-2plus-24h-1g",
        "Urine protein 2+ and 24-h urine protein exactly 1.0 g: met on the 24-h test.",
        urine("2+"),
        lab("urine_protein_24h", 1.0),
    ),
    # Both false: 2+ and 1.2 g/24 h.
    fails(
        "inc-9",
        "urine-protein-2plus-24h-1.2g",
        "Urine protein 2+ and 24-h urine protein 1.2 g: both limits fail.",
        urine("2+"),
        lab("urine_protein_24h", 1.2),
    ),
    # Dipstick false, 24-h missing: unknown, never not-met.
    undecided(
        "inc-9",
        "urine-protein-2plus-no-24h",
        "Urine protein 2+ and no 24-h urine protein: unknown.",
        urine("2+"),
    ),
    # Units: dipstick 100 mg/dL (graded 2+) and a 24-h protein of 800 mg/(24.h) (= 0.8 g): met.
    passes(
        "inc-9",
        "met",
        "urine-protein-mg-units",
        "Dipstick protein 100 mg/dL (2+) and 24-h urine protein 800 mg/24 h (0.8 g): met.",
        drop(URINE_DIPSTICK[0]),
        lab("urine_protein_mg_dl", 100),
        lab("urine_protein_24h", 800, unit="mg/(24.h)"),
    ),
    # --- inc-10: TSH <= ULN, or normal FT3 and FT4 ---
    passes(
        "inc-10",
        "met",
        "tsh-at-uln",
        "TSH 4.5 mIU/L, ULN 4.5 (exactly 1 × ULN): passes '<='.",
        lab("tsh", 4.5),
    ),
    # TSH false, FT3 and FT4 both normal: met.
    passes(
        "inc-10",
        "met",
        "tsh-high-ft-normal",
        "TSH 6.2 mIU/L (above ULN 4.5) with normal free T3 and free T4: met.",
        lab("tsh", 6.2),
        lab("ft3", 3.1),
        lab("ft4", 1.2),
    ),
    # TSH false, free T4 low: not met.
    fails(
        "inc-10",
        "tsh-high-ft4-low",
        "TSH 9.8 mIU/L (above ULN) with free T3 normal and free T4 0.6 ng/dL (below range).",
        lab("tsh", 9.8),
        lab("ft3", 3.1),
        lab("ft4", 0.6),
    ),
    # TSH false, no free T3/T4: unknown, never not-met.
    undecided(
        "inc-10",
        "tsh-high-no-ft",
        "TSH 6.2 mIU/L (above ULN) and no free T3 or free T4: unknown.",
        lab("tsh", 6.2),
    ),
    # TSH missing, FT3 and FT4 normal: the other side decides, met.
    passes(
        "inc-10",
        "met",
        "tsh-missing-ft-normal",
        "No TSH on record but normal free T3 and free T4: met.",
        drop(LABS["tsh"].code),
        lab("ft3", 3.1),
        lab("ft4", 1.2),
    ),
    # --- inc-11a: women need a negative serum pregnancy test within 7 days ---
    fails(
        "inc-11a",
        "female-pregnancy-test-positive",
        "Woman whose serum hCG 3 days ago is positive.",
        coded(SERUM_HCG, POSITIVE, 3),
        gender="female",
    ),
    # Stale: the negative serum hCG is 8 days old.
    undecided(
        "inc-11a",
        "female-pregnancy-test-8d",
        "Woman whose only (negative) serum hCG is 8 days old: outside 7 days, unknown.",
        coded(SERUM_HCG, NEGATIVE, 8),
        gender="female",
    ),
    # Edge: 7 days old is still inside the window.
    passes(
        "inc-11a",
        "met",
        "female-pregnancy-test-7d",
        "Woman whose negative serum hCG is exactly 7 days old: in the window, met.",
        coded(SERUM_HCG, NEGATIVE, 7),
        gender="female",
    ),
    # Only a urine test: the trial asks for serum, so unknown.
    undecided(
        "inc-11a",
        "female-urine-pregnancy-test-only",
        "Woman with only a negative urine hCG (no serum test): unknown.",
        drop(SERUM_HCG[0]),
        coded(URINE_HCG, NEGATIVE, 2),
        gender="female",
    ),
    # --- exc-1a: radiotherapy in the 4 weeks (28 days) before ---
    fails(
        "exc-1a",
        "radiotherapy-28d",
        "Teleradiotherapy 28 days before: inside the 4-week window.",
        proc("33195004", "Teleradiotherapy procedure", 28),
    ),
    passes(
        "exc-1a",
        "not-met",
        "radiotherapy-29d",
        "Teleradiotherapy 29 days before: outside the 4-week window.",
        proc("33195004", "Teleradiotherapy procedure", 29),
    ),
    # --- exc-1b: surgery in the 4 weeks before ---
    fails(
        "exc-1b",
        "surgery-28d",
        "Surgical procedure 28 days before: inside the 4-week window.",
        proc("387713003", "Surgical procedure", 28),
    ),
    passes(
        "exc-1b",
        "not-met",
        "surgery-29d",
        "Surgical procedure 29 days before: outside the 4-week window.",
        proc("387713003", "Surgical procedure", 29),
    ),
    # --- exc-1c: chemotherapy or tumour immunotherapy in the 4 weeks before ---
    # A drug known only by name (no code).
    passes(
        "exc-1c",
        "review",
        "ifosfamide-by-name-20d",
        "Ifosfamide recorded by name only (no code), given 20 days before.",
        med("Ifosfamide 2 g/m2 IV", 20),
    ),
    passes(
        "exc-1c",
        "not-met",
        "doxorubicin-29d",
        "Doxorubicin (RxNorm 3639) 29 days before: outside the 4-week window.",
        med("doxorubicin", 29, code="3639"),
    ),
    # The apatinib course itself ran until 10 days ago (effectivePeriod): a TKI, not the chemotherapy or immunotherapy the text names: review.
    passes(
        "exc-1c",
        "review",
        "apatinib-until-10d",
        "Apatinib taken from 180 until 10 days before (effectivePeriod): a TKI washout, for review.",
        apatinib_until(10),
    ),
    # --- exc-1e: live attenuated vaccine in the 4 weeks before ---
    fails(
        "exc-1e",
        "live-vaccine-28d",
        "Yellow fever vaccine (CVX 37) 28 days before.",
        lambda b: b.immunization("37", "yellow fever", 28),
    ),
    passes(
        "exc-1e",
        "not-met",
        "live-vaccine-29d",
        "Yellow fever vaccine 29 days before: outside the 4-week window.",
        lambda b: b.immunization("37", "yellow fever", 29),
    ),
    # An inactivated vaccine in the window does not count.
    passes(
        "exc-1e",
        "not-met",
        "inactivated-vaccine-7d",
        "Inactivated influenza vaccine (CVX 141) 7 days before: not live.",
        lambda b: b.immunization("141", "Influenza, seasonal, injectable", 7),
    ),
    # --- exc-3a: immunosuppressant in the 14 days before ---
    fails(
        "exc-3a",
        "tacrolimus-14d",
        "Tacrolimus (ATC L04AD02) 14 days before.",
        med("tacrolimus", 14, system=ATC, code="L04AD02"),
    ),
    passes(
        "exc-3a",
        "not-met",
        "tacrolimus-15d",
        "Tacrolimus 15 days before: outside the 14-day window.",
        med("tacrolimus", 15, system=ATC, code="L04AD02"),
    ),
    # --- exc-3b: systemic corticosteroid in the 14 days before (met → review: the dose decides) ---
    # Known only by name.
    passes(
        "exc-3b",
        "review",
        "dexamethasone-by-name-5d",
        "Dexamethasone recorded by name only, 5 days before: the dose is for review.",
        med("Dexamethasone 4 mg tablet", 5),
    ),
    # Inhaled budesonide (ATC R03BA02) is excluded by the trial and not in the systemic value set.
    passes(
        "exc-3b",
        "not-met",
        "inhaled-budesonide-5d",
        "Inhaled budesonide (ATC R03BA02) 5 days before: not systemic, not met.",
        med("budesonide inhalation powder", 5, system=ATC, code="R03BA02"),
    ),
    # --- exc-4b: fever > 38.5 °C in the 14-day screening window (met → review: 'unexplained' is for the investigator) ---
    passes(
        "exc-4b",
        "not-met",
        "temperature-38.5",
        "Highest temperature exactly 38.5 °C: fails the strict '>'.",
        lab("temperature", 38.5),
    ),
    passes(
        "exc-4b",
        "review",
        "temperature-38.6",
        "Temperature 38.6 °C 2 days before: for review.",
        lab("temperature", 38.6),
    ),
    # The highest reading counts, not the latest.
    passes(
        "exc-4b",
        "review",
        "fever-earlier-in-window",
        "38.9 °C six days before, 36.8 °C two days before: the highest counts, for review.",
        lab("temperature", 38.9, keep=True, days=6),
    ),
    # Unit: 101.5 °F = 38.6 °C.
    passes(
        "exc-4b",
        "review",
        "fever-fahrenheit",
        "Temperature 101.5 °F (38.6 °C): above 38.5 °C, for review.",
        lab("temperature", 101.5, unit="[degF]"),
    ),
    # No temperature in the window: unknown.
    undecided(
        "exc-4b",
        "temperature-missing",
        "No body temperature on record: unknown.",
        drop(LABS["temperature"].code),
    ),
    # --- exc-5: SBP > 140 or DBP > 90 ---
    passes(
        "exc-5",
        "not-met",
        "bp-140-90",
        "Blood pressure 140/90: neither above the strict limits.",
        bp(140, 90),
    ),
    # One high reading: whether it is 'not well controlled with antihypertensive medication' is for review.
    passes(
        "exc-5",
        "review",
        "bp-141-80",
        "Blood pressure 141/80: systolic above 140, control on treatment is for review.",
        bp(141, 80),
    ),
    passes(
        "exc-5",
        "review",
        "bp-130-91",
        "Blood pressure 130/91: diastolic above 90, for review.",
        bp(130, 91),
    ),
    # Only a systolic reading, normal: diastolic unknown, so unknown.
    undecided(
        "exc-5",
        "bp-systolic-only-normal",
        "Only a systolic reading (128 mmHg), no diastolic: unknown.",
        drop(BP_PANEL),
        lab("systolic", 128),
    ),
    # Only a systolic reading, high: met whatever the diastolic.
    passes(
        "exc-5",
        "review",
        "bp-systolic-only-high",
        "Only a systolic reading (152 mmHg), no diastolic: met on systolic alone, then review.",
        drop(BP_PANEL),
        lab("systolic", 152),
    ),
    # --- exc-6a: significant bleeding in the 3 months (91 days) before ---
    fails(
        "exc-6a",
        "gi-bleed-91d",
        "Gastrointestinal haemorrhage (K92.2) with onset 91 days before.",
        cond(
            ICD10,
            "K92.2",
            "Gastrointestinal hemorrhage, unspecified",
            91,
            clinical="resolved",
            abatement_days_before=85,
        ),
    ),
    passes(
        "exc-6a",
        "not-met",
        "gi-bleed-92d",
        "Gastrointestinal haemorrhage with onset 92 days before: outside 3 months.",
        cond(
            ICD10,
            "K92.2",
            "Gastrointestinal hemorrhage, unspecified",
            92,
            clinical="resolved",
            abatement_days_before=85,
        ),
    ),
    # --- exc-6b: thrombotic event in the 6 months (183 days) before ---
    fails(
        "exc-6b",
        "dvt-183d",
        "Deep vein thrombosis (SNOMED 128053003) with onset 183 days before.",
        cond(
            SNOMED,
            "128053003",
            "Deep venous thrombosis",
            183,
            clinical="resolved",
            abatement_days_before=90,
        ),
    ),
    passes(
        "exc-6b",
        "not-met",
        "dvt-184d",
        "Deep vein thrombosis with onset 184 days before: outside 6 months.",
        cond(
            SNOMED,
            "128053003",
            "Deep venous thrombosis",
            184,
            clinical="resolved",
            abatement_days_before=90,
        ),
    ),
    # A refuted pulmonary embolism is ignored.
    passes(
        "exc-6b",
        "not-met",
        "pe-refuted",
        "Pulmonary embolism 20 days before, refuted (CT negative): ignored.",
        cond(
            ICD10,
            "I26.99",
            "Other pulmonary embolism without acute cor pulmonale",
            20,
            verification="refuted",
        ),
    ),
    # --- exc-6c: anticoagulant / antiplatelet in 90 days (met → review: long-term need and dose) ---
    passes(
        "exc-6c",
        "review",
        "warfarin-60d",
        "Warfarin (RxNorm 11289) 60 days before: long-term need is for review.",
        med("warfarin", 60, code="11289"),
    ),
    passes(
        "exc-6c",
        "not-met",
        "aspirin-91d",
        "Aspirin (RxNorm 1191) last recorded 91 days before: outside 90 days.",
        med("aspirin", 91, code="1191"),
    ),
    # --- exc-7a: MI or unstable angina in the 6 months (183 days) before ---
    # SNOMED-coded NSTEMI 183 days before: only exc-7a.
    fails(
        "exc-7a",
        "mi-183d",
        "Acute NSTEMI (SNOMED 401314000) with onset 183 days before.",
        cond(
            SNOMED,
            "401314000",
            "Acute non-ST segment elevation myocardial infarction",
            183,
            clinical="resolved",
            abatement_days_before=170,
        ),
    ),
    # The same event coded ICD-10-CM I21.4: exc-7a only, as for the SNOMED coding (the thrombotic value set has no MI codes).
    Case(
        "mi-icd10-183d",
        "Acute NSTEMI coded I21.4 with onset 183 days before: active heart disease (exc-7a); an MI is not counted again as a thrombotic event.",
        (
            cond(
                ICD10,
                "I21.4",
                "Non-ST elevation (NSTEMI) myocardial infarction",
                183,
                clinical="resolved",
                abatement_days_before=170,
            ),
        ),
        "ineligible",
        ("exc-7a",),
        {"exc-6b": "not-met", "exc-7a": "met"},
    ),
    passes(
        "exc-7a",
        "not-met",
        "mi-184d",
        "Acute myocardial infarction with onset 184 days before: outside 6 months.",
        cond(
            ICD10,
            "I21.4",
            "Non-ST elevation (NSTEMI) myocardial infarction",
            184,
            clinical="resolved",
            abatement_days_before=170,
        ),
    ),
    fails(
        "exc-7a",
        "unstable-angina-30d",
        "Unstable angina (I20.0) with onset 30 days before.",
        cond(ICD10, "I20.0", "Unstable angina", 30),
    ),
    # --- exc-7b: LVEF < 50 % ---
    passes(
        "exc-7b", "not-met", "lvef-50", "LVEF exactly 50 %: fails the strict '<'.", lab("lvef", 50)
    ),
    fails("exc-7b", "lvef-49", "LVEF 49 %: below 50.", lab("lvef", 49)),
    # Stale echo (91 days, window 90): unknown.
    undecided(
        "exc-7b",
        "lvef-stale-91d",
        "Only echo LVEF 91 days old (window 90): unknown.",
        lab("lvef", 62, days=91),
    ),
    # --- exc-7c: QTcF > 450 ms (men), > 470 ms (women) ---
    passes(
        "exc-7c",
        "not-met",
        "qtcf-male-450",
        "Man with QTcF exactly 450 ms: fails the strict '>'.",
        lab("qtcf", 450),
    ),
    fails(
        "exc-7c",
        "qtcf-male-451",
        "Man with QTcF 451 ms: above the male limit 450.",
        lab("qtcf", 451),
    ),
    passes(
        "exc-7c",
        "not-met",
        "qtcf-female-470",
        "Woman with QTcF exactly 470 ms: fails the strict '>'.",
        lab("qtcf", 470),
        gender="female",
    ),
    fails(
        "exc-7c",
        "qtcf-female-471",
        "Woman with QTcF 471 ms: above the female limit 470.",
        lab("qtcf", 471),
        gender="female",
    ),
    # 460 ms fails the male limit but not the female one.
    passes(
        "exc-7c",
        "not-met",
        "qtcf-female-460",
        "Woman with QTcF 460 ms: above the male limit but within the female one.",
        lab("qtcf", 460),
        gender="female",
    ),
    # --- exc-8: other malignancy in the 3 years before (basal/squamous skin cancer, cervical CIS excepted) ---
    fails(
        "exc-8",
        "breast-cancer-1000d",
        "Breast cancer (C50.911) diagnosed 1,000 days before, treated and resolved 800 days before.",
        cond(
            ICD10,
            "C50.911",
            "Malignant neoplasm of unspecified site of right female breast",
            1000,
            clinical="resolved",
            abatement_days_before=800,
        ),
    ),
    passes(
        "exc-8",
        "not-met",
        "breast-cancer-resolved-4y",
        "Breast cancer diagnosed 1,600 and resolved 1,400 days before: outside 3 years.",
        cond(
            ICD10,
            "C50.911",
            "Malignant neoplasm of unspecified site of right female breast",
            1600,
            clinical="resolved",
            abatement_days_before=1400,
        ),
    ),
    passes(
        "exc-8",
        "not-met",
        "skin-bcc-1y",
        "Basal cell carcinoma of the skin of the face (C44.319) a year ago: an exception.",
        cond(ICD10, "C44.319", "Basal cell carcinoma of skin of other parts of face", 365),
    ),
    passes(
        "exc-8",
        "not-met",
        "cervix-cis-2y",
        "Carcinoma in situ of the cervix (D06.9) two years ago: an exception.",
        cond(
            ICD10,
            "D06.9",
            "Carcinoma in situ of cervix, unspecified",
            730,
            clinical="resolved",
            abatement_days_before=700,
        ),
        gender="female",
    ),
    # The sarcoma's own liver metastasis coded in ICD-10-CM (C78.7) is not an 'other' malignancy (see the report).
    passes(
        "exc-8",
        "not-met",
        "liver-mets-icd10",
        "The sarcoma's liver metastasis coded C78.7: not another malignancy (AST/ALT normal).",
        cond(
            ICD10, "C78.7", "Secondary malignant neoplasm of liver and intrahepatic bile duct", 60
        ),
    ),
    # --- exc-9: allergy to lenvatinib ---
    fails(
        "exc-9",
        "lenvatinib-allergy",
        "Active allergy to lenvatinib (RxNorm 1603296).",
        lambda b: b.allergy("lenvatinib", code="1603296"),
    ),
    passes(
        "exc-9",
        "not-met",
        "penicillin-allergy",
        "Active allergy to penicillin G only.",
        lambda b: b.allergy("penicillin G", code="7980"),
    ),
    # --- exc-10a: HIV infection ---
    # Known HIV disease (the base's negative screen is removed: it would contradict the diagnosis).
    fails(
        "exc-10a",
        "hiv-condition",
        "HIV disease (B20) on record since 2021, no recent screen.",
        drop(HIV[0]),
        cond(ICD10, "B20", "Human immunodeficiency virus [HIV] disease", 2000),
    ),
    fails(
        "exc-10a",
        "hiv-test-positive",
        "HIV 1+2 Ab/p24 Ag screen positive 10 days before.",
        coded(HIV, POSITIVE),
    ),
    # --- exc-10b: active hepatitis B (HBsAg positive and HBV DNA >= 500 IU/mL) ---
    fails(
        "exc-10b",
        "hbv-dna-500",
        "HBsAg positive and HBV DNA exactly 500 IU/mL: met ('>=').",
        coded(HBSAG, POSITIVE),
        lab("hbv_dna", 500),
    ),
    passes(
        "exc-10b",
        "not-met",
        "hbv-dna-499",
        "HBsAg positive and HBV DNA 499 IU/mL: below 500, not active.",
        coded(HBSAG, POSITIVE),
        lab("hbv_dna", 499),
    ),
    # HBsAg positive, no HBV DNA: unknown.
    undecided(
        "exc-10b",
        "hbsag-positive-no-dna",
        "HBsAg positive and no HBV DNA on record: unknown.",
        coded(HBSAG, POSITIVE),
    ),
    # No HBsAg at all: unknown.
    undecided("exc-10b", "hbsag-missing", "No HBsAg on record: unknown.", drop(HBSAG[0])),
    # --- exc-10c: hepatitis C (HCV Ab positive and HCV RNA above the detection limit) ---
    fails(
        "exc-10c",
        "hcv-rna-detected",
        "HCV antibody positive and HCV RNA 120,000 IU/mL.",
        coded(HCV_AB, POSITIVE),
        lab("hcv_rna", 120000),
    ),
    passes(
        "exc-10c",
        "not-met",
        "hcv-rna-undetectable",
        "HCV antibody positive and HCV RNA <15 IU/mL (below detection): not met.",
        coded(HCV_AB, POSITIVE),
        lab("hcv_rna", 15, comparator="<"),
    ),
    undecided(
        "exc-10c",
        "hcv-ab-positive-no-rna",
        "HCV antibody positive and no HCV RNA on record: unknown.",
        coded(HCV_AB, POSITIVE),
    ),
    # --- criteria-b cases ---
    # exc-1c names chemotherapy and immunotherapy: a TKI (anlotinib) stopped 10 days ago is a washout for review, not an exclusion.
    passes(
        "exc-1c",
        "review",
        "anlotinib-10d",
        "Anlotinib (by name) last taken 10 days before: a TKI, not chemotherapy or immunotherapy: review.",
        med("Anlotinib hydrochloride 12 mg capsule", 10, code=None),
    ),
    # exc-8 says 'diagnosed within 3 years': a prostate cancer diagnosed 6 years ago but still active is for review.
    passes(
        "exc-8",
        "review",
        "prostate-cancer-6y-active",
        "Active prostate cancer (C61) diagnosed 6 years before: older than 3 years, still active: review.",
        cond(ICD10, "C61", "Malignant neoplasm of prostate", 2190),
    ),
    # A uterine leiomyosarcoma coded by organ (C54.2) is the patient's own tumour, not 'another malignancy' for sure: exc-8 review.
    # (inc-4a is not met today because C54.2 names no sarcoma; that is the other half of issue 10.)
    Case(
        "uterine-lms-c54-text-only",
        "A woman whose only tumour code is C54.2 'Uterine leiomyosarcoma' (no histology): exc-8 is review, not met.",
        (drop(SARCOMA[1]), cond(ICD10, "C54.2", "Uterine leiomyosarcoma", 500)),
        "eligible",
        (),
        {"inc-4a": "met", "exc-8": "not-met"},
        "female",
    ),
    # inc-2: a toe amputation does not relax ECOG; a hemipelvectomy does.
    fails(
        "inc-2",
        "ecog-2-toe-amputation",
        "ECOG 2 after a great-toe amputation (Z89.411): not major limb loss, so ECOG 0-1 applies.",
        ecog(2),
        cond(ICD10, "Z89.411", "Acquired absence of right great toe", 700),
    ),
    passes(
        "inc-2",
        "met",
        "ecog-2-hemipelvectomy",
        "ECOG 2 after a hemipelvectomy (local code, by name) 700 days ago: major limb loss, relaxed to 2.",
        ecog(2),
        proc("LOCAL-HP1", "Hemipelvectomy, left", 700, system="urn:example:local-procedures"),
    ),
    passes(
        "inc-2",
        "met",
        "ecog-2-rotationplasty",
        "ECOG 2 after a rotationplasty (by name) 900 days ago: major limb loss, relaxed to 2.",
        ecog(2),
        proc(
            "LOCAL-RP1",
            "Rotationplasty of right lower limb",
            900,
            system="urn:example:local-procedures",
        ),
    ),
    # exc-6c: long-term anticoagulation includes DOACs, other LMWHs and aspirin by name.
    passes(
        "exc-6c",
        "review",
        "rivaroxaban-active",
        "Active rivaroxaban (ATC B01AF01): anticoagulant on record, review.",
        med(
            "rivaroxaban 20 mg tablet",
            30,
            code="B01AF01",
            system=ATC,
            kind="MedicationStatement",
            status="active",
        ),
    ),
    passes(
        "exc-6c",
        "review",
        "aspirin-300-by-name",
        "Aspirin 300 mg daily recorded by name only: antiplatelet on record, review.",
        med(
            "Aspirin 300 mg oral tablet daily",
            20,
            code=None,
            kind="MedicationStatement",
            status="active",
        ),
    ),
    passes(
        "exc-6c",
        "review",
        "nadroparin-by-name",
        "Nadroparin calcium injections (by name) 15 days before: a low molecular weight heparin, review.",
        med("Nadroparin calcium 4100 IU subcutaneous", 15, code=None),
    ),
    # exc-6d/6e/6f: the dropped parts of exclusion 6.
    fails(
        "exc-6d",
        "fobt-2plus",
        "Faecal occult blood '++' 5 days before: excluded.",
        lambda b: b.string_result(
            "2335-8", "Hemoglobin.gastrointestinal [Presence] in Stool", "++", days_before=5
        ),
    ),
    passes(
        "exc-6d",
        "review",
        "fobt-1plus",
        "Faecal occult blood '+' 5 days before: under ++, but a positive test goes to review (criteria-fix).",
        lambda b: b.string_result(
            "2335-8", "Hemoglobin.gastrointestinal [Presence] in Stool", "+", days_before=5
        ),
    ),
    passes(
        "exc-6e",
        "review",
        "microscopic-polyangiitis",
        "Active microscopic polyangiitis (M31.7): vasculitis, review.",
        cond(ICD10, "M31.7", "Microscopic polyangiitis", 120),
    ),
    passes(
        "exc-6f",
        "review",
        "coagulation-defect",
        "Active coagulation defect (D68.9): a bleeding tendency, review.",
        cond(ICD10, "D68.9", "Coagulation defect, unspecified", 300),
    ),
    # exc-7d: a poorly controlled arrhythmia was dropped before.
    passes(
        "exc-7d",
        "review",
        "atrial-fibrillation",
        "Active persistent atrial fibrillation (QTcF 420): whether it is poorly controlled is for review.",
        cond(SNOMED, "49436004", "Atrial fibrillation", 400),
    ),
    # inc-8e: 'no medication correction' covers ESAs and TPO agonists, not only G-CSF.
    fails(
        "inc-8e",
        "epoetin-5d",
        "Epoetin alfa (RxNorm 105694) 5 days before screening: a medication correction.",
        med("epoetin alfa", 5, code="105694"),
    ),
    fails(
        "inc-8e",
        "eltrombopag-6d",
        "Eltrombopag (ATC B02BX05) 6 days before screening: a medication correction.",
        med("eltrombopag 50 mg tablet", 6, code="B02BX05", system=ATC),
    ),
    # inc-10: a suppressed TSH with a high free T4 does not pass 'TSH ≤ ULN' silently.
    passes(
        "inc-10",
        "review",
        "tsh-suppressed-ft4-high",
        "TSH 0.01 mIU/L (below range), free T4 3.5 ng/dL (above range): suppressed TSH, high FT4: review.",
        lab("tsh", 0.01),
        lab("ft4", 3.5),
    ),
    # --- records cases ---
    # exc-7c names QTcF: a QTc with no formula named (8636-3) is shown in the evidence but does not decide.
    undecided(
        "exc-7c",
        "qtc-without-formula-only",
        "Man whose only QTc (470 ms) names no correction formula: QTcF unknown, the QTc shown.",
        drop(LABS["qtcf"].code),
        lambda b: b.lab("8636-3", "Q-T interval corrected", 470, "ms", 7),
    ),
    # The QTcF decides where a QTcB of the same ECG disagrees.
    passes(
        "exc-7c",
        "not-met",
        "qtcf-with-qtcb-same-ecg",
        "Man with QTcF 420 ms and QTcB 465 ms from one ECG: the QTcF asked for decides.",
        lambda b: b.lab("76635-2", "Q-T interval corrected based on Bazett formula", 465, "ms", 7),
    ),
    # --- criteria-fix cases ---
    # inc-2: amputation names with laterality or at the elbow are major; 'Amputation' alone has no level and is review, not a silent no.
    passes(
        "inc-2",
        "review",
        "ecog-2-amputation-text-only",
        "ECOG 2 after a procedure recorded only as 'Amputation' (local code): level unknown, review.",
        ecog(2),
        proc("LOCAL-AMP1", "Amputation", 700, system="urn:example:local-procedures"),
    ),
    passes(
        "inc-2",
        "met",
        "ecog-2-amputation-right-leg",
        "ECOG 2 after an 'Amputation of right leg' (local code, by name): major limb loss, relaxed to 2.",
        ecog(2),
        proc("LOCAL-AMP2", "Amputation of right leg", 700, system="urn:example:local-procedures"),
    ),
    passes(
        "inc-2",
        "met",
        "ecog-2-below-elbow-amputation",
        "ECOG 2 after a 'Below-elbow amputation, left forearm' (by name): major limb loss, relaxed to 2.",
        ecog(2),
        proc(
            "LOCAL-AMP3",
            "Below-elbow amputation, left forearm",
            700,
            system="urn:example:local-procedures",
        ),
    ),
    passes(
        "inc-2",
        "review",
        "ecog-2-hand-absence",
        "ECOG 2 with acquired absence of the right hand (Z89.111, maybe at the wrist): review.",
        ecog(2),
        cond(ICD10, "Z89.111", "Acquired absence of right hand", 700),
    ),
    # inc-8e: IL-11, hetrombopag and mecapegfilgrastim are medication corrections.
    fails(
        "inc-8e",
        "interleukin-11-5d",
        "Recombinant human interleukin-11 (by name) 5 days before screening: a medication correction.",
        med("Recombinant human interleukin-11 injection 3 mg", 5, code=None),
    ),
    fails(
        "inc-8e",
        "hetrombopag-5d",
        "Hetrombopag olamine (by name) 5 days before: a TPO receptor agonist.",
        med("Hetrombopag olamine tablets 7.5 mg", 5, code=None),
    ),
    fails(
        "inc-8e",
        "mecapegfilgrastim-5d",
        "Mecapegfilgrastim (by name) 5 days before: a G-CSF.",
        med("Mecapegfilgrastim injection 6 mg", 5, code=None),
    ),
    # inc-10: a suppressed TSH with only an upper limit reported is not silently 'TSH ≤ ULN'.
    passes(
        "inc-10",
        "review",
        "tsh-0.02-upper-limit-only",
        "TSH 0.02 mIU/L with only 'high 4.5' reported and no FT3/FT4: suppressed, review.",
        lab("tsh", 0.02, high=4.5),
    ),
    # exc-1c: a kinase inhibitor coded with its pre-2022 ATC code (L01XE11 pazopanib) is a TKI washout for review, not chemotherapy.
    passes(
        "exc-1c",
        "review",
        "pazopanib-l01xe11-10d",
        "Pazopanib coded ATC L01XE11 (pre-2022) 10 days before: a TKI, review.",
        med("Pazopanib 800 mg tablet", 10, code="L01XE11", system=ATC),
    ),
    # exc-6d: the baseline test is expected; an ungraded positive is review.
    undecided(
        "exc-6d",
        "no-fobt",
        "No faecal occult blood test on record: the baseline test the document names is missing, unknown.",
        drop(FOBT[0]),
    ),
    passes(
        "exc-6d",
        "review",
        "fobt-positive-ungraded",
        "Qualitative faecal occult blood 'Positive' (no grade) 5 days before: review.",
        lambda b: b.string_result(*FOBT, "Positive", days_before=5),
    ),
    # exc-6f: thrombophilia is a clotting tendency, not a bleeding one.
    passes(
        "exc-6f",
        "not-met",
        "factor-v-leiden",
        "Factor V Leiden (D68.51 activated protein C resistance): thrombophilia, not a bleeding tendency.",
        cond(ICD10, "D68.51", "Activated protein C resistance", 900),
    ),
    # --- criteria-a cases ---
    # inc-8f: an 11-year-old's creatinine without a reference range: no adult default ULN, and no height for Schwartz: unknown.
    undecided(
        "inc-8f",
        "child-11-creatinine-no-range",
        "An 11-year-old with creatinine 1.6 mg/dL, no referenceRange and no height: inc-8f unknown.",
        patient(birthDate="2015-06-01"),
        lab("creatinine", 1.6, high=None),
    ),
    # inc-8f: under 18 the bedside Schwartz eGFR (0.413 x 145 cm / 0.9 mg/dL = 66.5) stands in for Cockcroft-Gault: met.
    passes(
        "inc-8f",
        "met",
        "child-11-schwartz",
        "An 11-year-old, height 145 cm, creatinine 0.9 mg/dL without a range: Schwartz eGFR 66.5, met.",
        patient(birthDate="2015-06-01"),
        lab("creatinine", 0.9, high=None),
        lambda b: b.lab("8302-2", "Body height", 145, "cm", 5, category=[]),
    ),
    # inc-8f: Schwartz 0.413 x 145 / 1.6 = 37.4 < 60, and no adult ULN: unknown, never 'met' on an adult default.
    undecided(
        "inc-8f",
        "child-11-schwartz-low",
        "An 11-year-old, height 145 cm, creatinine 1.6 mg/dL without a range: Schwartz 37.4 and no ULN, unknown.",
        patient(birthDate="2015-06-01"),
        lab("creatinine", 1.6, high=None),
        lambda b: b.lab("8302-2", "Body height", 145, "cm", 5, category=[]),
    ),
    # exc-7b: after anthracyclines and TKIs the echo must be within 28 days: a 40-day-old one is stale.
    undecided(
        "exc-7b",
        "lvef-40-days",
        "LVEF 62 % measured 40 days before: outside the 28-day window, unknown.",
        lab("lvef", 62, days=40),
    ),
    # exc-10a: an HIV-positive result at any time is HIV infection, even with a later negative screen.
    fails(
        "exc-10a",
        "hiv-positive-2-years-ago",
        "HIV screen positive 2 years ago (and negative 10 days ago): HIV infection.",
        coded(HIV, POSITIVE, 730, keep=True),
    ),
    # exc-10a: antiretroviral therapy is HIV infection.
    fails(
        "exc-10a",
        "antiretroviral-therapy",
        "Dolutegravir on record and no HIV screen: HIV infection.",
        drop(HIV[0]),
        med("Dolutegravir 50 mg oral tablet", 30),
    ),
    # exc-10a: no HIV test at all: a current infection must be tested, unknown.
    undecided(
        "exc-10a",
        "hiv-no-test",
        "No HIV screen on record and no HIV diagnosis or treatment: unknown.",
        drop(HIV[0]),
    ),
    # inc-11a: a 34-year-old woman with no serum pregnancy test: unknown.
    undecided(
        "inc-11a",
        "woman-34-no-serum-hcg",
        "A 34-year-old woman with no serum pregnancy test: inc-11a unknown.",
        patient(birthDate="1992-03-10"),
        drop(SERUM_HCG[0]),
        gender="female",
    ),
    # --- terms cases ---
    # Eye drops are not systemic corticosteroid therapy, even under the ingredient's code.
    passes(
        "exc-3b",
        "not-met",
        "terms-prednisolone-eye-drops-5d",
        "Prednisolone eye drops (ingredient code, Ophthalmic Suspension) 5 days before.",
        med("prednisoLONE acetate 10 MG/ML Ophthalmic Suspension", 5, code="8638"),
    ),
    # The oral product code (SCD) matches by code; the dose is for review, as for any systemic steroid.
    passes(
        "exc-3b",
        "review",
        "terms-prednisone-scd-5d",
        "Prednisone 5 MG Oral Tablet (RxNorm SCD 312617) 5 days before.",
        med("prednisone 5 MG Oral Tablet", 5, code="312617"),
    ),
    # --- records9 cases ---
    # inc-9: a dipstick answered in SNOMED CT (167275009 'Urine protein test = +'): below 2+, met.
    passes(
        "inc-9",
        "met",
        "urine-protein-snomed-1plus",
        "Urine protein strip answered SNOMED CT 167275009 'Urine protein test = +': below 2+.",
        drop(URINE_DIPSTICK[0]),
        lambda b: b.coded_result(*URINE_DIPSTICK, "167275009", "Urine protein test = +", 3),
    ),
    # inc-9: a SNOMED CT answer the grade table does not list, whose text reads 'Negative': unknown, not negative.
    undecided(
        "inc-9",
        "urine-protein-snomed-unlisted-answer",
        "Urine protein strip answered with an unlisted SNOMED CT concept reading "
        "'Negative' (167297006, a blood-test finding): unknown.",
        drop(URINE_DIPSTICK[0]),
        lambda b: b.coded_result(*URINE_DIPSTICK, "167297006", "Negative", 3),
    ),
]


def main() -> None:
    """Write every case's Bundle and the manifest."""
    write_fixtures(OUT, TRIAL, AS_OF, CASES)


if __name__ == "__main__":
    main()
