"""Build the NCT06761417 fixture patients (liposomal mitoxantrone, relapsed/refractory CAYA solid tumours).

Run ``python -m fhir_fixtures.builders.nct06761417``: it writes one collection Bundle per case and
``manifest.json`` into ``fhir_fixtures/NCT06761417/``. Every case is the eligible base patient with one
change, so each fails at most one criterion (or tests one boundary, unit, status or data-quality rule).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from fhir_fixtures.builders.fhir import (
    ICD10,
    LOINC,
    RXNORM,
    SNOMED,
    PatientBuilder,
    drop,
    manifest_entry,
    write_fixtures,
)

TRIAL = "NCT06761417"
AS_OF = date(2026, 11, 20)
OUT = Path(__file__).resolve().parent.parent / TRIAL

# Base patient: a 15-year-old girl (born 2011-03-02) with a relapsed embryonal rhabdomyosarcoma of the thigh.
BASE_BIRTH = "2011-03-02"


@dataclass(frozen=True)
class Lab:
    """One laboratory test of the base patient: LOINC code, display, value, UCUM unit and ULN (if any)."""

    code: str
    display: str
    value: float
    unit: str
    high: float | None = None


# Base values are comfortably inside every limit; ULNs are paediatric-typical and given as referenceRange.high.
LABS: dict[str, Lab] = {
    "anc": Lab("751-8", "Neutrophils [#/volume] in Blood by Automated count", 2.4, "10*9/L"),
    "platelets": Lab("777-3", "Platelets [#/volume] in Blood by Automated count", 180, "10*9/L"),
    "hemoglobin": Lab("718-7", "Hemoglobin [Mass/volume] in Blood", 112, "g/L"),
    "creatinine": Lab(
        "2160-0", "Creatinine [Mass/volume] in Serum or Plasma", 0.55, "mg/dL", high=0.8
    ),
    "ast": Lab(
        "1920-8",
        "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
        32,
        "U/L",
        high=40,
    ),
    "alt": Lab(
        "1742-6",
        "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
        28,
        "U/L",
        high=35,
    ),
    "bilirubin": Lab(
        "1975-2", "Bilirubin.total [Mass/volume] in Serum or Plasma", 0.6, "mg/dL", high=1.2
    ),
}
KARNOFSKY = ("89243-0", "Karnofsky Performance Status score")
ECOG = ("89247-1", "ECOG Performance Status score")
URINE_HCG = ("2106-3", "Choriogonadotropin (pregnancy test) [Presence] in Urine")
SARCOMA_CODE = "C49.2"


def base(pid: str, birth_date: str = BASE_BIRTH, gender: str = "female") -> PatientBuilder:
    """Return the eligible base patient: every computable criterion is decided in her favour."""
    # Ids carry the trial so every fixture patient is unique across trials (served by id, loaded into one server).
    b = PatientBuilder(f"nct06761417-{pid}", birth_date, gender, AS_OF)
    # Relapsed embryonal rhabdomyosarcoma: ICD-10-CM C49.2 with the mCODE ICD-O-3 histology 8910/3.
    b.condition(
        ICD10,
        SARCOMA_CODE,
        "Malignant neoplasm of connective and soft tissue of lower limb, including hip",
        420,
        histology=("8910/3", "Embryonal rhabdomyosarcoma"),
    )
    b.score(*KARNOFSKY, 80, days_before=2)
    b.score(*ECOG, 1, days_before=2)
    for lab in LABS.values():
        b.lab(lab.code, lab.display, lab.value, lab.unit, 3, high=lab.high)
    if (
        gender == "female" and AS_OF.year - int(birth_date[:4]) >= 10
    ):  # screening hCG only from about menarche
        b.coded_result(*URINE_HCG, "260385009", "Negative", days_before=3)
    return b


def set_lab(
    b: PatientBuilder,
    key: str,
    value: float | None,
    *,
    unit: str | None = None,
    days_before: int = 3,
    high: float | Literal["base"] | None = "base",
    **extra: Any,
) -> dict[str, Any]:
    """Replace a base lab by one with another value (and optionally unit, date, or ULN: None drops the reference range)."""
    lab = LABS[key]
    drop(b, lab.code)
    uln = lab.high if isinstance(high, str) else high
    return b.lab(lab.code, lab.display, value, unit or lab.unit, days_before, high=uln, **extra)


def set_score(b: PatientBuilder, which: tuple[str, str], value: int) -> None:
    """Replace a base performance-status score."""
    drop(b, which[0])
    b.score(*which, value, days_before=2)


def liver_metastasis(b: PatientBuilder, verification: str = "confirmed") -> None:
    """Add a liver metastasis (SNOMED 94381002, as mCODE codes a secondary cancer condition)."""
    b.condition(
        SNOMED, "94381002", "Metastatic malignant neoplasm to liver", 60, verification=verification
    )


@dataclass(frozen=True)
class Case:
    """One fixture patient: how it differs from the base, and what the report must say."""

    name: str
    description: str
    change: Callable[[PatientBuilder], None]
    verdict: str
    fails: tuple[str, ...] = ()
    statuses: dict[str, str] = field(default_factory=dict)
    birth_date: str = BASE_BIRTH
    gender: str = "female"

    def build(self) -> PatientBuilder:
        """Return the patient: the base, changed."""
        b = base(self.name, self.birth_date, self.gender)
        self.change(b)
        return b

    def manifest(self) -> dict[str, Any]:
        """Render the manifest entry."""
        return manifest_entry(self.description, self.verdict, self.fails, self.statuses)


def unchanged(_b: PatientBuilder) -> None:
    """Leave the base patient as it is."""


def _replace_tumour(
    system: str, code: str, display: str, histology: tuple[str, str] | None
) -> Callable[[PatientBuilder], None]:
    def change(b: PatientBuilder) -> None:
        drop(b, SARCOMA_CODE)
        b.condition(system, code, display, 420, histology=histology)

    return change


# Each case: name, description, change to the base, verdict, failed criteria, pinned statuses.
# A change that does two things is written as a tuple of calls inside the lambda.
CASES: list[Case] = [
    # The base: every computable criterion met (inc-3a via C49.2 / ICD-O-3 8910/3); review criteria stay 'review'.
    Case(
        "eligible",
        "15-year-old girl with relapsed embryonal rhabdomyosarcoma, fit, normal counts and organ function, no exclusions.",
        unchanged,
        "eligible",
        statuses={
            "inc-2a": "met",
            "inc-3a": "met",
            "inc-5a": "met",
            "inc-5b": "met",
            "inc-6a": "met",
            "inc-6b": "met",
            "inc-6c": "met",
            "inc-7a": "met",
            "inc-7b": "met",
            "inc-7c": "met",
            "inc-7d": "met",
            "inc-8a": "met",
            "inc-8b": "met",
            "inc-8c": "met",
            "inc-8d": "met",
            "exc-1": "not-met",
            "exc-2": "not-met",
            "exc-3a": "not-met",
            "exc-3b": "review",
            "inc-1": "review",
            "inc-2b": "review",
            "inc-3b": "review",
            "inc-4": "review",
            "inc-8e": "review",
            "exc-1b": "review",
            "exc-3c": "review",
            "exc-4": "review",
        },
    ),
    # --- inc-2a: age 6-24 on the as-of date ---
    # Too old.
    Case(
        "age-30",
        "Base patient aged 30: above the 6-24 age range.",
        unchanged,
        "ineligible",
        ("inc-2a",),
        birth_date="1996-06-01",
    ),
    # Too young.
    Case(
        "age-5",
        "Base patient aged 5: below the 6-24 age range.",
        unchanged,
        "ineligible",
        ("inc-2a",),
        birth_date="2021-02-10",
    ),
    # Boundary: the 25th birthday is the as-of date, so she is 25 (the birthday counts).
    Case(
        "age-25-today",
        "Base patient whose 25th birthday is the as-of date: aged 25, out of range.",
        unchanged,
        "ineligible",
        ("inc-2a",),
        {"inc-2a": "not-met"},
        birth_date="2001-11-20",
    ),
    # Boundary: the 25th birthday is the day after the as-of date, so she is still 24.
    Case(
        "age-24-last-day",
        "Base patient turning 25 the day after the as-of date: still 24, in range.",
        unchanged,
        "eligible",
        statuses={"inc-2a": "met"},
        birth_date="2001-11-21",
    ),
    # Boundary: the 6th birthday is the as-of date, so she is 6.
    Case(
        "age-6-today",
        "Base patient whose 6th birthday is the as-of date: aged 6, in range.",
        unchanged,
        "eligible",
        statuses={"inc-2a": "met"},
        birth_date="2020-11-20",
    ),
    # --- inc-3a: bone/soft tissue tumour or neuroblastoma (not-met becomes review) ---
    # No tumour coded at all: subtype (3) is the investigator's call, so review (not a failure).
    Case(
        "no-tumour-coded",
        "Base patient with no cancer diagnosis coded: tumour subtype goes to review.",
        lambda b: drop(b, SARCOMA_CODE),
        "eligible",
        statuses={"inc-3a": "review", "exc-2": "not-met"},
    ),
    # Wilms tumour: not sarcoma/neuroblastoma (inc-3a review) and, being a malignancy outside the value sets, exc-2 also review.
    Case(
        "wilms-tumour",
        "Base patient whose tumour is a nephroblastoma (C64.1, 8960/3): subtype and 'other malignancy' both go to review.",
        _replace_tumour(
            ICD10,
            "C64.1",
            "Malignant neoplasm of right kidney, except renal pelvis",
            ("8960/3", "Nephroblastoma, NOS"),
        ),
        "eligible",
        statuses={"inc-3a": "review", "exc-2": "review"},
    ),
    # Neuroblastoma (adrenal C74.90 with ICD-O-3 9500/3): inc-3a met; the histology keeps it out of 'other malignancy'.
    Case(
        "neuroblastoma",
        "Base patient with relapsed adrenal neuroblastoma instead of a sarcoma: tumour subtype met.",
        _replace_tumour(
            ICD10,
            "C74.90",
            "Malignant neoplasm of unspecified part of unspecified adrenal gland",
            ("9500/3", "Neuroblastoma, NOS"),
        ),
        "eligible",
        statuses={"inc-3a": "met", "exc-2": "not-met"},
    ),
    # The only sarcoma diagnosis is provisional: neither confirmed nor refuted, so the subtype is unknown (not review).
    Case(
        "provisional-sarcoma",
        "Base patient whose sarcoma diagnosis has verificationStatus 'provisional': tumour subtype unknown.",
        lambda b: (
            drop(b, SARCOMA_CODE),
            b.condition(
                ICD10,
                SARCOMA_CODE,
                "Malignant neoplasm of connective and soft tissue of lower limb, including hip",
                420,
                verification="provisional",
                histology=("8910/3", "Embryonal rhabdomyosarcoma"),
            ),
        ),
        "insufficient-data",
        statuses={"inc-3a": "unknown", "exc-2": "not-met"},
    ),
    # Sarcoma known only from the mCODE histology extension (the code itself is generic SNOMED 'malignant neoplastic disease').
    Case(
        "osteosarcoma-histology-only",
        "Base patient whose osteosarcoma is coded only by the mCODE ICD-O-3 histology extension (9180/3).",
        _replace_tumour(
            SNOMED, "363346000", "Malignant neoplastic disease", ("9180/3", "Osteosarcoma, NOS")
        ),
        "eligible",
        statuses={"inc-3a": "met", "exc-2": "not-met"},
    ),
    # --- inc-5a: Karnofsky > 50 ---
    # Boundary and failure: exactly 50 fails the strict '>'.
    Case(
        "karnofsky-50",
        "Base patient with Karnofsky 50: fails the strict '> 50'.",
        lambda b: set_score(b, KARNOFSKY, 50),
        "ineligible",
        ("inc-5a",),
        {"inc-5a": "not-met"},
    ),
    # Just above: 60 passes.
    Case(
        "karnofsky-60",
        "Base patient with Karnofsky 60: passes '> 50'.",
        lambda b: set_score(b, KARNOFSKY, 60),
        "eligible",
        statuses={"inc-5a": "met"},
    ),
    # --- inc-5b: ECOG <= 2 ---
    Case(
        "ecog-3",
        "Base patient with ECOG 3: above the limit of 2.",
        lambda b: set_score(b, ECOG, 3),
        "ineligible",
        ("inc-5b",),
    ),
    # Boundary: ECOG 2, given as the LOINC answer LA9624-3 rather than an integer, passes '<='.
    Case(
        "ecog-2-loinc-answer",
        "Base patient with ECOG 2 reported as LOINC answer LA9624-3: passes '<= 2'.",
        lambda b: (
            drop(b, ECOG[0]),
            b.coded_result(
                *ECOG, "LA9624-3", "Symptomatic, <50% in bed during the day", 2, answer_system=LOINC
            ),
        ),
        "eligible",
        statuses={"inc-5b": "met"},
    ),
    # --- inc-6a: ANC > 1.5 x10^9/L ---
    Case(
        "anc-1.2",
        "Base patient with ANC 1.2 x10^9/L: below 1.5.",
        lambda b: set_lab(b, "anc", 1.2),
        "ineligible",
        ("inc-6a",),
    ),
    # Boundary: exactly 1.5 fails the strict '>'.
    Case(
        "anc-1.5-exact",
        "Base patient with ANC exactly 1.5 x10^9/L: fails the strict '> 1.5'.",
        lambda b: set_lab(b, "anc", 1.5),
        "ineligible",
        ("inc-6a",),
        {"inc-6a": "not-met"},
    ),
    # Unit: 1800 /uL is 1.8 x10^9/L.
    Case(
        "anc-per-microlitre",
        "Base patient with ANC reported as 1800 /uL (= 1.8 x10^9/L): met.",
        lambda b: set_lab(b, "anc", 1800, unit="/uL"),
        "eligible",
        statuses={"inc-6a": "met"},
    ),
    # Window edge: a result exactly 14 days old is still inside the 14-day window.
    Case(
        "anc-day-14",
        "Base patient whose only ANC is exactly 14 days old (2026-11-06): still in the window, met.",
        lambda b: set_lab(b, "anc", 2.4, days_before=14),
        "eligible",
        statuses={"inc-6a": "met"},
    ),
    # Stale: 15 days old is one day outside the window: unknown, naming the latest date.
    Case(
        "anc-stale",
        "Base patient whose only ANC is 15 days old (2026-11-05): unknown, insufficient data.",
        lambda b: set_lab(b, "anc", 2.4, days_before=15),
        "insufficient-data",
        statuses={"inc-6a": "unknown"},
    ),
    # Missing: no ANC at all.
    Case(
        "anc-missing",
        "Base patient with no ANC on record: unknown, insufficient data.",
        lambda b: drop(b, LABS["anc"].code),
        "insufficient-data",
        statuses={"inc-6a": "unknown"},
    ),
    # Entered-in-error: the newest ANC (0.9) was entered in error; the earlier valid 2.1 decides.
    Case(
        "anc-entered-in-error",
        "Base patient whose newest ANC (0.9) is entered-in-error; the earlier valid ANC 2.1 is used: met.",
        lambda b: (
            set_lab(b, "anc", 2.1, days_before=5),
            b.lab(
                LABS["anc"].code, LABS["anc"].display, 0.9, "10*9/L", 1, status="entered-in-error"
            ),
        ),
        "eligible",
        statuses={"inc-6a": "met"},
    ),
    # A result dated after the as-of date is not yet known on that day and is ignored.
    Case(
        "anc-after-as-of",
        "Base patient with a low ANC (0.8) dated the day after the as-of date, which is ignored: met on the earlier 2.4.",
        lambda b: b.lab(LABS["anc"].code, LABS["anc"].display, 0.8, "10*9/L", -1),
        "eligible",
        statuses={"inc-6a": "met"},
    ),
    # --- inc-6b: platelets > 75 x10^9/L ---
    Case(
        "platelets-60",
        "Base patient with platelets 60 x10^9/L: below 75.",
        lambda b: set_lab(b, "platelets", 60),
        "ineligible",
        ("inc-6b",),
    ),
    # Boundary: exactly 75 fails the strict '>'.
    Case(
        "platelets-75-exact",
        "Base patient with platelets exactly 75 x10^9/L: fails the strict '> 75'.",
        lambda b: set_lab(b, "platelets", 75),
        "ineligible",
        ("inc-6b",),
        {"inc-6b": "not-met"},
    ),
    # dataAbsentReason: the only platelet result has no value (specimen clotted): unknown.
    Case(
        "platelets-data-absent",
        "Base patient whose only platelet result has dataAbsentReason 'error' (clotted specimen): unknown.",
        lambda b: set_lab(
            b,
            "platelets",
            None,
            high=None,
            dataAbsentReason={
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                        "code": "error",
                        "display": "Error",
                    }
                ],
                "text": "Specimen clotted",
            },
        ),
        "insufficient-data",
        statuses={"inc-6b": "unknown"},
    ),
    # --- inc-6c: haemoglobin >= 80 g/L ---
    Case(
        "hemoglobin-75",
        "Base patient with haemoglobin 75 g/L: below 80.",
        lambda b: set_lab(b, "hemoglobin", 75),
        "ineligible",
        ("inc-6c",),
    ),
    # Boundary: exactly 80 passes '>='.
    Case(
        "hemoglobin-80-exact",
        "Base patient with haemoglobin exactly 80 g/L: passes '>= 80'.",
        lambda b: set_lab(b, "hemoglobin", 80),
        "eligible",
        statuses={"inc-6c": "met"},
    ),
    # Unit: 8.5 g/dL is 85 g/L.
    Case(
        "hemoglobin-g-dl",
        "Base patient with haemoglobin 8.5 g/dL (= 85 g/L): met.",
        lambda b: set_lab(b, "hemoglobin", 8.5, unit="g/dL"),
        "eligible",
        statuses={"inc-6c": "met"},
    ),
    # Unit: 7.4 g/dL is 74 g/L, which fails.
    Case(
        "hemoglobin-g-dl-low",
        "Base patient with haemoglobin 7.4 g/dL (= 74 g/L): below 80.",
        lambda b: set_lab(b, "hemoglobin", 7.4, unit="g/dL"),
        "ineligible",
        ("inc-6c",),
        {"inc-6c": "not-met"},
    ),
    # --- inc-7a: creatinine <= 1.5 x ULN ---
    Case(
        "creatinine-1.6x-uln",
        "Base patient with creatinine 1.3 mg/dL, ULN 0.8 (1.625 x ULN): above 1.5 x ULN.",
        lambda b: set_lab(b, "creatinine", 1.3),
        "ineligible",
        ("inc-7a",),
    ),
    # Boundary: exactly 1.5 x ULN passes '<='.
    Case(
        "creatinine-1.5x-uln-exact",
        "Base patient with creatinine 1.2 mg/dL, ULN 0.8 (exactly 1.5 x ULN): passes '<='.",
        lambda b: set_lab(b, "creatinine", 1.2),
        "eligible",
        statuses={"inc-7a": "met"},
    ),
    # SI units, as Chinese sites report: creatinine 53 umol/L with its ULN 70 umol/L (0.76 x ULN), met.
    Case(
        "creatinine-umol-l",
        "Base patient with creatinine 53 umol/L and a referenceRange high of 70 umol/L (0.76 x ULN): met.",
        lambda b: (
            drop(b, LABS["creatinine"].code),
            b.lab(
                "14682-9", "Creatinine [Moles/volume] in Serum or Plasma", 53, "umol/L", 3, high=70
            ),
        ),
        "eligible",
        statuses={"inc-7a": "met"},
    ),
    # --- inc-7b: AST < 2.5 x ULN (< 5 x ULN with liver invasion) ---
    Case(
        "ast-3x-uln",
        "Base patient with AST 120 U/L, ULN 40 (3 x ULN) and no liver involvement coded: review (invasion may be only in imaging).",
        lambda b: set_lab(b, "ast", 120),
        "eligible",
        (),
        {"inc-7b": "review"},
    ),
    # Boundary: exactly 2.5 x ULN fails the strict '<'.
    Case(
        "ast-2.5x-uln-exact",
        "Base patient with AST 100 U/L, ULN 40 (exactly 2.5 x ULN): fails the strict '<', under the relaxed 5 x: review.",
        lambda b: set_lab(b, "ast", 100),
        "eligible",
        (),
        {"inc-7b": "review"},
    ),
    # Liver metastasis unlocks the 5 x ULN limit: AST 4 x ULN is met.
    Case(
        "liver-metastasis-ast-4x-uln",
        "Base patient with a confirmed liver metastasis and AST 160 U/L (4 x ULN): met under the 5 x ULN limit.",
        lambda b: (liver_metastasis(b), set_lab(b, "ast", 160)),
        "eligible",
        statuses={"inc-7b": "met", "inc-7c": "met", "inc-7d": "met"},
    ),
    # A refuted liver metastasis does not unlock it: AST 4 x ULN fails.
    Case(
        "refuted-liver-metastasis-ast-4x-uln",
        "Base patient with a refuted liver metastasis and AST 160 U/L (4 x ULN): no liver involvement, review.",
        lambda b: (liver_metastasis(b, "refuted"), set_lab(b, "ast", 160)),
        "eligible",
        (),
        {"inc-7b": "review"},
    ),
    # Even with a liver metastasis, 5 x ULN fails the strict '<'.
    Case(
        "liver-metastasis-ast-5x-uln",
        "Base patient with a liver metastasis and AST 200 U/L (exactly 5 x ULN): fails the strict '< 5'.",
        lambda b: (liver_metastasis(b), set_lab(b, "ast", 200)),
        "ineligible",
        ("inc-7b",),
        {"inc-7b": "not-met"},
    ),
    # --- inc-7c: ALT < 2.5 x ULN (< 5 x ULN with liver invasion) ---
    Case(
        "alt-3x-uln",
        "Base patient with ALT 105 U/L, ULN 35 (3 x ULN) and no liver involvement coded: review.",
        lambda b: set_lab(b, "alt", 105),
        "eligible",
        (),
        {"inc-7c": "review"},
    ),
    # No referenceRange: she is 15, so no adult default ULN applies: unknown, with the reason.
    Case(
        "alt-no-reference-range",
        "Base patient (15) whose ALT (28 U/L) has no referenceRange: no adult default ULN under 18, unknown.",
        lambda b: set_lab(b, "alt", 28, high=None),
        "insufficient-data",
        statuses={"inc-7c": "unknown"},
    ),
    # --- inc-7d: bilirubin < 1.5 x ULN (< 3 x ULN with liver invasion) ---
    Case(
        "bilirubin-1.8x-uln",
        "Base patient with total bilirubin 2.2 mg/dL, ULN 1.2 (1.83 x ULN) and no liver involvement coded: review.",
        lambda b: set_lab(b, "bilirubin", 2.2),
        "eligible",
        (),
        {"inc-7d": "review"},
    ),
    # Boundary: exactly 1.5 x ULN fails the strict '<'.
    Case(
        "bilirubin-1.5x-uln-exact",
        "Base patient with total bilirubin 1.8 mg/dL, ULN 1.2 (exactly 1.5 x ULN): fails the strict '<', under 3 x: review.",
        lambda b: set_lab(b, "bilirubin", 1.8),
        "eligible",
        (),
        {"inc-7d": "review"},
    ),
    # Liver metastasis unlocks the 3 x ULN limit: 2.5 x ULN is met.
    Case(
        "liver-metastasis-bilirubin-2.5x-uln",
        "Base patient with a liver metastasis and total bilirubin 3.0 mg/dL (2.5 x ULN): met under 3 x ULN.",
        lambda b: (liver_metastasis(b), set_lab(b, "bilirubin", 3.0)),
        "eligible",
        statuses={"inc-7d": "met"},
    ),
    # --- inc-8a..8d: cardiac history ---
    Case(
        "myocardial-infarction",
        "Base patient with an old myocardial infarction (I25.2) on record.",
        lambda b: b.condition(
            ICD10, "I25.2", "Old myocardial infarction", 900, clinical="inactive"
        ),
        "ineligible",
        ("inc-8a",),
    ),
    Case(
        "unstable-angina",
        "Base patient with unstable angina (I20.0) on record.",
        lambda b: b.condition(
            ICD10, "I20.0", "Unstable angina", 700, clinical="resolved", abatement_days_before=690
        ),
        "ineligible",
        ("inc-8b",),
    ),
    # An arrhythmia is computed as not-met, but whether it needs treatment is the investigator's call: review.
    Case(
        "ventricular-tachycardia",
        "Base patient with ventricular tachycardia (I47.2) on record: arrhythmia criterion goes to review.",
        lambda b: b.condition(ICD10, "I47.2", "Ventricular tachycardia", 100),
        "eligible",
        statuses={"inc-8c": "review"},
    ),
    # Pericardial disease is computed as not-met, but 'clinically severe' is the investigator's call: review.
    Case(
        "pericardial-effusion",
        "Base patient with a pericardial effusion (I31.3) on record: pericardial criterion goes to review.",
        lambda b: b.condition(ICD10, "I31.3", "Pericardial effusion (noninflammatory)", 150),
        "eligible",
        statuses={"inc-8d": "review"},
    ),
    # --- exc-1: hypersensitivity to a study drug ---
    Case(
        "allergy-capecitabine",
        "Base patient with an active allergy to capecitabine (RxNorm 194000).",
        lambda b: b.allergy("capecitabine", code="194000", system=RXNORM),
        "ineligible",
        ("exc-1",),
        {"exc-1": "met"},
    ),
    # Anlotinib has no RxNorm/ATC code: matched by name.
    Case(
        "allergy-anlotinib-by-name",
        "Base patient with an active allergy to anlotinib recorded by name only (no code).",
        lambda b: b.allergy("Anlotinib hydrochloride"),
        "eligible",
        (),
        {"exc-1": "review"},
    ),
    # An allergy to an unrelated drug does not count.
    Case(
        "allergy-penicillin",
        "Base patient allergic only to penicillin G, not to a study drug.",
        lambda b: b.allergy("penicillin G", code="7980", system=RXNORM),
        "eligible",
        statuses={"exc-1": "not-met"},
    ),
    # --- exc-2: other uncontrolled malignancy (met becomes review) ---
    Case(
        "second-malignancy-thyroid",
        "Base patient with an active papillary thyroid carcinoma (C73) as well: 'other malignancy' goes to review.",
        lambda b: b.condition(ICD10, "C73", "Malignant neoplasm of thyroid gland", 200),
        "eligible",
        statuses={"exc-2": "review"},
    ),
    # Basal cell carcinoma of the skin is an explicit exception.
    Case(
        "basal-cell-carcinoma",
        "Base patient with an active basal cell carcinoma of the skin of the face (C44.319): an explicit exception.",
        lambda b: b.condition(
            ICD10, "C44.319", "Basal cell carcinoma of skin of other parts of face", 100
        ),
        "eligible",
        statuses={"exc-2": "not-met"},
    ),
    # A malignancy resolved years ago is under control.
    Case(
        "resolved-hodgkin-lymphoma",
        "Base patient with Hodgkin lymphoma resolved 7 years ago: not an uncontrolled malignancy.",
        lambda b: b.condition(
            ICD10,
            "C81.90",
            "Hodgkin lymphoma, unspecified, unspecified site",
            3000,
            clinical="resolved",
            abatement_days_before=2600,
        ),
        "eligible",
        statuses={"exc-2": "not-met"},
    ),
    # --- exc-3a / exc-3b: pregnancy and lactation ---
    # An active pregnancy Condition (the base's negative hCG is removed so the record is coherent).
    Case(
        "pregnant-condition",
        "22-year-old base patient with an active pregnancy on record and no recent pregnancy test.",
        lambda b: (drop(b, URINE_HCG[0]), b.condition(SNOMED, "77386006", "Pregnancy", 50)),
        "ineligible",
        ("exc-3a",),
        {"exc-3a": "met"},
        birth_date="2004-04-18",
    ),
    # A positive urine hCG in the last 30 days.
    Case(
        "pregnant-positive-hcg",
        "22-year-old base patient whose latest urine hCG (2 days ago) is positive.",
        lambda b: (
            drop(b, URINE_HCG[0]),
            b.coded_result(*URINE_HCG, "10828004", "Positive", days_before=2),
        ),
        "ineligible",
        ("exc-3a",),
        {"exc-3a": "met"},
        birth_date="2004-04-18",
    ),
    # Breastfeeding on record.
    Case(
        "lactating",
        "22-year-old base patient who is breastfeeding.",
        lambda b: b.condition(SNOMED, "413712001", "Breastfeeding (mother)", 60),
        "ineligible",
        ("exc-3b",),
        {"exc-3b": "met"},
        birth_date="2004-04-18",
    ),
    # Male: the pregnancy formula is decided 'no' from sex alone.
    Case(
        "male",
        "Base patient as a 15-year-old boy (no pregnancy test): pregnancy exclusion not met.",
        unchanged,
        "eligible",
        statuses={"exc-3a": "not-met"},
        gender="male",
    ),
    # --- criteria-b cases ---
    # inc-7b: AST above even the relaxed 5 x ULN without liver involvement: a hard not-met (the review band is 2.5-5 x).
    Case(
        "ast-6x-uln-no-liver",
        "Base patient with AST 240 U/L, ULN 40 (6 x ULN) and no liver involvement: above both limits, not met.",
        lambda b: set_lab(b, "ast", 240),
        "ineligible",
        ("inc-7b",),
        {"inc-7b": "not-met"},
    ),
    # inc-7d: bilirubin above the relaxed 3 x ULN: not met.
    Case(
        "bilirubin-3.5x-uln-no-liver",
        "Base patient with total bilirubin 4.2 mg/dL, ULN 1.2 (3.5 x ULN): above both limits, not met.",
        lambda b: set_lab(b, "bilirubin", 4.2),
        "ineligible",
        ("inc-7d",),
        {"inc-7d": "not-met"},
    ),
    # --- criteria-a cases ---
    # exc-3a: a 17-year-old girl with no pregnancy test is of childbearing potential: unknown ("To obtain: pregnancy test"), not eligible.
    Case(
        "girl-17-no-pregnancy-test",
        "Base patient aged 17 with no pregnancy test: childbearing potential, so pregnancy is unknown.",
        lambda b: drop(b, URINE_HCG[0]),
        "insufficient-data",
        statuses={"exc-3a": "unknown", "exc-3b": "review"},
        birth_date="2009-06-01",
    ),
    # exc-3a: a girl of 9 may or may not have had menarche: childbearing potential to confirm (review), as is lactation.
    Case(
        "girl-9-no-pregnancy-test",
        "Base patient aged 9 with no pregnancy test: childbearing potential to confirm.",
        unchanged,
        "eligible",
        statuses={"exc-3a": "review", "exc-3b": "review"},
        birth_date="2017-03-01",
    ),
    # exc-3a: a girl of 7 is taken as premenarchal: no test needed, and lactation is not asked.
    Case(
        "girl-7-no-pregnancy-test",
        "Base patient aged 7 with no pregnancy test: not of childbearing potential, not pregnant.",
        unchanged,
        "eligible",
        statuses={"exc-3a": "not-met", "exc-3b": "not-met"},
        birth_date="2019-01-15",
    ),
    # exc-3a: a positive hCG 40 days ago with nothing since is not forgotten.
    Case(
        "positive-hcg-40-days",
        "22-year-old base patient whose only urine hCG, 40 days ago, is positive: still pregnant.",
        lambda b: (
            drop(b, URINE_HCG[0]),
            b.coded_result(*URINE_HCG, "10828004", "Positive", days_before=40),
        ),
        "ineligible",
        ("exc-3a",),
        {"exc-3a": "met"},
        birth_date="2004-04-18",
    ),
    # inc-5a: a 10-year-old scored on the Lansky scale (NCIt C38144) only: Lansky 80 stands in for Karnofsky.
    Case(
        "lansky-10-year-old",
        "Base patient as a 10-year-old boy with ECOG 1 and Lansky 80 but no Karnofsky score: inc-5a met.",
        lambda b: (
            drop(b, KARNOFSKY[0]),
            b.add(
                {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {
                        "coding": [
                            {
                                "system": "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl",
                                "code": "C38144",
                                "display": "Lansky Play-Performance Status",
                            }
                        ],
                        "text": "Lansky play-performance status",
                    },
                    "subject": {"reference": f"Patient/{b.pid}"},
                    "effectiveDateTime": b.day(2),
                    "valueInteger": 80,
                }
            ),
        ),
        "eligible",
        statuses={"inc-5a": "met"},
        birth_date="2016-05-05",
        gender="male",
    ),
    # inc-5a: from 16 the Lansky scale does not replace Karnofsky.
    Case(
        "lansky-only-age-17",
        "Base patient as a 17-year-old boy with a Lansky score (80) but no Karnofsky: inc-5a unknown.",
        lambda b: (
            drop(b, KARNOFSKY[0]),
            b.add(
                {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {
                        "coding": [
                            {
                                "system": "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl",
                                "code": "C38144",
                                "display": "Lansky Play-Performance Status",
                            }
                        ],
                        "text": "Lansky play-performance status",
                    },
                    "subject": {"reference": f"Patient/{b.pid}"},
                    "effectiveDateTime": b.day(2),
                    "valueInteger": 80,
                }
            ),
        ),
        "insufficient-data",
        statuses={"inc-5a": "unknown"},
        birth_date="2009-05-05",
        gender="male",
    ),
    # inc-7a: an 8-year-old's creatinine 1.4 mg/dL without a reference range is not judged against the adult 1.2 mg/dL: unknown.
    Case(
        "child-creatinine-no-range",
        "Base patient as an 8-year-old boy with creatinine 1.4 mg/dL and no referenceRange: no adult default ULN, unknown.",
        lambda b: set_lab(b, "creatinine", 1.4, high=None),
        "insufficient-data",
        statuses={"inc-7a": "unknown"},
        birth_date="2018-03-03",
        gender="male",
    ),
    # inc-7a: an adult's (24) creatinine without a range still uses the documented adult default ULN.
    Case(
        "adult-creatinine-no-range",
        "Base patient as a 24-year-old man with creatinine 0.9 mg/dL and no referenceRange: adult default ULN 1.2, met.",
        lambda b: set_lab(b, "creatinine", 0.9, high=None),
        "eligible",
        statuses={"inc-7a": "met"},
        birth_date="2002-01-10",
        gender="male",
    ),
]


def main() -> None:
    """Write every case's Bundle and the manifest."""
    write_fixtures(OUT, TRIAL, AS_OF, CASES)


if __name__ == "__main__":
    main()
