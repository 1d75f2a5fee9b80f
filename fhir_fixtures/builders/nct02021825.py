"""Build the NCT02021825 fixture patients (mitoxantrone in refractory neuromyelitis optica, MITONMO).

Run ``python -m fhir_fixtures.builders.nct02021825``: it writes one collection Bundle per case and
``manifest.json`` into ``fhir_fixtures/NCT02021825/``. Every case is the eligible base patient with one
change, so each fails (or reaches a boundary on) exactly one criterion.
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
    RXNORM,
    SNOMED,
    UCUM,
    PatientBuilder,
    drop,
    manifest_entry,
    write_fixtures,
)

TRIAL = "NCT02021825"
AS_OF = date(2026, 11, 20)
OUT = Path(__file__).resolve().parent.parent / TRIAL

# Base patient: a 34-year-old woman (born 1992-05-14) with AQP4-IgG-positive NMO diagnosed four years ago,
# two attacks in the last year despite azathioprine and steroid pulses, EDSS 4.5.
BASE_BIRTH = "1992-05-14"


@dataclass(frozen=True)
class Lab:
    """One blood count of the base patient: LOINC code, display, value and UCUM unit."""

    code: str
    display: str
    value: float
    unit: str


# Base counts are comfortably above every limit (WBC > 4, ANC > 2, platelets > 100, all 10^9/L).
LABS: dict[str, Lab] = {
    "wbc": Lab("6690-2", "Leukocytes [#/volume] in Blood by Automated count", 6.2, "10*9/L"),
    "anc": Lab("751-8", "Neutrophils [#/volume] in Blood by Automated count", 3.8, "10*9/L"),
    "platelets": Lab("777-3", "Platelets [#/volume] in Blood by Automated count", 230, "10*9/L"),
}
# Liver tests with the lab's upper limits (exc-5: WHO grade 4 is defined by bilirubin and transaminases × ULN): all normal.
LIVER: dict[str, tuple[str, str, float, str, float]] = {
    "alt": (
        "1742-6",
        "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
        22,
        "U/L",
        40,
    ),
    "ast": (
        "1920-8",
        "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
        25,
        "U/L",
        40,
    ),
    "bilirubin": ("1975-2", "Bilirubin.total [Mass/volume] in Serum or Plasma", 0.6, "mg/dL", 1.2),
}
LVEF = ("8806-2", "Left ventricular Ejection fraction by 2D echo")
B12 = ("2132-9", "Cobalamin (Vitamin B12) [Mass/volume] in Serum or Plasma")
URINE_HCG = ("2106-3", "Choriogonadotropin (pregnancy test) [Presence] in Urine")
# EDSS has no verified standard code: the rule matches it by name, so the fixture uses a local code.
EDSS_SYSTEM = "http://example.org/fhir/CodeSystem/neurology-scores"
EDSS_CODE = "EDSS"
NMO_DX = ("G36.0", "Neuromyelitis optica [Devic]")
MYELITIS = ("16631009", "Transverse myelitis")  # SNOMED CT
OPTIC_NEURITIS = ("H46.9", "Unspecified optic neuritis")  # ICD-10-CM
AZATHIOPRINE = ("1256", "azathioprine")  # RxNorm
METHYLPREDNISOLONE = ("6902", "methylprednisolone")  # RxNorm


def base(pid: str, birth_date: str = BASE_BIRTH, gender: str = "female") -> PatientBuilder:
    """Return the eligible base patient: every computable criterion is decided in her favour."""
    # Ids carry the trial so every fixture patient is unique across trials (served by id, loaded into one server).
    b = PatientBuilder(f"nct02021825-{pid}", birth_date, gender, AS_OF)
    # NMO diagnosed ~4 years ago (outside the 12-month relapse window, so it is not itself counted as an attack).
    b.condition(ICD10, *NMO_DX, 1500)
    # Two attacks in the last 12 months, each resolved: a myelitis 60 days ago and an optic neuritis 200 days ago.
    b.condition(SNOMED, *MYELITIS, 60, clinical="resolved", abatement_days_before=30)
    b.condition(ICD10, *OPTIC_NEURITIS, 200, clinical="resolved", abatement_days_before=170)
    # Immunotherapy: azathioprine maintenance, and an IV methylprednisolone pulse for the latest attack.
    b.medication(
        AZATHIOPRINE[1], 400, code=AZATHIOPRINE[0], kind="MedicationStatement", status="active"
    )
    b.medication(METHYLPREDNISOLONE[1], 58, code=METHYLPREDNISOLONE[0])
    edss(b, 4.5, 10)
    for lab in LABS.values():
        b.lab(lab.code, lab.display, lab.value, lab.unit, 3)
    for code, display, value, unit, high in LIVER.values():
        b.lab(code, display, value, unit, 3, high=high)
    b.lab(*LVEF, 62, "%", 20)  # a baseline echo within the 28-day window mitoxantrone needs
    if gender != "male":
        b.coded_result(*URINE_HCG, "260385009", "Negative", days_before=3)
    return b


def edss(b: PatientBuilder, value: float, days_before: int = 10) -> dict[str, Any]:
    """Add an EDSS score as a unitless valueQuantity (EDSS runs 0-10 in half steps, so not valueInteger)."""
    return b.add(
        {
            "resourceType": "Observation",
            "status": "final",
            "category": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                            "code": "survey",
                        }
                    ]
                }
            ],
            "code": {
                "coding": [
                    {
                        "system": EDSS_SYSTEM,
                        "code": EDSS_CODE,
                        "display": "Kurtzke Expanded Disability Status Scale",
                    }
                ],
                "text": "Expanded Disability Status Scale (EDSS) score",
            },
            "subject": {"reference": f"Patient/{b.pid}"},
            "effectiveDateTime": b.day(days_before),
            "valueQuantity": {"value": value, "unit": "{score}", "system": UCUM, "code": "{score}"},
        }
    )


def set_lab(
    b: PatientBuilder,
    key: str,
    value: float | None,
    *,
    unit: str | None = None,
    days_before: int = 3,
    **extra: Any,
) -> dict[str, Any]:
    """Replace a base blood count by one with another value (and optionally unit, date or status)."""
    lab = LABS[key]
    drop(b, lab.code)
    return b.lab(lab.code, lab.display, value, unit or lab.unit, days_before, **extra)


def set_liver(b: PatientBuilder, key: str, value: float) -> dict[str, Any]:
    """Replace a base liver test by one with another value (same unit and upper limit)."""
    code, display, _value, unit, high = LIVER[key]
    drop(b, code)
    return b.lab(code, display, value, unit, 3, high=high)


def set_edss(value: float, days_before: int = 10) -> Callable[[PatientBuilder], None]:
    """Return a change replacing the base EDSS."""

    def change(b: PatientBuilder) -> None:
        drop(b, EDSS_CODE)
        edss(b, value, days_before)

    return change


def set_lvef(
    value: float, days_before: int = 20, unit: str = "%"
) -> Callable[[PatientBuilder], None]:
    """Return a change replacing the base LVEF."""

    def change(b: PatientBuilder) -> None:
        drop(b, LVEF[0])
        b.lab(*LVEF, value, unit, days_before)

    return change


def move_optic_neuritis(
    onset_days_before: int | None, **kwargs: Any
) -> Callable[[PatientBuilder], None]:
    """Return a change moving (or un-dating, or re-verifying) the base optic-neuritis attack."""

    def change(b: PatientBuilder) -> None:
        drop(b, OPTIC_NEURITIS[0])
        if onset_days_before is None:
            b.condition(ICD10, *OPTIC_NEURITIS, None, **kwargs)
        else:
            b.condition(
                ICD10,
                *OPTIC_NEURITIS,
                onset_days_before,
                clinical="resolved",
                abatement_days_before=max(onset_days_before - 30, 0),
                **kwargs,
            )

    return change


def hcg(
    answer_code: str,
    answer: str,
    days_before: int,
    *,
    status: str = "final",
    keep_negative: bool = False,
) -> Callable[[PatientBuilder], None]:
    """Return a change giving the patient a urine hCG result (replacing the base negative unless kept)."""

    def change(b: PatientBuilder) -> None:
        if not keep_negative:
            drop(b, URINE_HCG[0])
        b.coded_result(*URINE_HCG, answer_code, answer, days_before=days_before, status=status)

    return change


def without_immunotherapy(b: PatientBuilder) -> None:
    """Remove the base azathioprine and methylprednisolone."""
    drop(b, AZATHIOPRINE[0])
    drop(b, METHYLPREDNISOLONE[0])


def replace_immunotherapy(
    display: str,
    *,
    code: str | None = None,
    system: str | None = RXNORM,
    kind: str = "MedicationStatement",
    status: str | None = None,
) -> Callable[[PatientBuilder], None]:
    """Return a change whose only immunotherapy record is the one given."""

    def change(b: PatientBuilder) -> None:
        without_immunotherapy(b)
        b.medication(display, 300, code=code, system=system, kind=kind, status=status)

    return change


def add_condition(
    system: str, code: str, display: str, onset: int = 700, **kwargs: Any
) -> Callable[[PatientBuilder], None]:
    """Return a change adding one Condition."""

    def change(b: PatientBuilder) -> None:
        b.condition(system, code, display, onset, **kwargs)

    return change


def add_medication(
    display: str, days_before: int, **kwargs: Any
) -> Callable[[PatientBuilder], None]:
    """Return a change adding one medication record."""

    def change(b: PatientBuilder) -> None:
        b.medication(display, days_before, **kwargs)

    return change


def both(*changes: Callable[[PatientBuilder], Any]) -> Callable[[PatientBuilder], None]:
    """Return a change applying several changes in order."""

    def change(b: PatientBuilder) -> None:
        for one in changes:
            one(b)

    return change


@dataclass(frozen=True)
class Case:
    """One fixture patient: how it differs from the base, and what the report must say."""

    name: str
    description: str
    change: Callable[[PatientBuilder], Any]
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


ALL_BASE = {
    "inc-1": "review",
    "inc-2": "review",
    "inc-3": "review",
    "inc-4a": "met",
    "inc-4b": "review",
    "inc-5": "met",
    "inc-6a": "met",
    "inc-6b": "met",
    "inc-6c": "met",
    "inc-7": "met",
    "exc-1a": "not-met",
    "exc-1b": "not-met",
    "exc-2a": "not-met",
    "exc-2b": "not-met",
    "exc-2c": "not-met",
    "exc-2d": "not-met",
    "exc-2e": "not-met",
    "exc-2f": "not-met",
    "exc-3a": "not-met",
    "exc-3b": "not-met",
    "exc-4a": "not-met",
    "exc-4b": "review",
    "exc-5": "not-met",
    # A G36.0 code does not show the Wingerchuk 2006 criteria are fulfilled (inc-3 review either way); "e.g."/"such as" remainders.
    "exc-1c": "review",
    "exc-2g": "review",
}

CASES: list[Case] = [
    # The base: every computable criterion decided in her favour; inc-1, inc-2 and exc-4b stay 'review'.
    Case(
        "eligible",
        "34-year-old woman with NMO, two attacks in 12 months despite azathioprine and steroids, EDSS 4.5, normal counts and LVEF, "
        "negative urine hCG, no exclusions.",
        unchanged,
        "eligible",
        statuses=ALL_BASE,
    ),
    # Male: the pregnancy exclusion is decided 'no' from sex alone, without a pregnancy test.
    Case(
        "eligible-male",
        "Base patient as a 34-year-old man with no pregnancy test: pregnancy exclusion not met.",
        unchanged,
        "eligible",
        statuses={**ALL_BASE, "exc-4a": "not-met"},
        gender="male",
    ),
    # --- inc-3: NMO diagnosis on record (not-met becomes review: bullets 1-2 are alternative entries) ---
    Case(
        "no-nmo-diagnosis",
        "Base patient with no NMO diagnosis coded (only myelitis / optic neuritis attacks): inc-3 goes to review.",
        lambda b: drop(b, NMO_DX[0]),
        "eligible",
        statuses={"inc-3": "review", "inc-4a": "met"},
    ),
    # A refuted NMO diagnosis is ignored, so it is as if none were coded.
    Case(
        "nmo-diagnosis-refuted",
        "Base patient whose only NMO diagnosis is refuted: ignored, so inc-3 goes to review.",
        lambda b: (drop(b, NMO_DX[0]), b.condition(ICD10, *NMO_DX, 1500, verification="refuted")),
        "eligible",
        statuses={"inc-3": "review"},
    ),
    # SNOMED CT coding of the diagnosis also matches (met), and then goes to review: a code does not verify Wingerchuk 2006.
    Case(
        "nmo-diagnosis-snomed",
        "Base patient whose NMO diagnosis is coded in SNOMED CT (25044007) instead of ICD-10-CM: matched, for review.",
        lambda b: (
            drop(b, NMO_DX[0]),
            b.condition(SNOMED, "25044007", "Neuromyelitis optica", 1500),
        ),
        "eligible",
        statuses={"inc-3": "review"},
    ),
    # A provisional diagnosis is neither confirmed nor absent: unknown (not review), so the verdict is insufficient-data.
    Case(
        "nmo-diagnosis-provisional",
        "Base patient whose only NMO diagnosis has verificationStatus 'provisional': inc-3 unknown.",
        lambda b: (
            drop(b, NMO_DX[0]),
            b.condition(ICD10, *NMO_DX, 1500, verification="provisional"),
        ),
        "insufficient-data",
        statuses={"inc-3": "unknown"},
    ),
    # --- inc-4a: >= 2 NMO attacks in the 365 days before (not-met becomes review) ---
    Case(
        "one-attack-12m",
        "Base patient with only one coded attack (myelitis 60 days ago) in the last 12 months: inc-4a goes to review.",
        lambda b: drop(b, OPTIC_NEURITIS[0]),
        "eligible",
        statuses={"inc-4a": "review"},
    ),
    # Window edge: an attack exactly 365 days before is inside the window.
    Case(
        "attack-365-days",
        "Base patient whose optic-neuritis attack began exactly 365 days before (2025-11-20): still counted, 2 attacks, met.",
        move_optic_neuritis(365),
        "eligible",
        statuses={"inc-4a": "met"},
    ),
    # One day outside: 366 days before is not counted, so only one attack.
    Case(
        "attack-366-days",
        "Base patient whose optic-neuritis attack began 366 days before (2025-11-19): not counted, 1 attack, review.",
        move_optic_neuritis(366),
        "eligible",
        statuses={"inc-4a": "review"},
    ),
    # Optic neuritis and myelitis with the same onset are one attack (distinct onset dates are counted).
    Case(
        "attacks-same-day",
        "Base patient whose optic neuritis began the same day as the myelitis (60 days ago): one attack, review.",
        move_optic_neuritis(60),
        "eligible",
        statuses={"inc-4a": "review"},
    ),
    # A refuted attack is ignored.
    Case(
        "attack-refuted",
        "Base patient whose optic-neuritis attack is refuted: only one attack counts, review.",
        move_optic_neuritis(200, verification="refuted"),
        "eligible",
        statuses={"inc-4a": "review"},
    ),
    # An attack without any date cannot be placed in or out of the window: the count is unknown.
    Case(
        "attack-undated",
        "Base patient whose optic-neuritis Condition has neither onset nor recordedDate: attack count unknown.",
        move_optic_neuritis(None, clinical="resolved"),
        "insufficient-data",
        statuses={"inc-4a": "unknown"},
    ),
    # The NMO diagnosis is not itself an attack: dated 100 days ago, it leaves only the myelitis in the window.
    Case(
        "recent-nmo-onset",
        "Base patient whose NMO diagnosis is dated 100 days ago (no optic neuritis): the diagnosis is not counted as an attack, so 1 attack → review.",
        lambda b: (
            drop(b, OPTIC_NEURITIS[0]),
            drop(b, NMO_DX[0]),
            b.condition(ICD10, *NMO_DX, 100),
        ),
        "eligible",
        statuses={"inc-4a": "review", "inc-3": "review"},
    ),
    # --- inc-4b: prior corticosteroid / interferon beta / azathioprine / cyclophosphamide / cyclosporin A / MMF (always review: relapses on therapy) ---
    Case(
        "no-immunotherapy",
        "Base patient with no immunotherapy in the medication record: inc-4b goes to review.",
        without_immunotherapy,
        "eligible",
        statuses={"inc-4b": "review"},
    ),
    # Rituximab is a common NMO therapy but not one the trial names.
    Case(
        "rituximab-only",
        "Base patient treated only with rituximab (RxNorm 121191), which the trial does not name: inc-4b goes to review.",
        replace_immunotherapy("rituximab", code="121191"),
        "eligible",
        statuses={"inc-4b": "review"},
    ),
    # Drug known only by name (free text, no code).
    Case(
        "mycophenolate-by-name",
        "Base patient whose only immunotherapy is 'Mycophenolate mofetil 500 mg tablet' with no code: matched by name, review.",
        replace_immunotherapy("Mycophenolate mofetil 500 mg tablet", code=None),
        "eligible",
        statuses={"inc-4b": "review"},
    ),
    # Interferon beta coded only in ATC.
    Case(
        "interferon-beta-atc",
        "Base patient whose only immunotherapy is interferon beta-1a coded ATC L03AB07: matched; relapses on it, review.",
        replace_immunotherapy("interferon beta-1a", code="L03AB07", system=ATC),
        "eligible",
        statuses={"inc-4b": "review"},
    ),
    # A corticosteroid alone may be the acute pulse for an attack, not failed maintenance therapy: review.
    Case(
        "corticosteroid-only",
        "Base patient whose only immunotherapy is methylprednisolone (RxNorm 6902): possibly an attack pulse, review.",
        replace_immunotherapy("methylprednisolone", code="6902", kind="MedicationAdministration"),
        "eligible",
        statuses={"inc-4b": "review"},
    ),
    # A cancelled order means the drug was not given.
    Case(
        "azathioprine-cancelled-order",
        "Base patient whose only immunotherapy record is a cancelled azathioprine order: ignored, review.",
        replace_immunotherapy(
            "azathioprine", code="1256", kind="MedicationRequest", status="cancelled"
        ),
        "eligible",
        statuses={"inc-4b": "review"},
    ),
    # --- inc-5: EDSS 3-8 (inclusive) ---
    Case(
        "edss-2.5",
        "Base patient with EDSS 2.5: below 3.",
        set_edss(2.5),
        "ineligible",
        ("inc-5",),
        {"inc-5": "not-met"},
    ),
    Case(
        "edss-3.0",
        "Base patient with EDSS exactly 3.0: the lower limit is inclusive, met.",
        set_edss(3.0),
        "eligible",
        statuses={"inc-5": "met"},
    ),
    Case(
        "edss-8.0",
        "Base patient with EDSS exactly 8.0: the upper limit is inclusive, met.",
        set_edss(8.0),
        "eligible",
        statuses={"inc-5": "met"},
    ),
    Case(
        "edss-8.5",
        "Base patient with EDSS 8.5: above 8.",
        set_edss(8.5),
        "ineligible",
        ("inc-5",),
        {"inc-5": "not-met"},
    ),
    # Window edge: the EDSS lookback is 90 days.
    Case(
        "edss-30-days",
        "Base patient whose only EDSS (4.5) is exactly 30 days old (2026-10-21): inside the window, met.",
        set_edss(4.5, 30),
        "eligible",
        statuses={"inc-5": "met"},
    ),
    Case(
        "edss-31-days",
        "Base patient whose only EDSS (4.5) is 31 days old (2026-10-20): stale in a relapsing population, unknown.",
        set_edss(4.5, 31),
        "insufficient-data",
        statuses={"inc-5": "unknown"},
    ),
    Case(
        "edss-missing",
        "Base patient with no EDSS on record: unknown.",
        lambda b: drop(b, EDSS_CODE),
        "insufficient-data",
        statuses={"inc-5": "unknown"},
    ),
    # --- inc-6a: WBC > 4 x10^9/L ---
    Case(
        "wbc-3.5",
        "Base patient with WBC 3.5 x10^9/L: below 4.",
        lambda b: set_lab(b, "wbc", 3.5),
        "ineligible",
        ("inc-6a",),
    ),
    # Boundary: 'more than 4' is strict.
    Case(
        "wbc-4.0-exact",
        "Base patient with WBC exactly 4.0 x10^9/L: fails the strict 'more than 4'.",
        lambda b: set_lab(b, "wbc", 4.0),
        "ineligible",
        ("inc-6a",),
        {"inc-6a": "not-met"},
    ),
    # Unit: 4100 /uL is 4.1 x10^9/L.
    Case(
        "wbc-per-microlitre",
        "Base patient with WBC reported as 4100 /uL (= 4.1 x10^9/L): met.",
        lambda b: set_lab(b, "wbc", 4100, unit="/uL"),
        "eligible",
        statuses={"inc-6a": "met"},
    ),
    # Window edge: 14 days old is inside; 15 days is one day outside.
    Case(
        "wbc-14-days",
        "Base patient whose only WBC (6.2) is exactly 14 days old (2026-11-06): inside the window, met.",
        lambda b: set_lab(b, "wbc", 6.2, days_before=14),
        "eligible",
        statuses={"inc-6a": "met"},
    ),
    Case(
        "wbc-15-days",
        "Base patient whose only WBC (6.2) is 15 days old (2026-11-05): stale, unknown.",
        lambda b: set_lab(b, "wbc", 6.2, days_before=15),
        "insufficient-data",
        statuses={"inc-6a": "unknown"},
    ),
    # Entered-in-error: the newest WBC (3.2) is void; the earlier valid 6.2 decides.
    Case(
        "wbc-entered-in-error",
        "Base patient whose newest WBC (3.2, yesterday) is entered-in-error; the valid 6.2 from 3 days ago is used: met.",
        lambda b: b.lab(
            LABS["wbc"].code, LABS["wbc"].display, 3.2, "10*9/L", 1, status="entered-in-error"
        ),
        "eligible",
        statuses={"inc-6a": "met"},
    ),
    # A result dated after the as-of date is not yet known and is ignored.
    Case(
        "wbc-after-as-of",
        "Base patient with a low WBC (2.5) dated the day after the as-of date: ignored, met on the earlier 6.2.",
        lambda b: b.lab(LABS["wbc"].code, LABS["wbc"].display, 2.5, "10*9/L", -1),
        "eligible",
        statuses={"inc-6a": "met"},
    ),
    # --- inc-6b: ANC > 2 x10^9/L ---
    Case(
        "anc-1.5",
        "Base patient with ANC 1.5 x10^9/L: below 2.",
        lambda b: set_lab(b, "anc", 1.5),
        "ineligible",
        ("inc-6b",),
    ),
    Case(
        "anc-2.0-exact",
        "Base patient with ANC exactly 2.0 x10^9/L: fails the strict 'more than 2'.",
        lambda b: set_lab(b, "anc", 2.0),
        "ineligible",
        ("inc-6b",),
        {"inc-6b": "not-met"},
    ),
    # Unit: 2100 /uL is 2.1; 2000 /uL is exactly 2.0.
    Case(
        "anc-2100-per-microlitre",
        "Base patient with ANC 2100 /uL (= 2.1 x10^9/L): met.",
        lambda b: set_lab(b, "anc", 2100, unit="/uL"),
        "eligible",
        statuses={"inc-6b": "met"},
    ),
    Case(
        "anc-2000-per-microlitre",
        "Base patient with ANC 2000 /uL (= exactly 2.0 x10^9/L): fails the strict '> 2'.",
        lambda b: set_lab(b, "anc", 2000, unit="/uL"),
        "ineligible",
        ("inc-6b",),
        {"inc-6b": "not-met"},
    ),
    # Comparators: '<0.5' is certainly not above 2; '>1.5' might or might not be.
    Case(
        "anc-below-0.5",
        "Base patient with ANC reported as '<0.5 x10^9/L': certainly not above 2, not met.",
        lambda b: set_lab(b, "anc", 0.5, comparator="<"),
        "ineligible",
        ("inc-6b",),
        {"inc-6b": "not-met"},
    ),
    Case(
        "anc-above-1.5",
        "Base patient with ANC reported as '>1.5 x10^9/L': could be above or below 2, unknown.",
        lambda b: set_lab(b, "anc", 1.5, comparator=">"),
        "insufficient-data",
        statuses={"inc-6b": "unknown"},
    ),
    # --- inc-6c: platelets > 100 x10^9/L ---
    Case(
        "platelets-90",
        "Base patient with platelets 90 x10^9/L: below 100.",
        lambda b: set_lab(b, "platelets", 90),
        "ineligible",
        ("inc-6c",),
    ),
    Case(
        "platelets-100-exact",
        "Base patient with platelets exactly 100 x10^9/L: fails the strict 'more than 100'.",
        lambda b: set_lab(b, "platelets", 100),
        "ineligible",
        ("inc-6c",),
        {"inc-6c": "not-met"},
    ),
    Case(
        "platelets-101",
        "Base patient with platelets 101 x10^9/L: just above 100, met.",
        lambda b: set_lab(b, "platelets", 101),
        "eligible",
        statuses={"inc-6c": "met"},
    ),
    # Unit: 150000 /mm3 is 150 x10^9/L.
    Case(
        "platelets-per-mm3",
        "Base patient with platelets 150000 /mm3 (= 150 x10^9/L): met.",
        lambda b: set_lab(b, "platelets", 150000, unit="/mm3"),
        "eligible",
        statuses={"inc-6c": "met"},
    ),
    # A unit the conversion table does not know is not guessed at: unknown.
    Case(
        "platelets-unknown-unit",
        "Base patient with platelets '230 x10E3/uL' (a unit spelling the table does not know): unknown, not guessed.",
        lambda b: set_lab(b, "platelets", 230, unit="x10E3/uL"),
        "insufficient-data",
        statuses={"inc-6c": "unknown"},
    ),
    # dataAbsentReason: the only platelet result has no value (clotted specimen).
    Case(
        "platelets-data-absent",
        "Base patient whose only platelet result has dataAbsentReason 'error' (clotted specimen): unknown.",
        lambda b: set_lab(
            b,
            "platelets",
            None,
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
        statuses={"inc-6c": "unknown"},
    ),
    # --- inc-7: age 18-55 on the as-of date (the birthday counts) ---
    Case(
        "age-17-turns-18-tomorrow",
        "Base patient born 2008-11-21: 17 on the as-of date, below 18.",
        unchanged,
        "ineligible",
        ("inc-7",),
        {"inc-7": "not-met"},
        birth_date="2008-11-21",
    ),
    Case(
        "age-18-birthday-today",
        "Base patient whose 18th birthday is the as-of date: aged 18, in range.",
        unchanged,
        "eligible",
        statuses={"inc-7": "met"},
        birth_date="2008-11-20",
    ),
    Case(
        "age-55-birthday-today",
        "Base patient whose 55th birthday is the as-of date: aged 55, in range.",
        unchanged,
        "eligible",
        statuses={"inc-7": "met"},
        birth_date="1971-11-20",
    ),
    Case(
        "age-56-birthday-today",
        "Base patient whose 56th birthday is the as-of date: aged 56, above 55.",
        unchanged,
        "ineligible",
        ("inc-7",),
        {"inc-7": "not-met"},
        birth_date="1970-11-20",
    ),
    # A birth year alone: born in 2008 means 17 or 18 on 2026-11-20, which the rule cannot decide.
    Case(
        "age-birth-year-2008",
        "Base patient with birthDate '2008' only: 17 or 18, unknown.",
        unchanged,
        "insufficient-data",
        statuses={"inc-7": "unknown"},
        birth_date="2008",
    ),
    # A birth year well inside the range decides it anyway.
    Case(
        "age-birth-year-1990",
        "Base patient with birthDate '1990' only: 35 or 36, both in range, met.",
        unchanged,
        "eligible",
        statuses={"inc-7": "met"},
        birth_date="1990",
    ),
    # --- exc-1a: history of congestive heart failure ---
    Case(
        "heart-failure",
        "Base patient with chronic systolic heart failure (I50.22) on record.",
        add_condition(ICD10, "I50.22", "Chronic systolic (congestive) heart failure"),
        "ineligible",
        ("exc-1a",),
        {"exc-1a": "met"},
    ),
    # 'History of': a resolved episode still counts.
    Case(
        "heart-failure-resolved",
        "Base patient with congestive heart failure (SNOMED 42343007) resolved two years ago: a history, met.",
        add_condition(
            SNOMED,
            "42343007",
            "Congestive heart failure",
            1000,
            clinical="resolved",
            abatement_days_before=700,
        ),
        "ineligible",
        ("exc-1a",),
        {"exc-1a": "met"},
    ),
    Case(
        "heart-failure-refuted",
        "Base patient with a refuted heart-failure diagnosis: ignored, not met.",
        add_condition(ICD10, "I50.9", "Heart failure, unspecified", verification="refuted"),
        "eligible",
        statuses={"exc-1a": "not-met"},
    ),
    # --- exc-1b: LVEF < 50% (within 28 days) ---
    Case(
        "lvef-45",
        "Base patient with LVEF 45%: below 50.",
        set_lvef(45),
        "ineligible",
        ("exc-1b",),
        {"exc-1b": "met"},
    ),
    Case(
        "lvef-49",
        "Base patient with LVEF 49%: just below 50, met.",
        set_lvef(49),
        "ineligible",
        ("exc-1b",),
        {"exc-1b": "met"},
    ),
    # Boundary: exactly 50% is not '< 50%'.
    Case(
        "lvef-50-exact",
        "Base patient with LVEF exactly 50%: not below 50, exclusion not met.",
        set_lvef(50),
        "eligible",
        statuses={"exc-1b": "not-met"},
    ),
    Case(
        "lvef-28-days",
        "Base patient whose only LVEF (62%) is exactly 28 days old (2026-10-23): inside the window.",
        set_lvef(62, 28),
        "eligible",
        statuses={"exc-1b": "not-met"},
    ),
    Case(
        "lvef-29-days",
        "Base patient whose only LVEF (62%) is 29 days old (2026-10-22): stale for a mitoxantrone baseline, unknown.",
        set_lvef(62, 29),
        "insufficient-data",
        statuses={"exc-1b": "unknown"},
    ),
    # An LVEF sent as a fraction (0.62, unit '1') is not silently read as 0.62%: unknown.
    Case(
        "lvef-as-fraction",
        "Base patient whose LVEF is sent as the fraction 0.62 with unit '1': not convertible to %, unknown.",
        set_lvef(0.62, unit="1"),
        "insufficient-data",
        statuses={"exc-1b": "unknown"},
    ),
    Case(
        "lvef-missing",
        "Base patient with no LVEF on record: unknown.",
        lambda b: drop(b, LVEF[0]),
        "insufficient-data",
        statuses={"exc-1b": "unknown"},
    ),
    # --- exc-2a..2f: systemic diseases ---
    Case(
        "lupus",
        "Base patient with systemic lupus erythematosus (M32.14, glomerular disease in SLE).",
        add_condition(ICD10, "M32.14", "Glomerular disease in systemic lupus erythematosus"),
        "ineligible",
        ("exc-2a",),
        {"exc-2a": "met"},
    ),
    Case(
        "lupus-refuted",
        "Base patient with a refuted SLE diagnosis: ignored.",
        add_condition(SNOMED, "55464009", "Systemic lupus erythematosus", verification="refuted"),
        "eligible",
        statuses={"exc-2a": "not-met"},
    ),
    # An unconfirmed diagnosis is neither confirmed nor absent: unknown.
    Case(
        "lupus-unconfirmed",
        "Base patient with an unconfirmed SLE diagnosis: unknown.",
        add_condition(
            SNOMED, "55464009", "Systemic lupus erythematosus", verification="unconfirmed"
        ),
        "insufficient-data",
        statuses={"exc-2a": "unknown"},
    ),
    Case(
        "sjogren",
        "Base patient with Sjogren's syndrome (SNOMED 83901003).",
        add_condition(SNOMED, "83901003", "Sjogren's syndrome"),
        "ineligible",
        ("exc-2b",),
        {"exc-2b": "met"},
    ),
    Case(
        "antiphospholipid",
        "Base patient with antiphospholipid syndrome (D68.61).",
        add_condition(ICD10, "D68.61", "Antiphospholipid syndrome"),
        "ineligible",
        ("exc-2c",),
        {"exc-2c": "met"},
    ),
    Case(
        "sarcoidosis",
        "Base patient with sarcoidosis of lung (D86.0).",
        add_condition(ICD10, "D86.0", "Sarcoidosis of lung"),
        "ineligible",
        ("exc-2d",),
        {"exc-2d": "met"},
    ),
    Case(
        "rheumatoid-arthritis",
        "Base patient with rheumatoid arthritis (M06.9).",
        add_condition(ICD10, "M06.9", "Rheumatoid arthritis, unspecified"),
        "ineligible",
        ("exc-2e",),
        {"exc-2e": "met"},
    ),
    Case(
        "b12-deficiency",
        "Base patient with vitamin B12 deficiency anaemia due to intrinsic factor deficiency (D51.0).",
        add_condition(
            ICD10, "D51.0", "Vitamin B12 deficiency anemia due to intrinsic factor deficiency"
        ),
        "ineligible",
        ("exc-2f",),
        {"exc-2f": "met"},
    ),
    # --- exc-3a / exc-3b: previous mitoxantrone or anthracycline ---
    # Mitoxantrone is an anthracenedione: it excludes under 3a, not 3b.
    Case(
        "prior-mitoxantrone",
        "Base patient given mitoxantrone (RxNorm 7005) two years ago: exc-3a met, exc-3b not.",
        add_medication("mitoxantrone", 700, code="7005"),
        "ineligible",
        ("exc-3a",),
        {"exc-3a": "met", "exc-3b": "not-met"},
    ),
    # Drug known only by name.
    Case(
        "prior-mitoxantrone-by-name",
        "Base patient with a MedicationStatement 'Mitoxantrone 2 mg/mL injection' with no code: matched by name.",
        add_medication(
            "Mitoxantrone 2 mg/mL injection", 900, code=None, kind="MedicationStatement"
        ),
        "eligible",
        (),
        {"exc-3a": "review"},
    ),
    # A void record is ignored.
    Case(
        "mitoxantrone-entered-in-error",
        "Base patient whose only mitoxantrone administration is entered-in-error: ignored.",
        add_medication("mitoxantrone", 700, code="7005", status="entered-in-error"),
        "eligible",
        statuses={"exc-3a": "not-met"},
    ),
    Case(
        "prior-doxorubicin",
        "Base patient given doxorubicin (RxNorm 3639) for a past lymphoma.",
        add_medication("doxorubicin", 2500, code="3639"),
        "ineligible",
        ("exc-3b",),
        {"exc-3b": "met", "exc-3a": "not-met"},
    ),
    Case(
        "prior-epirubicin-by-name",
        "Base patient with a MedicationStatement 'Epirubicin hydrochloride' with no code: matched by name.",
        add_medication("Epirubicin hydrochloride", 2500, code=None, kind="MedicationStatement"),
        "eligible",
        (),
        {"exc-3b": "review"},
    ),
    # --- exc-4a: pregnant (female, and an active pregnancy or a positive test in 30 days) ---
    Case(
        "pregnant-positive-hcg",
        "Base patient whose latest urine hCG (2 days ago) is positive.",
        hcg("10828004", "Positive", 2),
        "ineligible",
        ("exc-4a",),
        {"exc-4a": "met"},
    ),
    # A problem-list pregnancy contradicted by a later negative test is a stale entry to confirm, not a hard exclusion.
    Case(
        "pregnant-condition",
        "Base patient with an active pregnancy (Z33.1) on record and a later negative hCG from 3 days ago: review.",
        add_condition(ICD10, "Z33.1", "Pregnant state, incidental", 60),
        "eligible",
        statuses={"exc-4a": "review"},
    ),
    # Window edge: the test lookback is 30 days.
    Case(
        "positive-hcg-30-days",
        "Base patient whose only hCG, positive, is exactly 30 days old: inside the window, met.",
        hcg("10828004", "Positive", 30),
        "ineligible",
        ("exc-4a",),
        {"exc-4a": "met"},
    ),
    # A positive test does not expire while nothing later refutes it.
    Case(
        "positive-hcg-31-days",
        "Base patient whose only hCG, positive, is 31 days old and no pregnancy is coded: still pregnant (no later negative).",
        hcg("10828004", "Positive", 31),
        "ineligible",
        ("exc-4a",),
        {"exc-4a": "met"},
    ),
    # Entered-in-error: a positive hCG yesterday is void; the negative from 3 days ago stands.
    Case(
        "positive-hcg-entered-in-error",
        "Base patient whose positive hCG (yesterday) is entered-in-error; the negative from 3 days ago stands.",
        hcg("10828004", "Positive", 1, status="entered-in-error", keep_negative=True),
        "eligible",
        statuses={"exc-4a": "not-met"},
    ),
    # Delivered: a resolved pregnancy is not current.
    Case(
        "pregnancy-resolved",
        "Base patient with a pregnancy (SNOMED 77386006) resolved 100 days ago: not current, not met.",
        add_condition(
            SNOMED, "77386006", "Pregnancy", 380, clinical="resolved", abatement_days_before=100
        ),
        "eligible",
        statuses={"exc-4a": "not-met"},
    ),
    # A positive pregnancy test is a pregnancy whatever the recorded administrative gender.
    Case(
        "gender-unknown-positive-hcg",
        "Base patient with Patient.gender 'unknown' and a positive hCG: pregnant, exc-4a met.",
        hcg("10828004", "Positive", 2),
        "ineligible",
        ("exc-4a",),
        {"exc-4a": "met"},
        gender="unknown",
    ),
    # ...but sex unknown AND no pregnancy evidence is false whatever the sex.
    Case(
        "gender-unknown-negative-hcg",
        "Base patient with Patient.gender 'unknown' and a negative hCG: not pregnant whatever the sex, not met.",
        unchanged,
        "eligible",
        statuses={"exc-4a": "not-met"},
        gender="unknown",
    ),
    # --- exc-5: severe liver disorder (met becomes review: WHO grade 4 is the investigator's call) ---
    Case(
        "cirrhosis",
        "Base patient with active cirrhosis of liver (K74.60): exc-5 goes to review.",
        add_condition(ICD10, "K74.60", "Unspecified cirrhosis of liver"),
        "eligible",
        statuses={"exc-5": "review"},
    ),
    Case(
        "hepatic-failure-snomed",
        "Base patient with active hepatic failure (SNOMED 59927004): exc-5 goes to review.",
        add_condition(SNOMED, "59927004", "Hepatic failure", 20),
        "eligible",
        statuses={"exc-5": "review"},
    ),
    # Only an active disorder counts: a resolved acute liver failure is not 'severe liver disorder' now.
    Case(
        "hepatic-failure-resolved",
        "Base patient with acute hepatic failure (K72.00) resolved a year ago: not active, not met.",
        add_condition(
            ICD10,
            "K72.00",
            "Acute and subacute hepatic failure without coma",
            420,
            clinical="resolved",
            abatement_days_before=380,
        ),
        "eligible",
        statuses={"exc-5": "not-met"},
    ),
    # --- criteria-b cases ---
    # exc-5: WHO grade 4 hepatic toxicity is lab-defined (bilirubin or transaminases > 10 × ULN).
    Case(
        "alt-15x-bilirubin-12x",
        "Base patient with ALT 600 U/L (15 × ULN) and bilirubin 14.4 mg/dL (12 × ULN), no liver diagnosis: WHO grade 4, excluded.",
        lambda b: (set_liver(b, "alt", 600), set_liver(b, "bilirubin", 14.4)),
        "ineligible",
        ("exc-5",),
        {"exc-5": "met"},
    ),
    Case(
        "alt-7x-uln",
        "Base patient with ALT 280 U/L (7 × ULN, WHO grade 3): whether the liver disorder is grade 4 is for review.",
        lambda b: set_liver(b, "alt", 280),
        "eligible",
        statuses={"exc-5": "review"},
    ),
    Case(
        "no-liver-tests",
        "Base patient with no ALT, AST or bilirubin on record: exc-5 unknown (mitoxantrone is hepatically cleared).",
        lambda b: [drop(b, spec[0]) for spec in LIVER.values()],
        "insufficient-data",
        statuses={"exc-5": "unknown"},
    ),
    # exc-2f: B12 deficiency without anaemia (E53.8) and a low serum B12 count.
    Case(
        "e53-8-and-low-b12",
        "Base patient with E53.8 and a serum B12 of 90 pg/mL: vitamin B12 deficiency, excluded.",
        lambda b: (
            b.condition(ICD10, "E53.8", "Deficiency of other specified B group vitamins", 200),
            b.lab(*B12, 90, "pg/mL", 20, low=200, high=900),
        ),
        "ineligible",
        ("exc-2f",),
        {"exc-2f": "met"},
    ),
    Case(
        "e53-8-only",
        "Base patient with E53.8 and no B12 result: the code also covers folate and other B vitamins, so review.",
        add_condition(ICD10, "E53.8", "Deficiency of other specified B group vitamins", 200),
        "eligible",
        statuses={"exc-2f": "review"},
    ),
    Case(
        "low-b12-no-diagnosis",
        "Base patient with a serum B12 of 110 pmol/L (= 149 pg/mL) and no diagnosis: low, excluded.",
        lambda b: b.lab(*B12, 110, "pmol/L", 20),
        "ineligible",
        ("exc-2f",),
        {"exc-2f": "met"},
    ),
    Case(
        "normal-b12",
        "Base patient with a serum B12 of 450 pg/mL: not deficient.",
        lambda b: b.lab(*B12, 450, "pg/mL", 20),
        "eligible",
        statuses={"exc-2f": "not-met"},
    ),
    # inc-4a: one optic-neuritis attack recorded twice 9 days apart is one relapse.
    Case(
        "one-attack-recorded-twice",
        "Base patient whose only attack in 12 months is one optic neuritis recorded 100 and 91 days ago: one relapse, review.",
        lambda b: (
            drop(b, MYELITIS[0]),
            drop(b, OPTIC_NEURITIS[0]),
            b.condition(ICD10, *OPTIC_NEURITIS, 100, clinical="resolved", abatement_days_before=70),
            b.condition(ICD10, *OPTIC_NEURITIS, 91, clinical="resolved", abatement_days_before=70),
        ),
        "eligible",
        statuses={"inc-4a": "review"},
    ),
    Case(
        "attacks-30-days-apart",
        "Base patient with an optic neuritis 100 days ago and a myelitis 70 days ago (30 days apart): two relapses, met.",
        lambda b: (
            drop(b, MYELITIS[0]),
            drop(b, OPTIC_NEURITIS[0]),
            b.condition(ICD10, *OPTIC_NEURITIS, 100, clinical="resolved", abatement_days_before=80),
            b.condition(SNOMED, *MYELITIS, 70, clinical="resolved", abatement_days_before=40),
        ),
        "eligible",
        statuses={"inc-4a": "met"},
    ),
    # inc-4b: azathioprine maintenance (the base) is review (were the relapses on it?); an IV pulse alone is review (see corticosteroid-only).
    # inc-3: the base's G36.0 is review; with a negative AQP4-IgG it stays review, never met.
    Case(
        "nmo-code-aqp4-negative",
        "Base patient with G36.0 and a negative AQP4-IgG: the code does not verify Wingerchuk 2006, review.",
        lambda b: b.coded_result(
            "LOCAL-AQP4",
            "Aquaporin-4 IgG (NMO-IgG) antibody",
            "260385009",
            "Negative",
            days_before=300,
        ),
        "eligible",
        statuses={"inc-3": "review"},
    ),
    # --- criteria-fix cases ---
    # exc-2f: a serum B12 reported in pmol/L under its own LOINC (14685-2) is read, converted and found low.
    Case(
        "low-b12-molar-loinc",
        "Base patient with serum B12 100 pmol/L (LOINC 14685-2, = 136 pg/mL) and no diagnosis: low, excluded.",
        lambda b: b.lab(
            "14685-2",
            "Cobalamin (Vitamin B12) [Moles/volume] in Serum or Plasma",
            100,
            "pmol/L",
            20,
        ),
        "ineligible",
        ("exc-2f",),
        {"exc-2f": "met"},
    ),
    # inc-4a: an optic neuritis first recorded 370 days ago with a follow-up 352 days ago is one attack that began before the window.
    Case(
        "attack-begun-before-window",
        "Base patient whose optic neuritis was first recorded 370 days ago (follow-up at 352) plus the myelitis: one relapse.",
        lambda b: (
            drop(b, OPTIC_NEURITIS[0]),
            b.condition(
                ICD10, *OPTIC_NEURITIS, 370, clinical="resolved", abatement_days_before=330
            ),
            b.condition(
                ICD10, *OPTIC_NEURITIS, 352, clinical="resolved", abatement_days_before=330
            ),
        ),
        "eligible",
        statuses={"inc-4a": "review"},
    ),
    # inc-4b: 'despite immunotherapies' needs the attacks to fall on therapy: azathioprine started after them is review.
    Case(
        "azathioprine-started-after-attacks",
        "Base patient whose azathioprine started 30 days ago, after both attacks: review.",
        lambda b: (
            drop(b, AZATHIOPRINE[0]),
            b.medication(
                AZATHIOPRINE[1],
                30,
                code=AZATHIOPRINE[0],
                kind="MedicationStatement",
                status="active",
            ),
        ),
        "eligible",
        statuses={"inc-4b": "review"},
    ),
    # --- criteria-a cases ---
    # exc-4a: a 34-year-old woman about to get mitoxantrone with no pregnancy test is not 'not pregnant': unknown, test to obtain.
    Case(
        "woman-34-no-pregnancy-test",
        "Base 34-year-old woman with no pregnancy test at all: of childbearing potential, so exc-4a is unknown.",
        lambda b: drop(b, URINE_HCG[0]),
        "insufficient-data",
        statuses={"exc-4a": "unknown"},
    ),
    # exc-4a: documented menopause ends childbearing potential; no test is needed.
    Case(
        "menopause-no-pregnancy-test",
        "Base patient aged 52 with asymptomatic menopause (Z78.0) on record and no pregnancy test: not pregnant.",
        lambda b: (
            drop(b, URINE_HCG[0]),
            b.condition(ICD10, "Z78.0", "Asymptomatic menopausal state", 500),
        ),
        "eligible",
        statuses={"exc-4a": "not-met"},
        birth_date="1974-02-10",
    ),
    # exc-4a: a woman of 52 without documented menopause: childbearing potential is for the study team to confirm.
    Case(
        "woman-52-no-pregnancy-test",
        "Base patient aged 52 with no menopause documented and no pregnancy test: childbearing potential to confirm.",
        lambda b: drop(b, URINE_HCG[0]),
        "eligible",
        statuses={"exc-4a": "review"},
        birth_date="1974-02-10",
    ),
    # exc-4a: a hysterectomy ends childbearing potential.
    Case(
        "hysterectomy-no-pregnancy-test",
        "Base patient with a hysterectomy (SNOMED 236886002) 3 years ago and no pregnancy test: not pregnant.",
        lambda b: (drop(b, URINE_HCG[0]), b.procedure("236886002", "Hysterectomy", 1100)),
        "eligible",
        statuses={"exc-4a": "not-met"},
    ),
    # exc-4a: a quantitative serum beta-hCG of 120 mIU/mL (>= 25) is positive.
    Case(
        "hcg-quantitative-positive",
        "Base patient whose serum beta-hCG 1 day ago is 120 mIU/mL (positive from 25): pregnant.",
        lambda b: b.lab(
            "21198-7",
            "Choriogonadotropin.beta subunit [Units/volume] in Serum or Plasma",
            120,
            "m[IU]/mL",
            1,
        ),
        "ineligible",
        ("exc-4a",),
        {"exc-4a": "met"},
    ),
    # exc-4a: 12 mIU/mL is between 5 and 25: equivocal, repeat the test (review).
    Case(
        "hcg-quantitative-equivocal",
        "Base patient whose latest test, a serum beta-hCG 1 day ago, is 12 mIU/mL (5-24 equivocal): review.",
        lambda b: b.lab(
            "21198-7",
            "Choriogonadotropin.beta subunit [Units/volume] in Serum or Plasma",
            12,
            "m[IU]/mL",
            1,
        ),
        "eligible",
        statuses={"exc-4a": "review"},
    ),
    # exc-4a: a recorded pregnancy status 'Pregnant' (LOINC 82810-3) after the last negative test counts.
    Case(
        "pregnancy-status-pregnant",
        "Base patient with a pregnancy status 'Pregnant' (82810-3 = LA15173-0) recorded yesterday: pregnant.",
        lambda b: b.coded_result(
            "82810-3", "Pregnancy status", "LA15173-0", "Pregnant", 1, answer_system=LOINC
        ),
        "ineligible",
        ("exc-4a",),
        {"exc-4a": "met"},
    ),
    # exc-4a: a positive test 100 days ago is not forgotten while nothing later refutes it.
    Case(
        "positive-hcg-100-days",
        "Base patient whose only hCG, positive, is 100 days old: still pregnant.",
        hcg("10828004", "Positive", 100),
        "ineligible",
        ("exc-4a",),
        {"exc-4a": "met"},
    ),
    # exc-4a: an old positive test refuted by the later negative from 3 days ago is no pregnancy.
    Case(
        "positive-hcg-refuted",
        "Base patient with a positive hCG 100 days ago and the base negative hCG 3 days ago: not pregnant.",
        hcg("10828004", "Positive", 100, keep_negative=True),
        "eligible",
        statuses={"exc-4a": "not-met"},
    ),
]


def main() -> None:
    """Write every case's Bundle and the manifest."""
    write_fixtures(OUT, TRIAL, AS_OF, CASES)


if __name__ == "__main__":
    main()
