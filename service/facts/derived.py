"""Derived definitions: Cockcroft-Gault creatinine clearance, and named formulas over other
definitions.
"""

from __future__ import annotations

from typing import Any

from service.facts.base import Evidence, Fact, number, unknown
from service.facts.context import Context
from service.rulebook.definitions import Definition


def _age_outside(ctx: Context, definition: Definition) -> str | None:
    """Say why the patient's age is outside the formula's validated range
    (minAgeYears..maxAgeYears), or None.
    """
    age = ctx.fact(definition["inputs"]["age"])
    low, high = age.bounds()
    if low is None:
        return None  # unknown age: the formula itself reports it
    if "minAgeYears" in definition and low < definition["minAgeYears"]:
        return (
            f"{age.summary}: the formula is validated from {definition['minAgeYears']} years only"
        )
    if "maxAgeYears" in definition and high >= definition["maxAgeYears"]:
        return f"{age.summary}: the formula is for patients under {definition['maxAgeYears']} only"
    return None


def cockcroft_gault(ctx: Context, name: str, definition: Definition) -> Fact:
    """CrCl (mL/min) = (140 − age) × weight(kg) × (0.85 if female) / (72 × serum creatinine
    mg/dL); adults only; a measured clearance (input ``measured``) in the window comes first.
    """
    inputs = definition["inputs"]
    if "measured" in inputs:
        # A clearance measured from a 24-hour urine is what the formula estimates: when there is
        # one, it decides (probe J: creatinine 1.9 mg/dL gave 33.6 mL/min by Cockcroft-Gault
        # beside a measured 75 mL/min, and failed "CCr >= 60").
        measured = ctx.fact(inputs["measured"])
        if measured.value is not None:
            return Fact(
                name,
                measured.value,
                f"{definition.document.get('label', name)}: {measured.summary} (measured, so "
                "not estimated by Cockcroft-Gault)",
                measured.evidence,
                measured.low,
                measured.high,
            )
    outside = _age_outside(ctx, definition)
    if outside:
        if "child" in inputs:
            # Under 18 the child formula (bedside Schwartz) stands in; its own fact says how it was
            # computed.
            child = ctx.fact(inputs["child"])
            return Fact(
                name,
                child.value,
                f"{definition.document.get('label', name)}: Cockcroft-Gault not used ({outside}); "
                f"{child.summary}",
                child.evidence,
                child.low,
                child.high,
                child.missing,
                child.review,
            )
        return unknown(
            name, f"{definition.document.get('label', name)} cannot be computed: {outside}"
        )
    facts = {role: ctx.fact(inputs[role]) for role in ("age", "sex", "weight", "creatinine")}
    missing = [f.summary for f in facts.values() if f.value is None]
    label = definition.document.get("label", name)
    if missing:
        # Name what to obtain (e.g. a body weight) so a card can ask for it.
        wanted = (
            ", ".join(sorted({f.missing for f in facts.values() if f.value is None and f.missing}))
            or None
        )
        return unknown(name, f"{label} cannot be computed: " + "; ".join(missing), missing=wanted)
    creatinine = facts["creatinine"].value
    if creatinine <= 0:
        return unknown(name, f"{label} cannot be computed: creatinine {creatinine} is not positive")
    factor = 0.85 if facts["sex"].value == "female" else 1.0
    (age_lo, age_hi), (weight_lo, weight_hi), (creat_lo, creat_hi) = (
        facts[r].bounds() for r in ("age", "weight", "creatinine")
    )

    def clearance(age: float, weight: float, creat: float) -> float:
        return (140 - age) * weight * factor / (72 * creat)

    crcl = number(round(clearance(facts["age"].value, facts["weight"].value, creatinine), 1))
    # Inputs known only as ranges (a partial birth date, a '<' creatinine) give a clearance range.
    low = number(round(clearance(age_hi, weight_lo, creat_hi), 1))
    high = number(round(clearance(age_lo, weight_hi, creat_lo), 1)) if creat_lo > 0 else 1e300
    bounds = (None, None) if low == high == crcl else (low, high)
    summary = (
        f"{label} {crcl} mL/min (Cockcroft-Gault from "
        + ", ".join(f.summary for f in facts.values())
        + ")"
    )
    evidence = tuple(e for f in facts.values() for e in f.evidence)
    return Fact(
        name,
        crcl,
        summary,
        (Evidence(None, label, crcl, "mL/min", None, "Cockcroft-Gault"), *evidence),
        *bounds,
    )


