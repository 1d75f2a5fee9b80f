"""Build the NCT03890068 fixture patients (ALTER-S006: anlotinib maintenance in advanced soft tissue sarcoma).

Run ``python -m fhir_fixtures.builders.nct03890068``: it writes one collection Bundle per case and
``manifest.json`` into ``fhir_fixtures/NCT03890068/``. Every case is the eligible base patient with one
change, so each fails (or reaches a boundary on, or leaves unknown) exactly one criterion.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

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

TRIAL = "NCT03890068"
AS_OF = date(2026, 11, 20)
OUT = Path(__file__).resolve().parent.parent / TRIAL

# Base patient: a 50-year-old woman (born 1976-05-14, 60 kg) with metastatic leiomyosarcoma of the thigh,
# stable disease after six cycles of doxorubicin, the last one 35 days before the as-of date.
BASE_BIRTH = "1976-05-14"


@dataclass(frozen=True)
class Lab:
    """One quantitative result of the base patient: LOINC code, display, value, UCUM unit, ULN and age in days."""

    code: str
    display: str
    value: float
    unit: str
    high: float | None = None
    days_before: int = 3


# Base values sit comfortably inside every limit; ×ULN labs carry referenceRange.high (adult female limits).
LABS: dict[str, Lab] = {
    "hemoglobin": Lab("718-7", "Hemoglobin [Mass/volume] in Blood", 118, "g/L"),
    "anc": Lab("751-8", "Neutrophils [#/volume] in Blood by Automated count", 3.2, "10*9/L"),
    "platelets": Lab("777-3", "Platelets [#/volume] in Blood by Automated count", 210, "10*9/L"),
    "creatinine": Lab(
        "2160-0", "Creatinine [Mass/volume] in Serum or Plasma", 0.8, "mg/dL", high=1.1
    ),
    "bun": Lab("3094-0", "Urea nitrogen [Mass/volume] in Serum or Plasma", 14, "mg/dL", high=20),
    "bilirubin": Lab(
        "1975-2", "Bilirubin.total [Mass/volume] in Serum or Plasma", 0.7, "mg/dL", high=1.2
    ),
    "ast": Lab(
        "1920-8",
        "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
        28,
        "U/L",
        high=40,
    ),
    "alt": Lab(
        "1742-6",
        "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
        24,
        "U/L",
        high=40,
    ),
    "albumin": Lab("1751-7", "Albumin [Mass/volume] in Serum or Plasma", 40, "g/L"),
    "glucose": Lab("14771-0", "Fasting glucose [Moles/volume] in Serum or Plasma", 5.2, "mmol/L"),
    "weight": Lab("29463-7", "Body weight", 60, "kg"),
    "lvef": Lab("18043-0", "Left ventricular Ejection fraction by US", 62, "%", days_before=10),
    "qtc": Lab("8636-3", "Q-T interval corrected", 430, "ms", days_before=5),
}
ECOG = ("89247-1", "ECOG Performance Status score")
URINE_HCG = ("2106-3", "Choriogonadotropin (pregnancy test) [Presence] in Urine")
HBSAG = ("5196-1", "Hepatitis B virus surface Ag [Presence] in Serum or Plasma by Immunoassay")
HBV_DNA = (
    "42595-9",
    "Hepatitis B virus DNA [Units/volume] (viral load) in Serum or Plasma by NAA with probe detection",
)
HCV_RNA = (
    "11259-9",
    "Hepatitis C virus RNA [Presence] in Serum or Plasma by NAA with probe detection",
)
URINE_PROTEIN = ("20454-5", "Protein [Presence] in Urine by Test strip")
HCV_AB = ("13955-0", "Hepatitis C virus Ab [Presence] in Serum or Plasma by Immunoassay")
TSH = ("3016-3", "Thyrotropin [Units/volume] in Serum or Plasma")
FT4 = ("3024-7", "Thyroxine (T4) free [Mass/volume] in Serum or Plasma")
URINE_PROTEIN_24H = ("2889-4", "Protein [Mass/time] in 24 hour Urine")
NEGATIVE = ("260385009", "Negative")
POSITIVE = ("10828004", "Positive")
NOT_DETECTED = ("260415000", "Not detected")
DETECTED = ("260373001", "Detected")

SARCOMA_CODE = "C49.2"
SARCOMA_DISPLAY = "Malignant neoplasm of connective and soft tissue of lower limb, including hip"
LEIOMYOSARCOMA = ("8890/3", "Leiomyosarcoma, NOS")
DOXORUBICIN = "3639"
# Doxorubicin 21-day cycles: six, the last 35 days before (outside the 4-week window of exc-3a).
BASE_CYCLES = (140, 119, 98, 77, 56, 35)


def base(pid: str, birth_date: str = BASE_BIRTH, gender: str = "female") -> PatientBuilder:
    """Return the eligible base patient: every computable criterion is decided in her favour."""
    # Ids carry the trial so every fixture patient is unique across trials (served by id, loaded into one server).
    b = PatientBuilder(f"nct03890068-{pid}", birth_date, gender, AS_OF)
    # Leiomyosarcoma of the thigh: ICD-10-CM C49.2 with the mCODE ICD-O-3 histology 8890/3.
    b.condition(ICD10, SARCOMA_CODE, SARCOMA_DISPLAY, 300, histology=LEIOMYOSARCOMA)
    # The diagnostic biopsy was 300 days ago: far outside the 28-day surgery window.
    b.procedure("86273004", "Biopsy", 300)
    for days in BASE_CYCLES:
        b.medication("doxorubicin", days, code=DOXORUBICIN)
    b.score(*ECOG, 1, days_before=2)
    for lab in LABS.values():
        b.lab(lab.code, lab.display, lab.value, lab.unit, lab.days_before, high=lab.high)
    b.blood_pressure(122, 76, days_before=2)
    b.coded_result(*HBSAG, *NEGATIVE, days_before=5)
    b.coded_result(*HCV_RNA, *NOT_DETECTED, days_before=5)
    b.string_result(*URINE_PROTEIN, "negative", days_before=3)
    if gender != "male":
        b.coded_result(*URINE_HCG, *NEGATIVE, days_before=3)
    return b


def set_lab(
    b: PatientBuilder,
    key: str,
    value: float | None,
    *,
    unit: str | None = None,
    days_before: int | None = None,
    high: float | str | None = "base",
    code: str | None = None,
    display: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Replace a base lab by one with another value (and optionally code, unit, date or reference range)."""
    lab = LABS[key]
    drop(b, lab.code)
    return b.lab(
        code or lab.code,
        display or lab.display,
        value,
        unit or lab.unit,
        lab.days_before if days_before is None else days_before,
        high=lab.high if high == "base" else high,
        **extra,
    )  # type: ignore[arg-type]


def lab(key: str, value: float | None, **kwargs: Any) -> Callable[[PatientBuilder], None]:
    """A change that replaces one base lab (see ``set_lab``)."""

    def change(b: PatientBuilder) -> None:
        set_lab(b, key, value, **kwargs)

    return change


def remove(key_or_code: str) -> Callable[[PatientBuilder], None]:
    """A change that removes a base lab (by LABS key) or any resource with that first code."""
    code = LABS[key_or_code].code if key_or_code in LABS else key_or_code
    return lambda b: drop(b, code)


def ecog(value: int, days_before: int = 2) -> Callable[[PatientBuilder], None]:
    """A change that replaces the ECOG score."""

    def change(b: PatientBuilder) -> None:
        drop(b, ECOG[0])
        b.score(*ECOG, value, days_before=days_before)

    return change


def cycles(
    days: tuple[int, ...], display: str = "doxorubicin", code: str | None = DOXORUBICIN
) -> Callable[[PatientBuilder], None]:
    """A change that replaces the doxorubicin administrations by others on the given days before."""

    def change(b: PatientBuilder) -> None:
        drop(b, DOXORUBICIN)
        for day in days:
            b.medication(display, day, code=code)

    return change


def condition(
    system: str, code: str, display: str, onset: int | None = 200, **kwargs: Any
) -> Callable[[PatientBuilder], None]:
    """A change that adds a Condition."""
    return lambda b: b.condition(system, code, display, onset, **kwargs)


def tumour(
    code: str, display: str, histology: tuple[str, str] | None, verification: str = "confirmed"
) -> Callable[[PatientBuilder], None]:
    """A change that replaces the leiomyosarcoma diagnosis."""

    def change(b: PatientBuilder) -> None:
        drop(b, SARCOMA_CODE)
        b.condition(ICD10, code, display, 300, histology=histology, verification=verification)

    return change


def coded(
    test: tuple[str, str], answer: tuple[str, str], days_before: int = 3, status: str = "final"
) -> Callable[[PatientBuilder], None]:
    """A change that replaces a coded result (pregnancy test, HBsAg, HCV RNA) with another answer."""

    def change(b: PatientBuilder) -> None:
        drop(b, test[0])
        b.coded_result(*test, *answer, days_before=days_before, status=status)

    return change


def liver_metastasis(verification: str = "confirmed") -> Callable[[PatientBuilder], None]:
    """A change adding a liver metastasis (SNOMED 94381002, as mCODE codes a secondary cancer condition)."""
    return lambda b: b.condition(
        SNOMED, "94381002", "Metastatic malignant neoplasm to liver", 60, verification=verification
    )


def urine_protein(
    grade: str | None, protein_24h_g: float | None = None, unit_24h: str = "g/(24.h)"
) -> Callable[[PatientBuilder], None]:
    """A change that sets the dipstick grade (a valueString) and optionally adds a 24-hour urine protein."""

    def change(b: PatientBuilder) -> None:
        if grade is not None:
            drop(b, URINE_PROTEIN[0])
            b.string_result(*URINE_PROTEIN, grade, days_before=3)
        if protein_24h_g is not None:
            b.lab(*URINE_PROTEIN_24H, protein_24h_g, unit_24h, 2)

    return change


