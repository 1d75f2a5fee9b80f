"""The 12 NCT06761417 criteria as FHIRPath over a Bundle, generated from the rulebook's own
definitions and value sets.

The expressions do less than the engine, on purpose kept simple and fair: the newest usable
Observation in the 14-day window by its effectiveDateTime, haemoglobin g/dL -> g/L, the ULN from
referenceRange.high or the definition's default, Conditions matched by code (exact codes and ICD-10
prefixes), not refuted; no evidence, no three-valued logic, no by-name safety net, no unit system
beyond that.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from service.rulebook.book import Rulebook

CRITERIA = (
    "inc-2a",
    "inc-6a",
    "inc-6b",
    "inc-6c",
    "inc-7a",
    "inc-7b",
    "inc-7c",
    "inc-7d",
    "inc-8a",
    "inc-8b",
    "inc-8c",
    "inc-8d",
)
RESOURCES = "Bundle.entry.resource"


def _codes(book: Rulebook, name: str) -> str:
    """A FHIRPath test of a coding against a value set's exact codes and prefixes (ICD-10
    compared without dots).
    """
    vs = book.value_sets[name]
    tests = []
    by_system: dict[str, list[str]] = {}
    for system, code in sorted(vs.codes):
        by_system.setdefault(system, []).append(code)
    for system, codes in by_system.items():
        listed = " | ".join(f"'{c}'" for c in codes)
        folded = "code.replace('.', '').upper()" if "icd-10" in system else "code"
        tests.append(f"(system = '{system}' and {folded} in ({listed}))")
    for system, prefix in vs.prefixes:
        tests.append(
            f"(system = '{system}' and code.replace('.', '').upper().startsWith('{prefix}'))"
        )
    return " or ".join(tests) or "false"


def _latest(book: Rulebook, definition: str, as_of: date) -> str:
    """The newest usable Observation of a definition's value set within its lookback window."""
    d = book.definitions[definition]
    since = (as_of - timedelta(days=int(d["lookbackDays"]))).isoformat()
    return (
        f"{RESOURCES}.where(resourceType = 'Observation' and status in ('final' | 'amended' | "
        "'corrected') "
        f"and code.coding.where({_codes(book, d['valueSet'])}).exists() "
        f"and effectiveDateTime >= '{since}' and effectiveDateTime <= "
        f"'{as_of.isoformat()}T23:59:59')"
        ".aggregate(iif($total.empty(), $this, iif($this.effectiveDateTime > "
        "$total.effectiveDateTime, $this, $total)))"
    )


def _ratio(book: Rulebook, definition: str, as_of: date) -> str:
    default = book.definitions[definition]["defaultUln"]["value"]
    return (
        f"{_latest(book, definition, as_of)}.select(valueQuantity.value / "
        f"iif(referenceRange.high.value.exists(), referenceRange.high.value.first(), {default}))"
    )


def _condition(book: Rulebook, definition: str, active_only: bool = False) -> str:
    d = book.definitions[definition]
    active = (
        " and clinicalStatus.coding.code.intersect('active' | 'recurrence' | 'relapse').exists()"
        if active_only
        else ""
    )
    return (
        f"{RESOURCES}.where(resourceType = 'Condition' and "
        "verificationStatus.coding.code.intersect('refuted' | 'entered-in-error').empty()"
        f"{active} and code.coding.where({_codes(book, d['valueSet'])}).exists()).exists()"
    )


def expressions(book: Rulebook, as_of: date) -> dict[str, str]:
    """Return each criterion's FHIRPath (true: met, false: not met, empty: no data)."""
    cutoff = as_of.strftime("%m-%d")
    age = (
        f"({as_of.year} - {RESOURCES}.where(resourceType = 'Patient').birthDate.substring(0, "
        "4).toInteger() - "
        f"iif({RESOURCES}.where(resourceType = 'Patient').birthDate.substring(5, 5) > "
        f"'{cutoff}', 1, 0))"
    )
    liver = _condition(book, "liver_metastases", active_only=True)

    def liver_alt(definition: str, limit: float, relaxed: float) -> str:
        ratio = _ratio(book, definition, as_of)
        return f"({ratio} < {limit}) or ({liver} and {ratio} < {relaxed})"

    return {
        "inc-2a": f"{age} >= 6 and {age} <= 24",
        "inc-6a": f"{_latest(book, 'anc', as_of)}.select(valueQuantity.value > 1.5)",
        "inc-6b": f"{_latest(book, 'platelets', as_of)}.select(valueQuantity.value > 75)",
        "inc-6c": f"{_latest(book, 'hemoglobin_g_l', as_of)}.select(iif(valueQuantity.code = "
        "'g/dL', valueQuantity.value * 10, valueQuantity.value) >= 80)",
        "inc-7a": f"{_ratio(book, 'creatinine_x_uln', as_of)} <= 1.5",
        "inc-7b": liver_alt("ast_x_uln", 2.5, 5),
        "inc-7c": liver_alt("alt_x_uln", 2.5, 5),
        "inc-7d": liver_alt("bilirubin_x_uln", 1.5, 3),
        "inc-8a": f"{_condition(book, 'history_mi')}.not()",
        "inc-8b": f"{_condition(book, 'history_unstable_angina')}.not()",
        "inc-8c": f"{_condition(book, 'history_arrhythmia')}.not()",
        "inc-8d": f"{_condition(book, 'history_pericardial_disease')}.not()",
    }


def answer(result: list[Any]) -> str:
    """Map a FHIRPath result to a status: [true] met, [false] not-met, [] unknown."""
    if result == [True]:
        return "met"
    if result == [False]:
        return "not-met"
    return "unknown" if not result else f"other: {result!r}"