def schwartz(ctx: Context, name: str, definition: Definition) -> Fact:
    """Bedside Schwartz eGFR (mL/min/1.73 m²) = 0.413 × height (cm) / serum creatinine (mg/dL),
    for children.
    """
    inputs = definition["inputs"]
    label = definition.document.get("label", name)
    outside = _age_outside(ctx, definition)
    if outside:
        return unknown(name, f"{label} cannot be computed: {outside}")
    height, creatinine = ctx.fact(inputs["height"]), ctx.fact(inputs["creatinine"])
    missing = [f for f in (height, creatinine) if f.value is None]
    if missing:
        wanted = ", ".join(sorted({f.missing for f in missing if f.missing})) or None
        return unknown(
            name,
            f"{label} cannot be computed: " + "; ".join(f.summary for f in missing),
            missing=wanted,
        )
    if creatinine.value <= 0:
        return unknown(
            name, f"{label} cannot be computed: creatinine {creatinine.value} is not positive"
        )
    (h_lo, h_hi), (c_lo, c_hi) = height.bounds(), creatinine.bounds()
    egfr = number(round(0.413 * height.value / creatinine.value, 1))
    low = number(round(0.413 * h_lo / c_hi, 1))
    high = number(round(0.413 * h_hi / c_lo, 1)) if c_lo > 0 else 1e300
    bounds = (None, None) if low == high == egfr else (low, high)
    summary = (
        f"{label} {egfr} mL/min/1.73 m² (bedside Schwartz from {height.summary}, "
        f"{creatinine.summary})"
    )
    cited = (
        Evidence(
            None,
            label,
            egfr,
            "mL/min/{1.73_m2}",
            None,
            "bedside Schwartz (Schwartz 2009), 0.413 × height / creatinine",
        ),
        *height.evidence,
        *creatinine.evidence,
    )
    return Fact(name, egfr, summary, cited, *bounds)


def formula(ctx: Context, name: str, definition: Definition, compiled: Any) -> Fact:
    """A named three-valued formula over other definitions (e.g. active hepatitis B)."""
    facts = [ctx.fact(n) for n in sorted(compiled.reads)]
    data = data_for(facts)
    value = compiled.evaluate(data)
    label = definition.document.get("label", name)
    if (
        value is None
        and definition.document.get("absence") == "no"
        and all(_absent(f) for f in facts if f.value is None)
    ):
        # A history question over results ("a low B12 on record?") whose absence policy is "no": no
        # result in the window answers no; a failed search or a result on record that cannot be read
        # does not.
        absent = "; ".join(f.summary for f in facts if f.value is None)
        return Fact(
            name,
            False,
            f"{label}: no (no result on record: {absent})",
            (Evidence(note=f"no result: {absent}"),),
        )
    summary = (
        f"{label}: {'yes' if value else 'no' if value is False else 'unknown'} ("
        + "; ".join(f.summary for f in facts)
        + ")"
    )
    evidence = tuple(e for f in facts for e in f.evidence)
    if value is None:
        # Undecided: carry what a person must confirm (review) or obtain (missing) from the
        # undecided inputs.
        causes = [f for f in facts if f.value is None or f.low is not None or f.high is not None]
        review = (
            "; ".join(sorted({f.review for f in causes if f.review}))
            if causes and all(f.review for f in causes)
            else None
        )
        wanted = ", ".join(sorted({f.missing for f in causes if f.missing})) or None
        return Fact(name, None, summary, evidence, missing=wanted, review=review)
    return Fact(name, value, summary, evidence)


def _absent(fact: Fact) -> bool:
    """Say whether an unknown fact is unknown only because no result is in its window (not
    unreadable, not a failed search).
    """
    # The only evidence an absent measurement cites is its latest stale result (the note
    # observations.latest gives it).
    return bool(fact.missing) and all(
        e.note == "outside the lookback window" for e in fact.evidence
    )


def data_for(facts: list[Fact]) -> dict[str, Any]:
    """Lay facts out as the evaluator's data: each value plus its low/high bounds."""
    data: dict[str, Any] = {}
    for fact in facts:
        low, high = fact.bounds()
        data[fact.name] = fact.value
        data[f"{fact.name}__lo"] = low
        data[f"{fact.name}__hi"] = high
    return data