def hepatitis_b(
    hbsag: tuple[str, str],
    dna: float | None = None,
    dna_unit: str = "[IU]/mL",
    dna_code: tuple[str, str] = HBV_DNA,
) -> Callable[[PatientBuilder], None]:
    """A change that sets the HBsAg result and optionally adds an HBV DNA viral load."""

    def change(b: PatientBuilder) -> None:
        coded(HBSAG, hbsag, 5)(b)
        if dna is not None:
            b.lab(*dna_code, dna, dna_unit, 5)

    return change


def both(*changes: Callable[[PatientBuilder], None]) -> Callable[[PatientBuilder], None]:
    """A change made of several changes, applied in order."""

    def change(b: PatientBuilder) -> None:
        for each in changes:
            each(b)

    return change


def no_birth_date(b: PatientBuilder) -> None:
    """Remove Patient.birthDate."""
    b.resources[0].pop("birthDate", None)


def unchanged(_b: PatientBuilder) -> None:
    """Leave the base patient as it is."""


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


def fails(criterion: str) -> dict[str, Any]:
    """Keyword arguments of a case failing exactly one criterion (inclusion not-met or exclusion met)."""
    return {
        "verdict": "ineligible",
        "fails": (criterion,),
        "statuses": {criterion: "met" if criterion.startswith("exc") else "not-met"},
    }


def passes(criterion: str, status: str | None = None) -> dict[str, Any]:
    """Keyword arguments of an eligible case pinning one criterion (met for inclusions, not-met for exclusions by default)."""
    return {
        "verdict": "eligible",
        "statuses": {criterion: status or ("not-met" if criterion.startswith("exc") else "met")},
    }


def review(criterion: str) -> dict[str, Any]:
    """Keyword arguments of a case where a reviewWhen criterion turns to review (eligible, nothing failed)."""
    return {"verdict": "eligible", "statuses": {criterion: "review"}}


def unknown(criterion: str) -> dict[str, Any]:
    """Keyword arguments of a case where one criterion is unknown (insufficient data, nothing failed)."""
    return {"verdict": "insufficient-data", "statuses": {criterion: "unknown"}}


def case(
    name: str,
    description: str,
    change: Callable[[PatientBuilder], None],
    expect: dict[str, Any],
    **kwargs: Any,
) -> Case:
    """Build a Case from an expectation made by fails()/passes()/review()/unknown()."""
    return Case(name, description, change, **expect, **kwargs)


BASE_STATUSES = {
    "inc-2": "met",
    "inc-3": "met",
    "inc-5a": "met",
    "inc-5b": "met",
    "inc-7a": "met",
    "inc-8a": "met",
    "inc-8b": "met",
    "inc-8c": "met",
    "inc-8d": "met",
    "inc-8e": "met",
    "inc-8f": "met",
    "inc-8g": "met",
    "inc-8h": "met",
    "inc-8i": "met",
    "inc-8j": "met",
    "inc-9b": "review",
    "inc-9c": "met",
    "exc-1": "not-met",
    "exc-2": "not-met",
    "exc-3a": "not-met",
    "exc-3b": "not-met",
    "exc-6": "not-met",
    "exc-7": "not-met",
    "exc-8": "not-met",
    "exc-9a": "not-met",
    "exc-9b": "not-met",
    "exc-9l": "not-met",
    "exc-9c": "not-met",
    "exc-9d": "not-met",
    "exc-9e": "not-met",
    "exc-9g": "not-met",
    "exc-9h": "not-met",
    "exc-9j": "not-met",
    "exc-9k": "not-met",
    "exc-10a": "not-met",
    "exc-12b": "not-met",
    "exc-13": "not-met",
    "exc-14a": "not-met",
    "exc-14b": "not-met",
    "inc-1": "review",
    "inc-4": "review",
    "inc-5c": "review",
    "inc-6": "review",
    "exc-3c": "review",
    "inc-7b": "review",
    "inc-9a": "review",
    "inc-9d": "review",
    "exc-4": "review",
    "exc-5": "review",
    "exc-9f": "review",
    "exc-9i": "review",
    "exc-10b": "review",
    "exc-11": "review",
    "exc-12a": "review",
    "exc-15": "review",
    "exc-16": "review",
}

CASES: list[Case] = [
    # The base: every computable criterion decided in her favour; review criteria stay 'review'; nothing unknown.
    Case(
        "eligible",
        "50-year-old woman with metastatic leiomyosarcoma, stable after six doxorubicin cycles, fit, normal organ function, no exclusions.",
        unchanged,
        "eligible",
        statuses=BASE_STATUSES,
    ),
    # A man needs no pregnancy test and cannot be lactating; QTc 430 is under the male limit.
    Case(
        "eligible-male",
        "The base patient as a man with no pregnancy test: the women-only criteria are met from sex alone.",
        unchanged,
        "eligible",
        statuses={"inc-9b": "met", "inc-9c": "met", "exc-9c": "not-met"},
        gender="male",
    ),
    # --- inc-2: 18-70 years on the as-of date (the birthday itself counts) ---
    case(
        "age-18-birthday-today",
        "Base patient whose 18th birthday is the as-of date: aged 18, in range.",
        unchanged,
        passes("inc-2"),
        birth_date="2008-11-20",
    ),
    case(
        "age-17-turns-18-tomorrow",
        "Base patient turning 18 the day after the as-of date: still 17, too young.",
        unchanged,
        fails("inc-2"),
        birth_date="2008-11-21",
    ),
    case(
        "age-70-birthday-today",
        "Base patient whose 70th birthday is the as-of date: aged 70, in range (≤ 70).",
        unchanged,
        passes("inc-2"),
        birth_date="1956-11-20",
    ),
    case(
        "age-70-turns-71-tomorrow",
        "Base patient turning 71 the day after the as-of date: still 70, in range.",
        unchanged,
        passes("inc-2"),
        birth_date="1955-11-21",
    ),
    case(
        "age-71-birthday-today",
        "Base patient whose 71st birthday is the as-of date: aged 71, too old.",
        unchanged,
        fails("inc-2"),
        birth_date="1955-11-20",
    ),
    # No birthDate: age unknown (and Cockcroft-Gault unknown, but the creatinine ratio alone meets inc-8d).
    case(
        "no-birth-date",
        "Base patient whose Patient resource has no birthDate: age unknown.",
        no_birth_date,
        unknown("inc-2"),
    ),
    # --- inc-3: ECOG 0-2 ---
    case("ecog-2", "Base patient with ECOG 2: at the upper limit, met.", ecog(2), passes("inc-3")),
    case("ecog-3", "Base patient with ECOG 3: above the limit.", ecog(3), fails("inc-3")),
    # ECOG given as a LOINC answer code (LA9624-3 = 2) rather than an integer.
    case(
        "ecog-2-loinc-answer",
        "Base patient whose ECOG is recorded as the LOINC answer LA9624-3 (grade 2): met.",
        both(
            remove(ECOG[0]),
            lambda b: b.coded_result(*ECOG, "LA9624-3", "2", days_before=2, answer_system=LOINC),
        ),
        passes("inc-3"),
    ),
    # Lookback 14 days: an ECOG 15 days old is stale, so unknown (not met and not failed).
    case(
        "ecog-stale-15-days",
        "Base patient whose only ECOG is 15 days old (lookback 14): unknown.",
        ecog(1, days_before=15),
        unknown("inc-3"),
    ),
    # --- inc-5a / inc-5b: soft tissue sarcoma, not an excluded subtype ---
    # The only sarcoma Condition is refuted: ignored, so no soft tissue sarcoma on record.
    case(
        "sarcoma-refuted",
        "Base patient whose only sarcoma Condition has verificationStatus 'refuted': no sarcoma on record.",
        tumour(SARCOMA_CODE, SARCOMA_DISPLAY, LEIOMYOSARCOMA, verification="refuted"),
        fails("inc-5a"),
    ),
    # Provisional diagnosis: neither confirmed nor refuted, so unknown.
    case(
        "sarcoma-provisional",
        "Base patient whose sarcoma diagnosis is only provisional: soft tissue sarcoma unknown.",
        tumour(SARCOMA_CODE, SARCOMA_DISPLAY, LEIOMYOSARCOMA, verification="provisional"),
        unknown("inc-5a"),
    ),
    # MPNST is a soft tissue sarcoma (inc-5a met) that the trial excludes (inc-5b not met).
    case(
        "mpnst",
        "Base patient whose sarcoma is a malignant peripheral nerve sheath tumour (ICD-O-3 9540/3): an excluded subtype.",
        tumour(
            SARCOMA_CODE, SARCOMA_DISPLAY, ("9540/3", "Malignant peripheral nerve sheath tumor")
        ),
        fails("inc-5b"),
    ),
    case(
        "gist",
        "Base patient whose sarcoma is a gastrointestinal stromal tumour (C49.A2, ICD-O-3 8936/3): an excluded subtype.",
        tumour(
            "C49.A2",
            "Gastrointestinal stromal tumor of stomach",
            ("8936/3", "Gastrointestinal stromal tumor"),
        ),
        fails("inc-5b"),
    ),
    # Uterine leiomyosarcoma is coded to the uterus (C54.2), not C49: the histology makes it a soft tissue sarcoma
    # and keeps it out of 'other malignancy'.
    case(
        "uterine-leiomyosarcoma",
        "Base patient whose leiomyosarcoma is of the myometrium (C54.2 with ICD-O-3 8890/3): eligible.",
        tumour("C54.2", "Malignant neoplasm of myometrium", LEIOMYOSARCOMA),
        {"verdict": "eligible", "statuses": {"inc-5a": "met", "inc-5b": "met", "exc-2": "not-met"}},
    ),
    # --- inc-7a: at least 4 anthracycline cycles (administrations within 7 days are one cycle) ---
    case(
        "anthracycline-4-cycles",
        "Base patient with exactly four doxorubicin cycles: met.",
        cycles((98, 77, 56, 35)),
        passes("inc-7a"),
    ),
    # Fewer cycles on record than required: the rest may have been given elsewhere, so review, not a hard no.
    case(
        "anthracycline-3-cycles",
        "Base patient with only three doxorubicin cycles on record: the others may be elsewhere, review.",
        cycles((77, 56, 35)),
        review("inc-7a"),
    ),
    # Nine administrations, but days 1-3 of three cycles: three cycles, not nine.
    case(
        "anthracycline-3-cycles-split-days",
        "Base patient with three doxorubicin cycles each given over three consecutive days: 3 cycles, review.",
        cycles((79, 78, 77, 58, 57, 56, 37, 36, 35)),
        review("inc-7a"),
    ),
    # Epirubicin known only by name (no RxNorm/ATC coding): still counted.
    case(
        "epirubicin-by-name",
        "Base patient whose four anthracycline cycles are epirubicin recorded by name only (no code): met.",
        cycles((98, 77, 56, 35), display="Epirubicin hydrochloride 75 mg/m2 IV", code=None),
        passes("inc-7a"),
    ),
    # --- inc-8a: haemoglobin ≥ 80 g/L (lookback 14 days) ---
    case(
        "hb-80",
        "Base patient with haemoglobin exactly 80 g/L: met.",
        lab("hemoglobin", 80),
        passes("inc-8a"),
    ),
    case("hb-79", "Base patient with haemoglobin 79 g/L.", lab("hemoglobin", 79), fails("inc-8a")),
    case(
        "hb-8.0-g-dl",
        "Base patient with haemoglobin reported as 8.0 g/dL (= 80 g/L): met.",
        lab("hemoglobin", 8.0, unit="g/dL"),
        passes("inc-8a"),
    ),
    case(
        "hb-7.9-g-dl",
        "Base patient with haemoglobin reported as 7.9 g/dL (= 79 g/L).",
        lab("hemoglobin", 7.9, unit="g/dL"),
        fails("inc-8a"),
    ),
    # 4.9 mmol/L (monomer) × 16.1145 = 79.0 g/L.
    case(
        "hb-4.9-mmol-l",
        "Base patient with haemoglobin reported as 4.9 mmol/L (LOINC 59260-0; = 79.0 g/L).",
        lab(
            "hemoglobin",
            4.9,
            unit="mmol/L",
            code="59260-0",
            display="Hemoglobin [Moles/volume] in Blood",
        ),
        fails("inc-8a"),
    ),
    # One day outside the 14-day lookback: unknown, and the reason names the latest date (2026-11-05).
    case(
        "hb-stale-15-days",
        "Base patient whose only haemoglobin is 15 days old (lookback 14): unknown.",
        lab("hemoglobin", 118, days_before=15),
        unknown("inc-8a"),
    ),
    # A newer haemoglobin of 70 g/L entered in error is ignored; the valid 118 g/L decides.
    case(
        "hb-entered-in-error",
        "Base patient with a newer haemoglobin of 70 g/L marked entered-in-error: ignored, met on the valid result.",
        lambda b: b.lab(
            LABS["hemoglobin"].code,
            LABS["hemoglobin"].display,
            70,
            "g/L",
            1,
            status="entered-in-error",
        ),
        passes("inc-8a"),
    ),
    # --- inc-8b: ANC ≥ 1.5 × 10⁹/L ---
    case(
        "anc-1.5",
        "Base patient with ANC exactly 1.5 × 10⁹/L: met.",
        lab("anc", 1.5),
        passes("inc-8b"),
    ),
    case("anc-1.4", "Base patient with ANC 1.4 × 10⁹/L.", lab("anc", 1.4), fails("inc-8b")),
    case(
        "anc-1500-per-ul",
        "Base patient with ANC reported as 1500 /uL (= 1.5 × 10⁹/L): met.",
        lab("anc", 1500, unit="/uL"),
        passes("inc-8b"),
    ),
    case(
        "anc-1490-per-ul",
        "Base patient with ANC reported as 1490 /uL (= 1.49 × 10⁹/L).",
        lab("anc", 1490, unit="/uL"),
        fails("inc-8b"),
    ),
    # --- inc-8c: platelets ≥ 80 × 10⁹/L ---
    case(
        "plt-80",
        "Base patient with platelets exactly 80 × 10⁹/L: met.",
        lab("platelets", 80),
        passes("inc-8c"),
    ),
    case(
        "plt-79", "Base patient with platelets 79 × 10⁹/L.", lab("platelets", 79), fails("inc-8c")
    ),
    # --- inc-8d: creatinine ≤ 1.5 × ULN OR Cockcroft-Gault CrCl ≥ 60 mL/min ---
    # 1.65 / 1.1 = 1.5 × ULN exactly.
    case(
        "creatinine-1.5-uln",
        "Base patient with creatinine 1.65 mg/dL (ULN 1.1) = 1.5 × ULN exactly: met.",
        lab("creatinine", 1.65),
        passes("inc-8d"),
    ),
    # Ratio false (1.4/0.9 = 1.56), CrCl true ((140-50) × 90 × 0.85 / (72 × 1.4) = 68.3): met.
    case(
        "creatinine-high-crcl-ok",
        "Base patient (90 kg) with creatinine 1.4 mg/dL, ULN 0.9 (1.56 × ULN) but CrCl 68 mL/min: met by clearance.",
        both(lab("creatinine", 1.4, high=0.9), lab("weight", 90)),
        passes("inc-8d"),
    ),
    # Both false: 1.56 × ULN and CrCl (140-50) × 60 × 0.85 / (72 × 1.4) = 45.5.
    case(
        "creatinine-high-crcl-low",
        "Base patient (60 kg) with creatinine 1.4 mg/dL, ULN 0.9 (1.56 × ULN) and CrCl 45 mL/min.",
        lab("creatinine", 1.4, high=0.9),
        fails("inc-8d"),
    ),
    # Ratio false, CrCl unknown (no body weight): unknown, never not-met.
    case(
        "creatinine-high-no-weight",
        "Base patient with creatinine 1.56 × ULN and no body weight on record: CrCl cannot be computed, unknown.",
        both(lab("creatinine", 1.4, high=0.9), remove("weight")),
        unknown("inc-8d"),
    ),
    # µmol/L: 130/84 = 1.55 × ULN; 130 µmol/L = 1.47 mg/dL, CrCl 90 × 90 × 0.85 / (72 × 1.47) = 65.0: met by clearance.
    case(
        "creatinine-umol-crcl-ok",
        "Base patient (90 kg) with creatinine 130 µmol/L, ULN 84 µmol/L (1.55 × ULN) but CrCl 65 mL/min: met.",
        both(
            lab(
                "creatinine",
                130,
                unit="umol/L",
                high=84,
                code="14682-9",
                display="Creatinine [Moles/volume] in Serum or Plasma",
            ),
            lab("weight", 90),
        ),
        passes("inc-8d"),
    ),
    # Male, 50 y, 72 kg, creatinine 1.5 mg/dL: CrCl = 90 × 72 / (72 × 1.5) = 60.0 exactly; ratio 1.5/0.9 = 1.67 fails.
    case(
        "crcl-60-male",
        "Male base patient (72 kg) with creatinine 1.5 mg/dL, ULN 0.9 (1.67 × ULN) and CrCl exactly 60 mL/min: met.",
        both(lab("creatinine", 1.5, high=0.9), lab("weight", 72)),
        passes("inc-8d"),
        gender="male",
    ),
    # --- inc-8e: BUN ≤ 2.5 × ULN ---
    case(
        "bun-2.5-uln",
        "Base patient with BUN 50 mg/dL (ULN 20) = 2.5 × ULN exactly: met.",
        lab("bun", 50),
        passes("inc-8e"),
    ),
    case(
        "bun-2.6-uln",
        "Base patient with BUN 52 mg/dL (ULN 20) = 2.6 × ULN.",
        lab("bun", 52),
        fails("inc-8e"),
    ),
    # --- inc-8f: total bilirubin ≤ 1.5 × ULN ---
    case(
        "bilirubin-1.5-uln",
        "Base patient with total bilirubin 1.8 mg/dL (ULN 1.2) = 1.5 × ULN exactly: met.",
        lab("bilirubin", 1.8),
        passes("inc-8f"),
    ),
    case(
        "bilirubin-1.6-uln",
        "Base patient with total bilirubin 1.92 mg/dL (ULN 1.2) = 1.6 × ULN.",
        lab("bilirubin", 1.92),
        fails("inc-8f"),
    ),
    # µmol/L with its own reference range: 30/21 = 1.43 × ULN.
    case(
        "bilirubin-umol",
        "Base patient with total bilirubin 30 µmol/L (ULN 21 µmol/L) = 1.43 × ULN: met.",
        lab(
            "bilirubin",
            30,
            unit="umol/L",
            high=21,
            code="14631-6",
            display="Bilirubin.total [Moles/volume] in Serum or Plasma",
        ),
        passes("inc-8f"),
    ),
    # µmol/L with no reference range: the documented default ULN 1.2 mg/dL is converted (= 20.5 µmol/L): 30/20.5 = 1.46 × ULN.
    case(
        "bilirubin-umol-no-range",
        "Base patient with total bilirubin 30 µmol/L and no referenceRange: 1.46 × the default ULN (1.2 mg/dL = 20.5 µmol/L), met.",
        lab(
            "bilirubin",
            30,
            unit="umol/L",
            high=None,
            code="14631-6",
            display="Bilirubin.total [Moles/volume] in Serum or Plasma",
        ),
        passes("inc-8f"),
    ),
    # The same without a range at 32 µmol/L: 1.56 × the default ULN.
    case(
        "bilirubin-umol-no-range-high",
        "Base patient with total bilirubin 32 µmol/L and no referenceRange: 1.56 × the default ULN (20.5 µmol/L).",
        lab(
            "bilirubin",
            32,
            unit="umol/L",
            high=None,
            code="14631-6",
            display="Bilirubin.total [Moles/volume] in Serum or Plasma",
        ),
        fails("inc-8f"),
    ),
    # A result below the assay's limit ('<0.3 mg/dL') is decided by its upper bound.
    case(
        "bilirubin-below-limit",
        "Base patient with total bilirubin reported as <0.3 mg/dL: met.",
        lab("bilirubin", 0.3, comparator="<"),
        passes("inc-8f"),
    ),
    # --- inc-8g / inc-8h: AST and ALT ≤ 2.5 × ULN (≤ 5 × ULN with liver metastases) ---
    case(
        "ast-2.5-uln",
        "Base patient with AST 100 U/L (ULN 40) = 2.5 × ULN exactly: met.",
        lab("ast", 100),
        passes("inc-8g"),
    ),
    case(
        "ast-2.6-uln",
        "Base patient with AST 104 U/L (ULN 40) = 2.6 × ULN and no liver metastases coded: review (liver involvement may be only in imaging).",
        lab("ast", 104),
        review("inc-8g"),
    ),
    case(
        "alt-2.5-uln",
        "Base patient with ALT 100 U/L (ULN 40) = 2.5 × ULN exactly: met.",
        lab("alt", 100),
        passes("inc-8h"),
    ),
    case(
        "alt-2.6-uln",
        "Base patient with ALT 104 U/L (ULN 40) = 2.6 × ULN and no liver metastases coded: review.",
        lab("alt", 104),
        review("inc-8h"),
    ),
    case(
        "liver-mets-4-uln",
        "Base patient with liver metastases and AST and ALT 4 × ULN: within the 5 × ULN limit.",
        both(liver_metastasis(), lab("ast", 160), lab("alt", 160)),
        {"verdict": "eligible", "statuses": {"inc-8g": "met", "inc-8h": "met", "exc-2": "not-met"}},
    ),
    case(
        "liver-mets-ast-5-uln",
        "Base patient with liver metastases and AST 200 U/L (ULN 40) = 5 × ULN exactly: met.",
        both(liver_metastasis(), lab("ast", 200)),
        passes("inc-8g"),
    ),
    case(
        "liver-mets-ast-5.1-uln",
        "Base patient with liver metastases and AST 204 U/L (ULN 40) = 5.1 × ULN.",
        both(liver_metastasis(), lab("ast", 204)),
        fails("inc-8g"),
    ),
    case(
        "liver-mets-alt-5.1-uln",
        "Base patient with liver metastases and ALT 204 U/L (ULN 40) = 5.1 × ULN.",
        both(liver_metastasis(), lab("alt", 204)),
        fails("inc-8h"),
    ),
    # A refuted liver metastasis is ignored, so the 2.5 × ULN limit applies to AST 4 × ULN.
    case(
        "liver-mets-refuted-ast-4-uln",
        "Base patient with a refuted liver metastasis and AST 4 × ULN: no liver involvement on record, so review.",
        both(liver_metastasis("refuted"), lab("ast", 160)),
        review("inc-8g"),
    ),
    # A provisional liver metastasis with AST 4 × ULN: the 2.5 × ULN side is false and the 5 × ULN side hangs on
    # an unconfirmed diagnosis, so unknown (never not-met).
    case(
        "liver-mets-provisional-ast-4-uln",
        "Base patient with a provisional liver metastasis and AST 4 × ULN: which limit applies is unknown.",
        both(liver_metastasis("provisional"), lab("ast", 160)),
        unknown("inc-8g"),
    ),
    # Liver metastasis coded ICD-10-CM C78.7: a metastasis of the sarcoma, not another malignancy (exc-2 not met).
    case(
        "liver-mets-icd10-ast-4-uln",
        "Base patient with liver metastases coded ICD-10-CM C78.7 and AST 4 × ULN: met, and not another primary.",
        both(
            lambda b: b.condition(
                ICD10,
                "C78.7",
                "Secondary malignant neoplasm of liver and intrahepatic bile duct",
                60,
            ),
            lab("ast", 160),
        ),
        {"verdict": "eligible", "statuses": {"inc-8g": "met", "exc-2": "not-met"}},
    ),
    # No AST at all: unknown whichever branch.
    case(
        "ast-missing",
        "Base patient with no AST on record: unknown.",
        remove("ast"),
        unknown("inc-8g"),
    ),
    # --- inc-8i: albumin ≥ 25 g/L ---
    case(
        "albumin-25",
        "Base patient with albumin exactly 25 g/L: met.",
        lab("albumin", 25),
        passes("inc-8i"),
    ),
    case("albumin-24", "Base patient with albumin 24 g/L.", lab("albumin", 24), fails("inc-8i")),
    case(
        "albumin-2.5-g-dl",
        "Base patient with albumin reported as 2.5 g/dL (= 25 g/L): met.",
        lab("albumin", 2.5, unit="g/dL"),
        passes("inc-8i"),
    ),
    # --- inc-8j: LVEF ≥ 50 % (lookback 90 days) ---
    case("lvef-50", "Base patient with LVEF exactly 50 %: met.", lab("lvef", 50), passes("inc-8j")),
    case("lvef-49", "Base patient with LVEF 49 %.", lab("lvef", 49), fails("inc-8j")),
    case(
        "lvef-stale-29-days",
        "Base patient whose only LVEF is 29 days old (lookback 28 after anthracyclines): unknown.",
        lab("lvef", 62, days_before=29),
        unknown("inc-8j"),
    ),
    case(
        "lvef-28-days",
        "Base patient whose LVEF is 28 days old: still inside the lookback, met.",
        lab("lvef", 62, days_before=28),
        passes("inc-8j"),
    ),
    # --- inc-9b / inc-9c: women not lactating, negative pregnancy test within 7 days ---
    case(
        "lactating",
        "Base patient who is breastfeeding (SNOMED 413712001).",
        condition(SNOMED, "413712001", "Breastfeeding (mother)", 90),
        fails("inc-9b"),
    ),
    case(
        "pregnancy-test-positive",
        "Base patient with a positive urine pregnancy test 2 days before.",
        coded(URINE_HCG, POSITIVE, 2),
        fails("inc-9c"),
    ),
    case(
        "pregnancy-test-7-days",
        "Base patient whose negative pregnancy test is 7 days old: inside the window, met.",
        coded(URINE_HCG, NEGATIVE, 7),
        passes("inc-9c"),
    ),
    # She is 50: whether she can still become pregnant is for the study team, so review (a woman of 34 is unknown, below).
    case(
        "pregnancy-test-8-days",
        "Base patient (50) whose only negative pregnancy test is 8 days old: outside 7 days; childbearing potential to confirm.",
        coded(URINE_HCG, NEGATIVE, 8),
        review("inc-9c"),
    ),
    case(
        "pregnancy-test-positive-entered-in-error",
        "Base patient with a newer positive pregnancy test entered in error: ignored, met.",
        lambda b: b.coded_result(*URINE_HCG, *POSITIVE, days_before=1, status="entered-in-error"),
        passes("inc-9c"),
    ),
    # Serum test instead of urine: the rule accepts either.
    case(
        "pregnancy-test-serum",
        "Base patient whose negative pregnancy test is a serum hCG (2118-8) instead of urine: met.",
        both(
            remove(URINE_HCG[0]),
            lambda b: b.coded_result(
                "2118-8",
                "Choriogonadotropin (pregnancy test) [Presence] in Serum or Plasma",
                *NEGATIVE,
                2,
            ),
        ),
        passes("inc-9c"),
    ),
    # --- exc-1: prior anlotinib ---
    # Anlotinib has no RxNorm/ATC code: matched by name, 200 days ago (outside the 4-week therapy window).
    case(
        "prior-anlotinib",
        "Base patient who took anlotinib (recorded by name only) 200 days before.",
        lambda b: b.medication(
            "Anlotinib hydrochloride capsules 12 mg", 200, code=None, kind="MedicationStatement"
        ),
        passes("exc-1", "review"),
    ),
    # The same statement entered in error does not count.
    case(
        "prior-anlotinib-entered-in-error",
        "Base patient whose only anlotinib record is entered-in-error: ignored.",
        lambda b: b.medication(
            "Anlotinib hydrochloride capsules 12 mg",
            200,
            code=None,
            kind="MedicationStatement",
            status="entered-in-error",
        ),
        passes("exc-1"),
    ),
    # --- exc-2: other malignancy within 5 years (1,826 days) ---
    case(
        "breast-cancer-3y",
        "Base patient with an active breast cancer diagnosed 3 years before.",
        condition(
            ICD10, "C50.911", "Malignant neoplasm of unspecified site of right female breast", 1100
        ),
        fails("exc-2"),
    ),
    # Resolved exactly 1,826 days before: still within 5 years.
    case(
        "other-cancer-resolved-1826-days",
        "Base patient whose papillary thyroid cancer resolved 1,826 days before: within 5 years.",
        condition(
            ICD10,
            "C73",
            "Malignant neoplasm of thyroid gland",
            2500,
            clinical="resolved",
            abatement_days_before=1826,
        ),
        fails("exc-2"),
    ),
    case(
        "other-cancer-resolved-1827-days",
        "Base patient whose papillary thyroid cancer resolved 1,827 days before: more than 5 years.",
        condition(
            ICD10,
            "C73",
            "Malignant neoplasm of thyroid gland",
            2500,
            clinical="resolved",
            abatement_days_before=1827,
        ),
        passes("exc-2"),
    ),
    # --- exc-3a: systemic anti-tumour therapy in the 4 weeks (28 days) before ---
    # Ifosfamide known only by name (no code), 28 days before: inside the window.
    case(
        "ifosfamide-28-days",
        "Base patient given ifosfamide (by name only) 28 days before: inside the 4-week window.",
        lambda b: b.medication("Ifosfamide 2 g/m2 IV", 28, code=None),
        passes("exc-3a", "review"),
    ),
    case(
        "ifosfamide-29-days",
        "Base patient given ifosfamide (by name only) 29 days before: outside the 4-week window.",
        lambda b: b.medication("Ifosfamide 2 g/m2 IV", 29, code=None),
        passes("exc-3a"),
    ),
    # The last doxorubicin cycle 28 days before (four cycles in all): inc-7a still met, exc-3a met.
    case(
        "doxorubicin-28-days",
        "Base patient whose last doxorubicin cycle was 28 days before.",
        cycles((91, 70, 49, 28)),
        fails("exc-3a"),
    ),
    # --- exc-3b: radiotherapy in the 4 weeks before ---
    case(
        "radiotherapy-28-days",
        "Base patient treated with teleradiotherapy 28 days before: whether it was extended-field is for review.",
        lambda b: b.procedure("33195004", "Teleradiotherapy procedure", 28),
        review("exc-3b"),
    ),
    case(
        "radiotherapy-29-days",
        "Base patient treated with teleradiotherapy 29 days before.",
        lambda b: b.procedure("33195004", "Teleradiotherapy procedure", 29),
        passes("exc-3b"),
    ),
    # --- exc-6 / exc-7 / exc-8: met turns to review ---
    case(
        "pleural-effusion",
        "Base patient with an active pleural effusion: whether it causes grade > 2 dyspnoea is for review.",
        condition(SNOMED, "60046008", "Pleural effusion", 20),
        review("exc-6"),
    ),
    case(
        "brain-metastases",
        "Base patient with brain metastases (SNOMED 94225005): symptom control is for review.",
        condition(SNOMED, "94225005", "Secondary malignant neoplasm of brain", 40),
        review("exc-7"),
    ),
    case(
        "hypothyroidism",
        "Base patient with active hypothyroidism: whether it persists after treatment is for review.",
        condition(SNOMED, "40930008", "Hypothyroidism", 100),
        review("exc-8"),
    ),
    # Resolved hyperthyroidism: activeOnly, so not on record as current.
    case(
        "hyperthyroidism-resolved",
        "Base patient whose hyperthyroidism is resolved: not current thyroid dysfunction.",
        condition(
            ICD10,
            "E05.90",
            "Thyrotoxicosis, unspecified without thyrotoxic crisis or storm",
            900,
            clinical="resolved",
            abatement_days_before=400,
        ),
        passes("exc-8"),
    ),
    # --- exc-9a: systolic ≥ 140 or diastolic ≥ 90 mmHg ---
    case(
        "bp-140-80",
        "Base patient with blood pressure 140/80 mmHg: systolic at the limit; 'despite optimal drug treatment' is for review.",
        both(remove("85354-9"), lambda b: b.blood_pressure(140, 80, 2)),
        review("exc-9a"),
    ),
    case(
        "bp-130-90",
        "Base patient with blood pressure 130/90 mmHg: diastolic at the limit; for review.",
        both(remove("85354-9"), lambda b: b.blood_pressure(130, 90, 2)),
        review("exc-9a"),
    ),
    case(
        "bp-139-89",
        "Base patient with blood pressure 139/89 mmHg: just under both limits.",
        both(remove("85354-9"), lambda b: b.blood_pressure(139, 89, 2)),
        passes("exc-9a"),
    ),
    # An older high reading followed by a normal one: the latest decides.
    case(
        "bp-high-then-normal",
        "Base patient with 152/94 mmHg 10 days before and 122/76 mmHg 2 days before: the latest is normal.",
        lambda b: b.blood_pressure(152, 94, 10),
        passes("exc-9a"),
    ),
    # Both sides unknown: no blood pressure in 14 days.
    case(
        "bp-missing",
        "Base patient with no blood pressure on record: unknown.",
        remove("85354-9"),
        unknown("exc-9a"),
    ),
    # --- exc-9b: arrhythmia or myocardial infarction (met turns to review) ---
    case(
        "atrial-fibrillation",
        "Base patient with active atrial fibrillation: grade and control are for review.",
        condition(SNOMED, "49436004", "Atrial fibrillation", 400),
        review("exc-9b"),
    ),
    case(
        "old-mi",
        "Base patient with a myocardial infarction 3 years before: for review (exc-9l, split from the arrhythmia part).",
        condition(
            SNOMED,
            "22298006",
            "Myocardial infarction",
            1100,
            clinical="resolved",
            abatement_days_before=1090,
        ),
        {"verdict": "eligible", "statuses": {"exc-9l": "review", "exc-9b": "not-met"}},
    ),
    # --- exc-9c: QTc ≥ 450 ms (men) / ≥ 470 ms (women) ---
    case(
        "qtc-470-woman",
        "Base patient (woman) with QTc exactly 470 ms: at the women's limit.",
        lab("qtc", 470),
        fails("exc-9c"),
    ),
    case(
        "qtc-469-woman",
        "Base patient (woman) with QTc 469 ms: under the women's limit.",
        lab("qtc", 469),
        passes("exc-9c"),
    ),
    case(
        "qtc-460-woman",
        "Base patient (woman) with QTc 460 ms: over the men's limit but under the women's.",
        lab("qtc", 460),
        passes("exc-9c"),
    ),
    case(
        "qtc-450-man",
        "Male base patient with QTc exactly 450 ms: at the men's limit.",
        lab("qtc", 450),
        fails("exc-9c"),
        gender="male",
    ),
    case(
        "qtc-449-man",
        "Male base patient with QTc 449 ms: under the men's limit.",
        lab("qtc", 449),
        passes("exc-9c"),
        gender="male",
    ),
    # Gender 'unknown': the sex-specific limit cannot be chosen for 460 ms (inc-9b/9c are met from the negative test).
    case(
        "qtc-460-sex-unknown",
        "Base patient with Patient.gender 'unknown' and QTc 460 ms: which limit applies is unknown.",
        lab("qtc", 460),
        {
            "verdict": "insufficient-data",
            "statuses": {"exc-9c": "unknown", "inc-9b": "review", "inc-9c": "met"},
        },
        gender="unknown",
    ),
    case(
        "qtc-stale-29-days",
        "Base patient whose only QTc is 29 days old (lookback 28): unknown.",
        lab("qtc", 430, days_before=29),
        unknown("exc-9c"),
    ),
    # --- exc-9d: congestive heart failure (met turns to review) ---
    case(
        "heart-failure",
        "Base patient with chronic congestive heart failure: NYHA class is for review.",
        condition(SNOMED, "88805009", "Chronic congestive heart failure", 500),
        review("exc-9d"),
    ),
    # --- exc-9e: diabetes with fasting glucose > 10 mmol/L ---
    case(
        "diabetes-glucose-10.1",
        "Base patient with type 2 diabetes and fasting glucose 10.1 mmol/L.",
        both(
            condition(ICD10, "E11.9", "Type 2 diabetes mellitus without complications", 2000),
            lab("glucose", 10.1),
        ),
        fails("exc-9e"),
    ),
    case(
        "diabetes-glucose-10.0",
        "Base patient with type 2 diabetes and fasting glucose exactly 10.0 mmol/L: not above the limit.",
        both(
            condition(ICD10, "E11.9", "Type 2 diabetes mellitus without complications", 2000),
            lab("glucose", 10.0),
        ),
        passes("exc-9e"),
    ),
    # 182 mg/dL / 18.016 = 10.10 mmol/L.
    case(
        "diabetes-glucose-182-mg-dl",
        "Base patient with type 2 diabetes and fasting glucose 182 mg/dL (= 10.1 mmol/L).",
        both(
            condition(ICD10, "E11.9", "Type 2 diabetes mellitus without complications", 2000),
            lab(
                "glucose",
                182,
                unit="mg/dL",
                code="1558-6",
                display="Fasting glucose [Mass/volume] in Serum or Plasma",
            ),
        ),
        fails("exc-9e"),
    ),
    # 180 mg/dL = 9.99 mmol/L.
    case(
        "diabetes-glucose-180-mg-dl",
        "Base patient with type 2 diabetes and fasting glucose 180 mg/dL (= 9.99 mmol/L): not above the limit.",
        both(
            condition(ICD10, "E11.9", "Type 2 diabetes mellitus without complications", 2000),
            lab(
                "glucose",
                180,
                unit="mg/dL",
                code="1558-6",
                display="Fasting glucose [Mass/volume] in Serum or Plasma",
            ),
        ),
        passes("exc-9e"),
    ),
    # High glucose without diabetes on record: the document defines poor control by the glucose alone.
    case(
        "no-diabetes-glucose-12",
        "Base patient without diabetes on record and fasting glucose 12 mmol/L: excluded by the glucose alone.",
        lab("glucose", 12),
        fails("exc-9e"),
    ),
    # Diabetes with no fasting glucose: unknown.
    case(
        "diabetes-no-glucose",
        "Base patient with type 2 diabetes and no fasting glucose on record: unknown.",
        both(
            condition(ICD10, "E11.9", "Type 2 diabetes mellitus without complications", 2000),
            remove("glucose"),
        ),
        unknown("exc-9e"),
    ),
    # --- exc-9g: HBsAg positive AND HBV DNA ≥ 500 IU/mL ---
    case(
        "hbv-dna-500",
        "Base patient HBsAg-positive with HBV DNA exactly 500 IU/mL: active hepatitis B.",
        hepatitis_b(POSITIVE, 500),
        fails("exc-9g"),
    ),
    case(
        "hbv-dna-499",
        "Base patient HBsAg-positive with HBV DNA 499 IU/mL: not active.",
        hepatitis_b(POSITIVE, 499),
        passes("exc-9g"),
    ),
    case(
        "hbv-dna-missing",
        "Base patient HBsAg-positive with no HBV DNA: unknown.",
        hepatitis_b(POSITIVE),
        unknown("exc-9g"),
    ),
    # copies/mL is not converted to IU/mL (the factor depends on the assay): unknown.
    case(
        "hbv-dna-copies",
        "Base patient HBsAg-positive with HBV DNA 2000 copies/mL (LOINC 29615-2): not convertible to IU/mL, unknown.",
        hepatitis_b(
            POSITIVE,
            2000,
            "{copies}/mL",
            (
                "29615-2",
                "Hepatitis B virus DNA [#/volume] (viral load) in Serum or Plasma by NAA with probe detection",
            ),
        ),
        unknown("exc-9g"),
    ),
    case(
        "hbsag-missing",
        "Base patient with no HBsAg result: unknown.",
        remove(HBSAG[0]),
        unknown("exc-9g"),
    ),
    # --- exc-9h: HCV RNA positive AND abnormal liver function (ALT or AST > ULN) ---
    case(
        "hcv-rna-alt-1.2-uln",
        "Base patient with HCV RNA detected and ALT 48 U/L (1.2 × ULN): active hepatitis C.",
        both(coded(HCV_RNA, DETECTED, 5), lab("alt", 48)),
        fails("exc-9h"),
    ),
    case(
        "hcv-rna-normal-lft",
        "Base patient with HCV RNA detected but normal ALT and AST: not active by the trial's definition.",
        coded(HCV_RNA, DETECTED, 5),
        passes("exc-9h"),
    ),
    # No HCV RNA but normal liver function: decided not-met from the liver-function side.
    case(
        "hcv-rna-missing-normal-lft",
        "Base patient with no HCV RNA and normal ALT and AST: not-met.",
        remove(HCV_RNA[0]),
        passes("exc-9h"),
    ),
    # No HCV RNA and ALT above ULN: unknown.
    case(
        "hcv-rna-missing-alt-high",
        "Base patient with no HCV RNA and ALT 1.2 × ULN: unknown.",
        both(remove(HCV_RNA[0]), lab("alt", 48)),
        unknown("exc-9h"),
    ),
    # A viral load below the detection limit ('<15 IU/mL') is not detected.
    case(
        "hcv-rna-below-limit",
        "Base patient with HCV RNA <15 IU/mL (viral load, LOINC 11011-4) and ALT 1.2 × ULN: not detected.",
        both(
            remove(HCV_RNA[0]),
            lab("alt", 48),
            lambda b: b.lab(
                "11011-4",
                "Hepatitis C virus RNA [Units/volume] (viral load) in Serum or Plasma by NAA with probe detection",
                15,
                "[IU]/mL",
                5,
                comparator="<",
            ),
        ),
        passes("exc-9h"),
    ),
    # --- exc-9j: urine protein ≥ 2+ (unless a 24-h urine protein < 1.0 g shows it is not confirmed) ---
    case(
        "urine-protein-2plus-24h-1.0",
        "Base patient with urine protein 2+ and a 24-h urine protein of exactly 1.0 g: renal insufficiency.",
        urine_protein("2+", 1.0),
        fails("exc-9j"),
    ),
    # An OR as written: urinary protein ≥ ++ excludes whatever the 24-hour result.
    case(
        "urine-protein-2plus-24h-0.8",
        "Base patient with urine protein 2+ and a 24-h urine protein of 0.8 g: ≥ ++ excludes (an OR).",
        urine_protein("2+", 0.8),
        fails("exc-9j"),
    ),
    case(
        "urine-protein-2plus-no-24h",
        "Base patient with urine protein 2+ and no 24-h urine protein: ≥ ++ excludes.",
        urine_protein("2+"),
        fails("exc-9j"),
    ),
    case(
        "urine-protein-1plus",
        "Base patient with urine protein 1+: under 2+.",
        urine_protein("1+"),
        passes("exc-9j"),
    ),
    # Dipstick as a quantity: 100 mg/dL is the 2+ pad.
    case(
        "urine-protein-100-mg-dl-no-24h",
        "Base patient with dipstick protein 100 mg/dL (the 2+ pad) and no 24-h urine protein: ≥ ++ excludes.",
        both(
            remove(URINE_PROTEIN[0]),
            lambda b: b.lab(
                "5804-0", "Protein [Mass/volume] in Urine by Test strip", 100, "mg/dL", 3
            ),
        ),
        fails("exc-9j"),
    ),
    # 24-h protein in mg: 1200 mg/(24.h) = 1.2 g.
    case(
        "urine-protein-2plus-24h-1200-mg",
        "Base patient with urine protein 2+ and a 24-h urine protein of 1200 mg: renal insufficiency.",
        urine_protein("2+", 1200, unit_24h="mg/(24.h)"),
        fails("exc-9j"),
    ),
    # --- exc-9k: seizures (met turns to review) ---
    case(
        "epilepsy",
        "Base patient with active epilepsy: whether it needs treatment is for review.",
        condition(
            ICD10,
            "G40.909",
            "Epilepsy, unspecified, not intractable, without status epilepticus",
            2000,
        ),
        review("exc-9k"),
    ),
    # --- exc-10a: surgery or biopsy in the 28 days before ---
    case(
        "surgery-28-days",
        "Base patient operated on 28 days before.",
        lambda b: b.procedure("387713003", "Surgical procedure", 28),
        fails("exc-10a"),
    ),
    case(
        "surgery-29-days",
        "Base patient operated on 29 days before.",
        lambda b: b.procedure("387713003", "Surgical procedure", 29),
        passes("exc-10a"),
    ),
    # A procedure known by name only (local code, text says 'excision').
    case(
        "excision-by-name-10-days",
        "Base patient with a wide local excision under a local code 10 days before: matched by name.",
        lambda b: b.procedure(
            "LOCAL-0042",
            "Wide local excision of soft tissue lesion of thigh",
            10,
            system="urn:example:local-procedures",
        ),
        passes("exc-10a", "review"),
    ),
    # A planned biopsy that was not done does not count.
    case(
        "biopsy-not-done",
        "Base patient whose biopsy 10 days before has status 'not-done': ignored.",
        lambda b: b.procedure("86273004", "Biopsy", 10, status="not-done"),
        passes("exc-10a"),
    ),
    # --- exc-12b: bleeding in the 4 weeks before (met turns to review) ---
    case(
        "gi-bleed-28-days",
        "Base patient with a gastrointestinal haemorrhage 28 days before: its grade is for review.",
        condition(
            SNOMED,
            "74474003",
            "Gastrointestinal hemorrhage",
            28,
            clinical="resolved",
            abatement_days_before=25,
        ),
        review("exc-12b"),
    ),
    case(
        "gi-bleed-29-days",
        "Base patient with a gastrointestinal haemorrhage 29 days before: outside the 4-week window.",
        condition(
            SNOMED,
            "74474003",
            "Gastrointestinal hemorrhage",
            29,
            clinical="resolved",
            abatement_days_before=25,
        ),
        passes("exc-12b"),
    ),
    # --- exc-13: arterial or venous thrombosis in 6 months (183 days) ---
    case(
        "dvt-183-days",
        "Base patient with a deep vein thrombosis 183 days before: inside 6 months.",
        condition(SNOMED, "128053003", "Deep venous thrombosis", 183),
        fails("exc-13"),
    ),
    case(
        "dvt-184-days",
        "Base patient with a deep vein thrombosis 184 days before: outside 6 months.",
        condition(SNOMED, "128053003", "Deep venous thrombosis", 184),
        passes("exc-13"),
    ),
    case(
        "pulmonary-embolism-icd",
        "Base patient with a pulmonary embolism (ICD-10-CM I26.99) 60 days before.",
        condition(ICD10, "I26.99", "Other pulmonary embolism without acute cor pulmonale", 60),
        fails("exc-13"),
    ),
    # --- exc-14a / exc-14b: substance abuse, mental disorder (met turns to review) ---
    case(
        "alcohol-dependence",
        "Base patient with active alcohol dependence: whether she can quit is for review.",
        condition(ICD10, "F10.20", "Alcohol dependence, uncomplicated", 1500),
        review("exc-14a"),
    ),
    case(
        "depression",
        "Base patient with an active depressive episode: whether it affects participation is for review.",
        condition(ICD10, "F32.9", "Major depressive disorder, single episode, unspecified", 300),
        review("exc-14b"),
    ),
    # --- criteria-b cases ---
    # exc-9e: no fasting glucose and no diabetes on record: not poor control (a diabetic without a glucose stays unknown).
    case(
        "no-diabetes-no-glucose",
        "Base patient with no diabetes on record and no fasting glucose: exc-9e not met.",
        remove("glucose"),
        passes("exc-9e"),
    ),
    # exc-9j is an OR as written: a confirmed 24-hour protein ≥ 1.0 g excludes whatever the dipstick shows.
    case(
        "urine-protein-1plus-24h-1.5",
        "Base patient with urine protein 1+ and a 24-h urine protein of 1.5 g: the 24-hour result excludes.",
        urine_protein("1+", 1.5),
        fails("exc-9j"),
    ),
    case(
        "urine-protein-3plus-24h-0.8",
        "Base patient with urine protein 3+ and a 24-h urine protein of 0.8 g: ≥ ++ excludes.",
        urine_protein("3+", 0.8),
        fails("exc-9j"),
    ),
    # exc-9h: a negative anti-HCV decides 'no' even with ALT above ULN and no HCV RNA.
    case(
        "hcv-ab-negative-alt-high",
        "Base patient with anti-HCV negative, no HCV RNA and ALT 1.5 × ULN: no hepatitis C.",
        both(
            remove(HCV_RNA[0]),
            lab("alt", 60),
            lambda b: b.coded_result(*HCV_AB, *NEGATIVE, days_before=5),
        ),
        passes("exc-9h"),
    ),
    # exc-8: an out-of-range TSH (or FT4) without a diagnosis raises review.
    case(
        "tsh-15-no-diagnosis",
        "Base patient with TSH 15 mIU/L (range 0.4–4.5) and no thyroid diagnosis: for review.",
        lambda b: b.lab(*TSH, 15, "m[IU]/L", 5, high=4.5, low=0.4),
        review("exc-8"),
    ),
    case(
        "ft4-high-no-diagnosis",
        "Base patient with a normal TSH but free T4 2.6 ng/dL (range 0.8–1.8) and no thyroid diagnosis: for review.",
        both(
            lambda b: b.lab(*TSH, 1.2, "m[IU]/L", 5, high=4.5, low=0.4),
            lambda b: b.lab(*FT4, 2.6, "ng/dL", 5, high=1.8, low=0.8),
        ),
        review("exc-8"),
    ),
    case(
        "tsh-normal",
        "Base patient with TSH 1.2 mIU/L inside its range and no thyroid diagnosis: exc-8 not met.",
        lambda b: b.lab(*TSH, 1.2, "m[IU]/L", 5, high=4.5, low=0.4),
        passes("exc-8"),
    ),
    # inc-5b: an ICD-10 site code carries no histology, so the subtype is for review, never 'not an excluded subtype'.
    case(
        "sarcoma-site-code-only",
        "Base patient whose sarcoma is coded C49.2 with no histology: whether the subtype is excluded is for review.",
        tumour(SARCOMA_CODE, SARCOMA_DISPLAY, None),
        {"verdict": "eligible", "statuses": {"inc-5a": "met", "inc-5b": "review"}},
    ),
    # exc-2: the patient's own uterine leiomyosarcoma coded by organ (C55) is not 'another malignancy' for sure: review, not met.
    # (inc-5a is not met today because C55 names no sarcoma; that is the other half of issue 10.)
    case(
        "uterine-lms-c55-text-only",
        "Leiomyosarcoma coded C55 'Uterine leiomyosarcoma' with no histology: read by name, not also another malignancy.",
        tumour("C55", "Uterine leiomyosarcoma", None),
        {"verdict": "eligible", "statuses": {"inc-5a": "met", "inc-5b": "met", "exc-2": "not-met"}},
    ),
    # exc-2 stays a hard exclusion when the sarcoma is coded as such and another cancer is on record.
    case(
        "sarcoma-and-breast-cancer",
        "Base patient (thigh leiomyosarcoma coded C49.2) with a breast cancer diagnosed 2 years before: another malignancy.",
        condition(
            ICD10, "C50.911", "Malignant neoplasm of unspecified site of right female breast", 730
        ),
        fails("exc-2"),
    ),
    # exc-10a: a core-needle biopsy is not an incision biopsy: review, not a hard exclusion.
    case(
        "core-needle-biopsy-10-days",
        "Base patient with a core-needle biopsy 10 days before: whether it was an incision biopsy is for review.",
        lambda b: b.procedure(
            "LOCAL-0099",
            "Core needle biopsy of soft tissue of thigh",
            10,
            system="urn:example:local-procedures",
        ),
        review("exc-10a"),
    ),
    # exc-9l: ischaemic heart disease (angina) was dropped before; now its own criterion, grade for review.
    case(
        "angina-ischaemic-heart-disease",
        "Base patient with chronic ischaemic heart disease (I25.10) and angina (I20.8): grade II ischaemia is for review.",
        both(
            condition(
                ICD10,
                "I25.10",
                "Atherosclerotic heart disease of native coronary artery without angina pectoris",
                900,
            ),
            condition(ICD10, "I20.8", "Other forms of angina pectoris", 300),
        ),
        {"verdict": "eligible", "statuses": {"exc-9l": "review", "exc-9b": "not-met"}},
    ),
    # inc-8g: above even the relaxed 5 × ULN, no liver metastases: a hard not-met (the review band is 2.5–5 ×).
    case(
        "ast-6-uln-no-liver-mets",
        "Base patient with AST 240 U/L (ULN 40) = 6 × ULN and no liver metastases: above both limits.",
        lab("ast", 240),
        fails("inc-8g"),
    ),
    # --- records cases ---
    # Same-day conflicts: QTcB 462 and QTcF 441 of one ECG disagree on "QTc >= 470 (women)"? Both below for a woman,
    # so a man is used: one correction excludes him, the other does not; in either order the criterion is unknown.
    case(
        "qtc-bazett-fridericia-same-ecg",
        "Base patient as a man with QTcB 462 ms and QTcF 441 ms from one ECG: unknown, both shown.",
        both(
            remove("qtc"),
            lambda b: b.lab(
                "76635-2", "Q-T interval corrected based on Bazett formula", 462, "ms", 5
            ),
            lambda b: b.lab(
                "76634-5", "Q-T interval corrected based on Fridericia formula", 441, "ms", 5
            ),
        ),
        unknown("exc-9c"),
        gender="male",
    ),
    case(
        "qtc-fridericia-bazett-same-ecg",
        "The same ECG with the entries in the other order: the same report.",
        both(
            remove("qtc"),
            lambda b: b.lab(
                "76634-5", "Q-T interval corrected based on Fridericia formula", 441, "ms", 5
            ),
            lambda b: b.lab(
                "76635-2", "Q-T interval corrected based on Bazett formula", 462, "ms", 5
            ),
        ),
        unknown("exc-9c"),
        gender="male",
    ),
    # A FHIR server refuses hour 25 or full-width digits (tests/facts covers those); year 0001 is valid FHIR, yet a placeholder.
    case(
        "qtc-placeholder-date",
        "Base patient whose only QTc is dated 0001-01-01, a placeholder: set aside with the reason, so QTc is unknown.",
        lambda b: set_lab(b, "qtc", 430, effectiveDateTime="0001-01-01"),
        unknown("exc-9c"),
    ),
    case(
        "platelets-newer-preliminary",
        "Base patient with a newer preliminary platelet count of 40 after the final 210: unknown, both shown.",
        lambda b: b.lab(
            "777-3",
            "Platelets [#/volume] in Blood by Automated count",
            40,
            "10*9/L",
            1,
            status="preliminary",
        ),
        unknown("inc-8c"),
    ),
    case(
        "ast-range-text-only",
        "Base patient with AST 95 U/L whose range is only the text '<35 U/L': 2.7 x ULN from the text (default 40: 2.4 x, met).",
        lambda b: set_lab(b, "ast", 95, high=None, referenceRange=[{"text": "<35 U/L"}]),
        review("inc-8g"),
    ),
    case(
        "radiotherapy-course-ended-25-days",
        "Base patient whose radiotherapy course ran from 60 to 25 days before: part of it is in the 4 weeks.",
        lambda b: b.add(
            {
                "resourceType": "Procedure",
                "status": "completed",
                "subject": {"reference": f"Patient/{b.pid}"},
                "code": {
                    "coding": [
                        {
                            "system": SNOMED,
                            "code": "33195004",
                            "display": "Teleradiotherapy procedure",
                        }
                    ]
                },
                "performedPeriod": {"start": b.day(60), "end": b.day(25)},
            }
        ),
        review("exc-3b"),
    ),
    case(
        "brachytherapy-20-days",
        "Base patient with brachytherapy (SNOMED 152198000) 20 days before: radiotherapy in the 4 weeks.",
        lambda b: b.procedure("152198000", "Brachytherapy", 20),
        review("exc-3b"),
    ),
    case(
        "other-cancer-icdo3-morphology-only",
        "Base patient with an adenocarcinoma coded only by ICD-O-3 8140/3, 400 days before: another malignancy.",
        condition(
            "http://terminology.hl7.org/CodeSystem/icd-o-3", "8140/3", "Adenocarcinoma, NOS", 400
        ),
        fails("exc-2"),
    ),
    case(
        "personal-history-of-breast-cancer",
        "Base patient with Z85.3 (personal history of breast cancer): a past cancer with no date, so exc-2 is unknown.",
        condition(ICD10, "Z85.3", "Personal history of malignant neoplasm of breast", 30),
        unknown("exc-2"),
    ),
    case(
        "doxorubicin-contained-medication",
        "Base patient whose six doxorubicin cycles name the drug in a contained Medication: four or more cycles.",
        both(
            lambda b: drop(b, DOXORUBICIN),
            lambda b: [
                b.add(
                    {
                        "resourceType": "MedicationAdministration",
                        "status": "completed",
                        "subject": {"reference": f"Patient/{b.pid}"},
                        "contained": [
                            {
                                "resourceType": "Medication",
                                "id": "drug",
                                "code": {
                                    "coding": [
                                        {
                                            "system": RXNORM,
                                            "code": DOXORUBICIN,
                                            "display": "doxorubicin",
                                        }
                                    ]
                                },
                            }
                        ],
                        "medicationReference": {"reference": "#drug"},
                        "effectiveDateTime": b.day(days),
                    }
                )
                for days in BASE_CYCLES
            ],
        ),
        passes("inc-7a"),
    ),
    case(
        "medication-reference-unresolvable",
        "Base patient given a drug 10 days before whose Medication is on another server: therapy in 4 weeks unknown.",
        lambda b: b.add(
            {
                "resourceType": "MedicationAdministration",
                "status": "completed",
                "subject": {"reference": f"Patient/{b.pid}"},
                "medicationReference": {
                    "reference": "https://formulary.example.org/fhir/Medication/not-sent"
                },
                "effectiveDateTime": b.day(10),
            }
        ),
        unknown("exc-3a"),
    ),
    case(
        "docetaxel-order-active-since-2000",
        "Base patient with a docetaxel order written in 2000 and never closed: not therapy in the last 4 weeks.",
        lambda b: b.add(
            {
                "resourceType": "MedicationRequest",
                "status": "active",
                "intent": "order",
                "subject": {"reference": f"Patient/{b.pid}"},
                "medicationCodeableConcept": {
                    "coding": [
                        {
                            "system": RXNORM,
                            "code": "1860480",
                            "display": "docetaxel 20 MG/ML Injectable Solution",
                        }
                    ]
                },
                "authoredOn": "2000-03-10",
            }
        ),
        passes("exc-3a"),
    ),
    case(
        "deceased",
        "Base patient recorded as deceased 10 days before the as-of date: never eligible, said first.",
        lambda b: b.resources[0].update(deceasedDateTime=b.day(10)),
        fails("exc-0"),
    ),
    # --- criteria-fix cases ---
    # inc-5b: undifferentiated pleomorphic sarcoma (8802/3) is an undifferentiated sarcoma, which ALTER excludes.
    case(
        "ups-8802",
        "Base patient whose sarcoma histology is 8802/3 (undifferentiated pleomorphic sarcoma): excluded subtype.",
        tumour(SARCOMA_CODE, SARCOMA_DISPLAY, ("8802/3", "Undifferentiated pleomorphic sarcoma")),
        fails("inc-5b"),
    ),
    # inc-5b: a histology on record that the trial neither names nor excludes (myxofibrosarcoma) is review.
    case(
        "myxofibrosarcoma-8811",
        "Base patient whose sarcoma histology is 8811/3 (myxofibrosarcoma), not named by the trial: subtype for review.",
        tumour(SARCOMA_CODE, SARCOMA_DISPLAY, ("8811/3", "Myxofibrosarcoma")),
        {"verdict": "eligible", "statuses": {"inc-5a": "met", "inc-5b": "review"}},
    ),
    # exc-8: a normal TSH without a reference range is not unknown; a suppressed one with only an upper limit is review.
    case(
        "tsh-2-no-range",
        "Base patient with TSH 2.0 mIU/L and no reference range: within the default limits, exc-8 not met.",
        lambda b: b.lab(*TSH, 2.0, "m[IU]/L", 5),
        passes("exc-8"),
    ),
    case(
        "tsh-0.02-upper-limit-only",
        "Base patient with TSH 0.02 mIU/L and only 'high 4.5' reported: suppressed, for review.",
        lambda b: b.lab(*TSH, 0.02, "m[IU]/L", 5, high=4.5),
        review("exc-8"),
    ),
    # exc-10a: an incisional biopsy (SNOMED CT 70871006) is what the document names: excluded, not review.
    case(
        "incisional-biopsy-10-days",
        "Base patient with an incisional biopsy (SNOMED CT 70871006) 10 days before: excluded.",
        lambda b: b.procedure("70871006", "Incisional biopsy", 10),
        fails("exc-10a"),
    ),
    # --- criteria-a cases ---
    # inc-9c: a woman of 34 with no pregnancy test is of childbearing potential: unknown ("To obtain: pregnancy test").
    case(
        "woman-34-no-pregnancy-test",
        "Base patient aged 34 with no pregnancy test: childbearing potential, so inc-9c is unknown.",
        remove(URINE_HCG[0]),
        {"verdict": "insufficient-data", "statuses": {"inc-9c": "unknown", "inc-9b": "review"}},
        birth_date="1992-03-10",
    ),
    # inc-9c: the document's 7 days: a negative test 8 days old does not count for a woman of 34.
    case(
        "woman-34-pregnancy-test-8-days",
        "Base patient aged 34 whose only negative pregnancy test is 8 days old: outside 7 days, unknown.",
        coded(URINE_HCG, NEGATIVE, 8),
        unknown("inc-9c"),
        birth_date="1992-03-10",
    ),
    # inc-9b / inc-9c: a postmenopausal 68-year-old is not stuck at insufficient-data for want of a pregnancy test.
    case(
        "postmenopausal-68-no-pregnancy-test",
        "Base patient aged 68 with menopause (Z78.0) on record and no pregnancy test: inc-9b and inc-9c met.",
        both(
            remove(URINE_HCG[0]), condition(ICD10, "Z78.0", "Asymptomatic menopausal state", 5000)
        ),
        {"verdict": "eligible", "statuses": {"inc-9b": "met", "inc-9c": "met"}},
        birth_date="1958-04-02",
    ),
    # inc-7a: no anthracycline on record at all: first-line chemotherapy is often given elsewhere, so review, never a hard no.
    case(
        "anthracycline-none-on-record",
        "Base patient with no anthracycline on record: inc-7a review.",
        cycles(()),
        review("inc-7a"),
    ),
    # inc-5a: a uterine sarcoma coded by organ site (C55) with no histology: the tumour type may be a sarcoma, so review, not a hard no.
    # CAUTION: exc-2 still counts this primary as "another malignancy" (fixed on the criteria-b branch); pinned as it is today.
    case(
        "uterine-malignancy-site-code-only",
        "Base patient whose only tumour code is C55 (malignant neoplasm of uterus), no histology: "
        "inc-5a review, and the tumour is not also 'another malignancy' for sure (exc-2 review).",
        tumour("C55", "Malignant neoplasm of uterus, part unspecified", None),
        {"verdict": "eligible", "statuses": {"inc-5a": "review", "exc-2": "review"}},
    ),
    # inc-8j: a 40-day-old echo after anthracyclines is stale (the window is 28 days, not 90).
    case(
        "lvef-40-days",
        "Base patient whose only LVEF (62 %) is 40 days old: stale after anthracyclines, unknown.",
        lab("lvef", 62, days_before=40),
        unknown("inc-8j"),
    ),
    # --- terms cases ---
    # WHO ICD-10 (as Chinese hospitals send it) codes DVT as I80.2, which ICD-10-CM writes differently.
    case(
        "terms-who-dvt-60d",
        "Base patient with a deep vein thrombosis coded in WHO ICD-10 (I80.2) 60 days before.",
        condition(
            "http://hl7.org/fhir/sid/icd-10",
            "I80.2",
            "Phlebitis and thrombophlebitis of other deep vessels of lower extremities",
            60,
        ),
        fails("exc-13"),
    ),
    # A code from a local system no value set knows, whose display names the concept: an exclusion on a name alone is for review.
    case(
        "terms-dvt-by-name-60d",
        "Base patient with a DVT coded only in a local code system, named in its display, 60 days before.",
        condition("urn:oid:1.2.156.999.1", "DVT01", "Deep vein thrombosis of left leg", 60),
        review("exc-13"),
    ),
    # An RxNorm product (SCD) code, as EHRs send them, matches the ingredient's value set by code.
    case(
        "terms-paclitaxel-scd-20d",
        "Base patient given paclitaxel coded by its RxNorm product (SCD 583214) 20 days before.",
        lambda b: b.medication("paclitaxel 100 MG Injection", 20, code="583214"),
        fails("exc-3a"),
    ),
    # A SNOMED CT cancer code from the published VSAC Cancer value set (not hand-listed) is another malignancy.
    case(
        "terms-snomed-thyroid-cancer",
        "Base patient with papillary thyroid carcinoma (SNOMED 255029007, VSAC Cancer) 400 days before.",
        condition(SNOMED, "255029007", "Papillary thyroid carcinoma", 400),
        fails("exc-2"),
    ),
    # --- records9 cases ---
    # exc-9j: a dipstick answered in SNOMED CT, as Synthea and many EHRs write it: "Urine protein test = ++" is ≥ ++.
    case(
        "urine-protein-snomed-2plus",
        "Base patient whose urine protein strip is answered with SNOMED CT 167276005 'Urine protein test = ++'.",
        both(
            remove(URINE_PROTEIN[0]),
            lambda b: b.coded_result(*URINE_PROTEIN, "167276005", "Urine protein test = ++", 3),
        ),
        fails("exc-9j"),
    ),
    # exc-9j: a SNOMED CT answer no grade table lists (an ungraded 'Positive') is unknown, never negative.
    case(
        "urine-protein-snomed-ungraded",
        "Base patient whose urine protein strip is answered 'Positive' (SNOMED CT 10828004), no grade.",
        both(
            remove(URINE_PROTEIN[0]),
            lambda b: b.coded_result(*URINE_PROTEIN, "10828004", "Positive", 3),
        ),
        unknown("exc-9j"),
    ),
    # inc-8e: urea by mass (as Chinese labs report it), no range: 100 mg/dL × 0.4665 = BUN 46.65 mg/dL = 2.33 × the default ULN 20.
    case(
        "urea-mass-2.33-uln",
        "Base patient whose only renal test is urea 100 mg/dL (LOINC 3091-6), no range: BUN 46.7 mg/dL = 2.33 × ULN, met.",
        lab("bun", 100, code="3091-6", display="Urea [Mass/volume] in Serum or Plasma", high=None),
        passes("inc-8e"),
    ),
    # inc-8e: urea 112 mg/dL = BUN 52.2 mg/dL = 2.61 × ULN.
    case(
        "urea-mass-2.61-uln",
        "Base patient whose only renal test is urea 112 mg/dL (LOINC 3091-6), no range: BUN 52.2 mg/dL = 2.61 × ULN.",
        lab("bun", 112, code="3091-6", display="Urea [Mass/volume] in Serum or Plasma", high=None),
        fails("inc-8e"),
    ),
    # exc-3a: an 'active' MedicationStatement of docetaxel from 2000 with no end is not therapy in the last 4 weeks.
    case(
        "docetaxel-statement-active-since-2000",
        "Base patient with a docetaxel MedicationStatement 'active' since 2000, never closed.",
        lambda b: b.add(
            {
                "resourceType": "MedicationStatement",
                "status": "active",
                "subject": {"reference": f"Patient/{b.pid}"},
                "medicationCodeableConcept": {
                    "coding": [
                        {
                            "system": RXNORM,
                            "code": "1860480",
                            "display": "docetaxel 20 MG/ML Injectable Solution",
                        }
                    ]
                },
                "effectivePeriod": {"start": "2000-03-10"},
            }
        ),
        passes("exc-3a"),
    ),
]


def main() -> None:
    """Write every case's Bundle and the manifest."""
    write_fixtures(OUT, TRIAL, AS_OF, CASES)


if __name__ == "__main__":
    main()
