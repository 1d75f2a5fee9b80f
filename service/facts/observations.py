"""Measurement definitions: the latest usable Observation in a value set, within a lookback
window.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

from service.facts import units
from service.facts.base import Evidence, Fact, iso, number, show
from service.facts.context import Context
from service.facts.ranges import reference_ranges
from service.facts.readings import Reading, evidence, latest, readings
from service.facts.values import as_list, codings, concept_text
from service.records.entries import reference_of
from service.rulebook.definitions import Definition
from service.rulebook.valuesets import canonical_system


def _any_in_window(ctx: Context, definition: Definition) -> bool:
    """Say whether any result (readable, pending or not) is in the window: an unreadable one is
    not an absent one.
    """
    found, pending, notes = readings(ctx, definition)
    return bool(notes) or any(ctx.in_window(definition, r.day) for r in (*found, *pending))


def quantity(
    reading: Reading,
    answers: dict[str, float] | None = None,
    not_detected: dict[str, Any] | None = None,
) -> tuple[dict[str, Any] | None, str | None]:
    """Return a reading's value as a Quantity (valueQuantity, valueInteger, a numeric string, a
    coded answer, or "not detected" as under the definition's detection limit), or why not.
    """
    source = reading.source
    absent = source.get("dataAbsentReason") or (
        reading.resource.get("dataAbsentReason") if source is reading.resource else None
    )
    if absent:
        return None, f"data absent: {concept_text(absent) or 'no reason given'}"
    qty = source.get("valueQuantity")
    if (
        isinstance(qty, dict)
        and isinstance(qty.get("value"), (int, float))
        and not isinstance(qty.get("value"), bool)
    ):
        return qty, None
    if isinstance(source.get("valueInteger"), int) and not isinstance(
        source.get("valueInteger"), bool
    ):
        return {"value": source["valueInteger"], "code": "1", "unit": ""}, None
    answered = _answer(source.get("valueCodeableConcept"), answers)
    if answered is not None:
        return answered, None
    undetected = _undetected(source, not_detected)
    if undetected is not None:
        return undetected, None
    text = source.get("valueString")
    if isinstance(text, str):
        return _string_quantity(text, source)
    if not any(key.startswith("value") for key in source):
        # The grade itself as the Observation's code with no value (an ECOG 3 finding, SNOMED CT
        # 423053003, sent as what was observed): the code is the answer.
        answered = _answer(source.get("code"), answers)
        if answered is not None:
            return answered, None
    return None, "no numeric value"


def _answer(concept: object, answers: dict[str, float] | None) -> dict[str, Any] | None:
    """Return the score of a concept's first coding the definition's answers know, or None."""
    for _s, code, display in codings(concept):
        if answers and code in answers:
            return {"value": answers[code], "code": "1", "unit": "", "answer": display or code}
    return None


def _undetected(source: dict[str, Any], rule: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return a viral load reported as not detected (coded or as text) as a Quantity under the
    definition's detection limit, or None.
    """
    if rule is None:
        return None
    said = next(
        (
            display or code
            for _s, code, display in codings(source.get("valueCodeableConcept"))
            if code in NEGATIVE_CODES
        ),
        None,
    )
    text = source.get("valueString") or concept_text(source.get("valueCodeableConcept"))
    if said is None and isinstance(text, str) and _NEGATIVE_WORDS.match(text):
        said = text
    if said is None:
        return None
    # The limit is in the definition's unit, which measurement() converts to (a no-op).
    return {"value": rule["below"], "comparator": "<", "undetected": said, "why": rule["why"]}


# A result written as text, as labs send values outside the reportable range or with their unit:
# "<0.2", "≥ 1000", "1.2E+03 IU/mL", "0.9 mg/dL".
_STRING_RESULT = re.compile(r"\s*(<=|>=|<|>|≤|≥)?\s*(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*(\S.*?)?\s*")
_COMPARATORS = {"≤": "<=", "≥": ">="}


def _string_quantity(text: str, source: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """Read a valueString as a Quantity: a number, a comparator before it, and a unit after it or,
    with none, its reference range's unit (the lab reports both in one unit).
    """
    found = _STRING_RESULT.fullmatch(text)
    if found is None:
        return None, "no numeric value"
    comparator, digits, unit = found.groups()
    if not math.isfinite(float(digits)):
        # "1E+999" or 400 digits: no lab value; units.convert refuses it, a score unit would not.
        return None, f"no numeric value: the text {text!r} is no finite number"
    if unit is not None and not units.known(unit):
        # "7.4 H", "1.2 see note": a flag or a remark, not a unit that says what the number is.
        return None, f"no numeric value: the text {text!r} is not a number with a unit"
    unit = unit or _range_unit(source) or "1"
    quantity_found: dict[str, Any] = {"value": float(digits), "code": unit, "unit": unit}
    if comparator:
        quantity_found["comparator"] = _COMPARATORS.get(comparator, comparator)
    return quantity_found, None


def _range_unit(source: dict[str, Any]) -> str | None:
    """Return the unit of a result's first reference range limit, or None."""
    for item in as_list(source.get("referenceRange")):
        for limit in ("high", "low"):
            bound = item.get(limit) if isinstance(item, dict) else None
            if isinstance(bound, dict):
                unit = bound.get("code") or bound.get("unit")
                if isinstance(unit, str) and unit:
                    return unit
    return None


def as_analyte(
    reading: Reading, qty: dict[str, Any], definition: Definition
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Return the quantity as the definition's analyte and the mass factor used (urea by mass → urea
    nitrogen), or (qty, None).

    A factor applies to mass concentrations only: a mole of urea holds one "mole" of urea nitrogen
    as labs count it, so urea in mmol/L already equals BUN in mmol/L.
    """
    unit = qty.get("code") or qty.get("unit")
    if units.dimension(unit) != "mass":
        return qty, None
    coded = {(canonical_system(s), c) for s, c, _d in codings(reading.source.get("code"))}
    for item in definition.document.get("massFactors", []):
        if (canonical_system(item["system"]), item["code"]) in coded:
            return {**qty, "value": float(qty["value"]) * item["factor"]}, item
    return qty, None


def _factor_note(original: dict[str, Any], factor: dict[str, Any] | None) -> str | None:
    """Say how a result of another analyte was converted (shown in the evidence), or None."""
    if factor is None:
        return None
    unit = original.get("unit") or original.get("code")
    return (
        f"{factor['label']} {show(original['value'], unit)} × {factor['factor']} = "
        f"{show(number(float(original['value']) * factor['factor']), unit)} "
        f"({factor['why']})"
    )


def measurement(ctx: Context, name: str, definition: Definition) -> Fact:
    """Latest value converted to the definition's unit; a comparator (<0.5) becomes bounds."""
    target = definition["unit"]
    molar_mass = definition.document.get("molarMass")
    answers = definition.document.get("answers")
    not_detected = definition.document.get("notDetected")
    score_units = frozenset(definition.document.get("scoreUnits", ()))

    def read(reading: Reading) -> tuple[Any, str | None]:
        original, why = quantity(reading, answers, not_detected)
        if original is None:
            return None, why
        if "undetected" in original:
            original = {**original, "code": target, "unit": target}
        qty, factor = as_analyte(reading, original, definition)
        unit = qty.get("code") or qty.get("unit")
        value = (
            float(qty["value"])
            if unit in score_units  # Karnofsky "80 %" is the score 80, not UCUM's 0.8
            else units.convert(float(qty["value"]), unit, target, molar_mass)
        )
        if value is None:
            return None, f"unit {unit!r} cannot be converted to {target}"
        return (value, original, factor), None

    found = latest(
        ctx, definition, name, read, highest=definition.document.get("aggregate") == "max"
    )
    if isinstance(found, Fact):
        return found
    reading, (value, qty, factor) = found
    value = number(value)
    low, high = _bounds(value, qty.get("comparator"))
    reported = show(qty["value"], qty.get("unit") or qty.get("code"))
    note = _factor_note(qty, factor) or (
        f"reported {qty['undetected']!r}: below the assay's detection limit, read as "
        f"<{reported} ({qty['why']})"
        if "undetected" in qty
        else f"reported {qty.get('comparator', '')}{reported}"
    )
    shown = f"{qty.get('comparator', '')}{show(value, target)}"
    summary = f"{definition.document.get('label', name)} {shown} on {reading.day.isoformat()}" + (
        f" ({note})" if factor else ""
    )
    cited = evidence(
        reading,
        value,
        target,
        note if factor or normalise_differs(qty, target) or qty.get("comparator") else None,
    )
    return Fact(name, value, summary, (cited,), low, high)


def normalise_differs(qty: dict[str, Any], target: str) -> bool:
    """Say whether the lab's unit differs from the rule's unit (so the evidence shows the
    original).
    """
    return units.normalise(qty.get("code") or qty.get("unit")) != units.normalise(target)


def _bounds(value: float, comparator: str | None) -> tuple[Any, Any]:
    # "<0.5" means somewhere in [0, 0.5): lab values here are never negative. A strict comparator
    # excludes its number (the next float inward), so "<1.5" fails "anc >= 1.5" rather than
    # leaving it unknown, while "<=1.5" still straddles it.
    if comparator in ("<", "<="):
        return 0, math.nextafter(value, -math.inf) if comparator == "<" and value > 0 else value
    if comparator in (">", ">="):
        return math.nextafter(value, math.inf) if comparator == ">" else value, 1e300
    return None, None


def uln_ratio(ctx: Context, name: str, definition: Definition) -> Fact:
    """Latest value divided by that Observation's referenceRange.high (or the documented
    default).
    """
    default = definition.document.get("defaultUln")
    if default and "female" in default and ctx.record.patient.get("gender") == "female":
        # A woman's default where the general one is a man's limit (creatinine).
        default = {**default, **default["female"]}
    molar_mass = definition.document.get("molarMass")
    # Kept for the plausibility of a limit sent with no unit, even where a child's age sets the
    # default itself aside.
    typical = default
    if default is not None and "adultFromYears" in definition:
        # An adult default ULN is wrong for a child (creatinine ~0.5-0.7 mg/dL at 6-12 y): the lab's
        # own range, else unknown.
        age = ctx.fact(definition["inputs"]["age"])
        if age.value is None or age.bounds()[0] < definition["adultFromYears"]:
            default = None

    def read(reading: Reading) -> tuple[Any, str | None]:
        original, why = quantity(reading)
        if original is None:
            return None, why
        qty, factor = as_analyte(reading, original, definition)
        unit = qty.get("code") or qty.get("unit")
        uln, uln_note = _upper_limit(
            reading,
            unit,
            default,
            molar_mass,
            factor["factor"] if factor else 1.0,
            ctx.record.patient,
            typical,
        )
        if uln is None:
            if definition.document.get("defaultUln") and default is None:
                uln_note = (
                    f"{uln_note}: the patient is under {definition['adultFromYears']}, so "
                    "the adult default ULN does not apply"
                )
            return None, uln_note
        return (float(qty["value"]) / uln, qty, uln, uln_note, _factor_note(original, factor)), None

    found = latest(ctx, definition, name, read)
    if isinstance(found, Fact):
        return found
    reading, (ratio, qty, uln, uln_note, converted) = found
    ratio = number(ratio)
    low, high = _bounds(ratio, qty.get("comparator"))
    unit = qty.get("unit") or qty.get("code")
    summary = (
        f"{definition.document.get('label', name)} "
        f"{qty.get('comparator', '')}"
        f"{show(number(qty['value']) if converted else qty['value'], unit)} on "
        f"{reading.day.isoformat()} = {ratio:.3g} × ULN (ULN "
        f"{show(number(uln), unit)}{_uln_source(uln_note)})"
        + (f"; {converted}" if converted else "")
    )
    note = uln_note or f"ULN {show(number(uln), unit)} from the Observation's referenceRange"
    if converted:
        note = f"{converted}; {note}"
    shown = number(qty["value"]) if converted else qty["value"]
    evidence = Evidence(
        reference_of(reading.resource),
        reading.label,
        shown,
        unit,
        iso(reading.day),
        f"{ratio:.3g} × ULN; {note}",
    )
    return Fact(name, ratio, summary, (evidence,), low, high)


def _uln_source(note: str | None) -> str:
    """Say where a ULN came from, for the summary: the range itself (nothing), its text, or the
    default.
    """
    return (
        ""
        if not note
        else ", from its reference range text"
        if note.startswith("ULN from")
        else ", default"
    )


def _upper_limit(
    reading: Reading,
    unit: str | None,
    default: dict[str, Any] | None,
    molar_mass: float | None,
    factor: float = 1.0,
    patient: dict[str, Any] | None = None,
    typical: dict[str, Any] | None = None,
) -> tuple[float | None, str | None]:
    """Return (ULN in the value's unit, note when the default was used) or (None, why).

    ``factor`` converts the result's own range the way its value was converted (urea by mass → urea
    nitrogen); ``typical`` (the definition's default ULN) checks a limit sent with no unit.
    """
    ranges = reference_ranges(reading, patient)
    if ranges.problem:
        # The lab sent ranges this result cannot be measured against: never the default instead.
        return None, f"the result's {ranges.problem}"
    for _low, high, text in ranges.found:
        if high is not None and high["value"] > 0:
            high_unit = high.get("code") or high.get("unit") or unit
            scale = factor if units.dimension(high_unit) == "mass" else 1.0
            converted = units.convert(
                float(high["value"]) * scale, high_unit, unit or "", molar_mass
            )
            where = f"referenceRange.text {text!r}" if text else "referenceRange.high"
            if converted and not (high.get("code") or high.get("unit")):
                implausible = _implausible_limit(converted, unit, typical, molar_mass)
                if implausible:
                    return (
                        None,
                        f"{where} {number(float(high['value']))} has no unit: {implausible}",
                    )
            if converted:
                return converted, (f"ULN from {where}" if text else None)
            return (
                None,
                f"{where} is in {high_unit!r}, which cannot be converted to the result's unit "
                f"{unit!r}",
            )
    if default is None:
        return None, "no referenceRange.high and no default ULN"
    converted = units.convert(float(default["value"]), default["unit"], unit or "", molar_mass)
    if converted is None:
        return (
            None,
            f"no referenceRange.high, and default ULN in {default['unit']} cannot be converted "
            f"to {unit!r}",
        )
    return (
        converted,
        f"no referenceRange.high on the result; default ULN {default['value']} {default['unit']} "
        f"used ({default['source']})",
    )


# How far a limit sent with no unit may lie from the usual one and still be taken in the result's
# unit: a child's or a lab's own limit differs by well under 5x, a limit in another unit (creatinine
# 62 umol/L against 1.2 mg/dL, bilirubin 21 umol/L against 1.2 mg/dL) by 17x and more.
PLAUSIBLE_LIMIT_FACTOR = 5.0


def _implausible_limit(
    limit: float, unit: str | None, typical: dict[str, Any] | None, molar_mass: float | None
) -> str | None:
    """Say why an upper limit read in the result's unit cannot be one (too far from the usual
    limit), or None when it can be, or when there is no usual limit to compare with.
    """
    if typical is None:
        return None
    usual = units.convert(float(typical["value"]), typical["unit"], unit or "", molar_mass)
    if not usual or 1 / PLAUSIBLE_LIMIT_FACTOR <= limit / usual <= PLAUSIBLE_LIMIT_FACTOR:
        return None
    return (
        f"read in the result's unit it is {show(number(limit), unit)}, not a plausible upper limit "
        f"(about {show(number(usual), unit)} is usual), so the unit it was given in cannot be told"
    )


def in_reference_range(ctx: Context, name: str, definition: Definition) -> Fact:
    """Whether the latest value lies within that Observation's referenceRange (low..high), in the
    range's unit.
    """
    molar_mass = definition.document.get("molarMass")

    def read(reading: Reading) -> tuple[Any, str | None]:
        qty, why = quantity(reading)
        if qty is None:
            return None, why
        ranges = reference_ranges(reading, ctx.record.patient)
        if ranges.problem:
            return None, f"the result's {ranges.problem}"
        for low_qty, high_qty, _text in ranges.found:
            low, high = low_qty or {}, high_qty or {}
            value_unit = qty.get("code") or qty.get("unit")
            range_unit = (
                low.get("code")
                or low.get("unit")
                or high.get("code")
                or high.get("unit")
                or value_unit
            )
            value = (
                units.convert(float(qty["value"]), value_unit, range_unit or "", molar_mass)
                if range_unit != value_unit
                else qty["value"]
            )
            if value is None:
                return (
                    None,
                    f"the result's unit {value_unit!r} cannot be compared with its reference "
                    f"range in {range_unit!r}",
                )
            inside = (low.get("value") is None or value >= low["value"]) and (
                high.get("value") is None or value <= high["value"]
            )
            return (inside, qty, low.get("value"), high.get("value")), None
        return None, "no referenceRange on the result"

    found = latest(ctx, definition, name, read)
    if isinstance(found, Fact):
        return found
    reading, (inside, qty, low, high) = found
    unit = qty.get("unit") or qty.get("code")
    words = "within" if inside else "outside"
    summary = (
        f"{definition.document.get('label', name)} {show(qty['value'], unit)} on "
        f"{reading.day.isoformat()} is {words} its reference range {low}–{high}"
    )
    evidence = Evidence(
        reference_of(reading.resource),
        reading.label,
        qty["value"],
        unit,
        iso(reading.day),
        f"reference range {low}–{high}",
    )
    return Fact(name, inside, summary, (evidence,))


POSITIVE_CODES = {"10828004", "260373001", "11214006", "52101004", "LA6576-8", "POS", "DET", "R"}
NEGATIVE_CODES = {"260385009", "260415000", "131194007", "LA6577-6", "NEG", "ND", "NR", "2667000"}
# 阳性 / 阴性: positive / negative as Chinese laboratories report them (probe N).
_POSITIVE_WORDS = re.compile(
    r"^\s*(positive\b|pos\b|detected\b|reactive\b|present\b|\+|阳性)", re.I
)
_NEGATIVE_WORDS = re.compile(
    # "Target Not Detected" is the Roche cobas assays' wording; "TND" its abbreviation.
    r"^\s*(negative|neg|(target )?not detected|tnd|undetected|undetectable|non-?reactive|absent|"
    r"none detected|-|阴性)\s*$",
    re.I,
)


# A signal-to-cut-off ratio or index (HIV and HBsAg immunoassays): positive from the assay's
# cut-off (often 1.0), not from any number above 0.
_INDEX_UNIT = re.compile(r"s/co|s_co|\{index\}|\bindex\b|\bcoi\b", re.I)


def _below_cut_off(reading: Reading, qty: dict[str, Any], patient: dict[str, Any]) -> bool | None:
    """Say whether a quantitative screen lies below the upper limit of its own reference range
    (an HBsAg of 0.02 IU/mL against '<0.05' is negative: probe O read it as positive), or None when
    the result gives no such limit in its own unit.
    """
    found = reference_ranges(reading, patient)
    highs = [h for _l, h, _t in found.found if h] if not found.problem else []
    if len(highs) != 1:
        return None
    limit_unit = highs[0].get("code") or highs[0].get("unit")
    spellings = {units.normalise(u) for u in (qty.get("code"), qty.get("unit")) if u}
    if limit_unit and units.normalise(limit_unit) not in spellings:
        return None
    return bool(qty["value"] < highs[0]["value"])


def _interpretation(source: dict[str, Any]) -> tuple[bool, str] | None:
    """Read a result's first interpretation as positive or negative, or None."""
    for _s, code, _d in codings((as_list(source.get("interpretation")) or [None])[0]):
        if code in POSITIVE_CODES | {"A", "H", "HH"}:
            return True, code
        if code in NEGATIVE_CODES | {"N"}:
            return False, code
    return None


def _ruled_out_untested(
    ctx: Context, name: str, definition: Definition, found: Fact
) -> Fact | None:
    """No result in the window, but the gate (``absenceNoWhen``) is on record (a negative HCV
    antibody for an untested HCV RNA): no. A result on record, even a positive one, still decides.
    """
    gate = definition.absence_no_when
    if not (found.missing and gate) or _any_in_window(ctx, definition):
        return None
    gating = ctx.fact(gate)
    if gating.value is not True:
        return None
    label = definition.document.get("label", name)
    note = f"no {label} result {ctx.window_text(definition)}; no, as {gating.summary}"
    return Fact(
        name,
        False,
        f"{label}: not tested, so no, as {gating.summary}",
        (Evidence(note=note), *gating.evidence),
    )


# C901: the answer forms labs send (code, text, number, interpretation), in order of trust
def qualitative(ctx: Context, name: str, definition: Definition) -> Fact:  # noqa: C901
    """Whether the latest result is positive (coded, string, boolean, or a quantity above the
    detection limit).
    """

    # C901: the answer forms labs send, in order of trust
    def read(reading: Reading) -> tuple[Any, str | None]:  # noqa: C901
        source = reading.source
        if source.get("dataAbsentReason"):
            return None, f"data absent: {concept_text(source['dataAbsentReason'])}"
        if isinstance(source.get("valueBoolean"), bool):
            return (source["valueBoolean"], str(source["valueBoolean"]).lower()), None
        for _s, code, display in codings(source.get("valueCodeableConcept")):
            if code in POSITIVE_CODES:
                return (True, display or code), None
            if code in NEGATIVE_CODES:
                return (False, display or code), None
        text = source.get("valueString") or concept_text(source.get("valueCodeableConcept"))
        if isinstance(text, str) and text:
            if _NEGATIVE_WORDS.match(text):
                return (False, text), None
            if _POSITIVE_WORDS.match(text):
                return (True, text), None
        flagged = _interpretation(source)
        qty = source.get("valueQuantity")
        if isinstance(qty, dict) and isinstance(qty.get("value"), (int, float)):
            unit = qty.get("unit") or qty.get("code")
            shown = f"{qty.get('comparator', '')}{show(qty['value'], unit)}"
            # The lab's own reading of its number comes first: an HIV screen of 0.12 S/CO flagged N
            # is negative, an HCV RNA "<15 IU/mL" flagged DET is detected.
            if flagged is not None:
                return (flagged[0], f"{shown}, interpretation {flagged[1]}"), None
            # "<15 IU/mL" is below the assay's detection limit: not detected.
            if qty.get("comparator") in ("<", "<=") or qty["value"] <= 0:
                return (False, shown), None
            below = _below_cut_off(reading, qty, ctx.record.patient)
            if below is not None:
                return (
                    not below,
                    f"{shown}, {'below' if below else 'at or above'} the cut-off "
                    "of its reference range",
                ), None
            if _INDEX_UNIT.search(str(unit or "")):
                return None, f"{shown} is an index whose cut-off the result does not state"
            return (True, shown), None
        if flagged is not None:
            return (flagged[0], f"interpretation {flagged[1]}"), None
        return None, "result is neither positive nor negative"

    if definition.document.get("positivesPersist"):
        # A positive result at any time on or before the as-of date is decisive (e.g. HIV); the
        # window is for negatives.
        for reading in readings(ctx, definition)[0]:
            value, _why = read(reading)
            if value is not None and value[0] is True:
                summary = (
                    f"{definition.document.get('label', name)} positive ({value[1]}) on "
                    f"{reading.day.isoformat()}"
                )
                note = "a positive result does not expire"
                return Fact(
                    name,
                    True,
                    summary,
                    (
                        Evidence(
                            reference_of(reading.resource),
                            reading.label,
                            value[1],
                            None,
                            iso(reading.day),
                            note,
                        ),
                    ),
                )
    found = latest(ctx, definition, name, read)
    if isinstance(found, Fact):
        ruled_out = _ruled_out_untested(ctx, name, definition, found)
        if ruled_out is not None:
            return ruled_out
        if (
            found.missing
            and definition.document.get("absence") == "no"
            and not _any_in_window(ctx, definition)
        ):
            # A history question ("any positive test?"): no test in the window answers no.
            note = (
                f"no {definition.document.get('label', name)} result {ctx.window_text(definition)}"
            )
            return Fact(
                name,
                False,
                f"{definition.document.get('label', name)}: no positive result ({note})",
                (Evidence(note=note),),
            )
        return found
    reading, (positive, shown) = found
    summary = (
        f"{definition.document.get('label', name)} {'positive' if positive else 'negative'} "
        f"({shown}) on {reading.day.isoformat()}"
    )
    return Fact(
        name,
        positive,
        summary,
        (
            Evidence(
                reference_of(reading.resource), reading.label, shown, None, iso(reading.day), None
            ),
        ),
    )


# Dipstick grades; a quantity in mg/dL is graded at the usual dipstick pads (30, 100, 300, 1000
# mg/dL).
_ORDINALS = {
    "negative": 0,
    "neg": 0,
    "-": 0,
    "nil": 0,
    "trace": 0.5,
    "+-": 0.5,
    "±": 0.5,
    "1+": 1,
    "+": 1,
    "2+": 2,
    "++": 2,
    "3+": 3,
    "+++": 3,
    "4+": 4,
    "++++": 4,
}
_PAD_MG_DL = ((1000, 4), (300, 3), (100, 2), (30, 1), (15, 0.5))
_TEXT_AMOUNT = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(mg/dl|g/l|mg/l)\s*", re.I | re.ASCII)


def _ordinal_text(text: str) -> float | None:
    """Read a grade written as text: "2+", "2 +", "(++)", "2+ (100 mg/dL)", the full-width "3＋"
    of Chinese lab systems.
    """
    folded = unicodedata.normalize("NFKC", text).strip().lower().replace(" ", "")
    grade = _ORDINALS.get(folded.removeprefix("(").removesuffix(")"))
    if grade is None and "(" in folded[1:]:
        # "2+ (100 mg/dL)": the grade, then the pad's amount.
        grade = _ORDINALS.get(folded.split("(", 1)[0])
    return grade


def coded_answer(
    concept: object, table: list[dict[str, Any]]
) -> tuple[tuple[Any, str] | None, str | None]:
    """Return ((number, shown), None) for an answer the code table knows, (None, why) for one coded
    in its systems it does not.

    (None, None) when the answer carries no code of the table's systems: its text may then be read.
    A code the table does not know is never read from its text or display ("Urine protein test
    negative" may be another test).
    """
    known = {(canonical_system(row["system"]), row["code"]): row for row in table}
    systems = {system for system, _code in known}
    unknown_codes = []
    for system, code, display in codings(concept):
        row = known.get((canonical_system(system), code))
        if row is not None:
            return (row["value"], f"{display or row['display']} ({code})"), None
        if canonical_system(system) in systems:
            unknown_codes.append(f"{code} {display!r}" if display else code)
    if unknown_codes:
        return (
            None,
            f"answer code {unknown_codes[0]} is not in the definition's answer table, so it is "
            "not read as a grade",
        )
    return None, None


def ordinal(ctx: Context, name: str, definition: Definition) -> Fact:
    """Latest semi-quantitative grade (negative=0, trace=0.5, 1+ … 4+) from a coded answer, a
    string or mg/dL.
    """

    def read(reading: Reading) -> tuple[Any, str | None]:
        source = reading.source
        graded, why = coded_answer(
            source.get("valueCodeableConcept"), definition.document.get("answerCodes", [])
        )
        if graded is not None or why is not None:
            return graded, why
        text = source.get("valueString") or concept_text(source.get("valueCodeableConcept"))
        if isinstance(text, str) and (grade := _ordinal_text(text)) is not None:
            return (grade, text), None
        qty = source.get("valueQuantity")
        if isinstance(text, str) and qty is None and (written := _TEXT_AMOUNT.fullmatch(text)):
            # A dipstick pad printed as text, "100 mg/dL".
            qty = {"value": float(written.group(1)), "unit": written.group(2)}
        if isinstance(qty, dict) and isinstance(qty.get("value"), (int, float)):
            mg_dl = units.convert(float(qty["value"]), qty.get("code") or qty.get("unit"), "mg/dL")
            if mg_dl is not None:
                grade = next((g for pad, g in _PAD_MG_DL if mg_dl >= pad), 0)
                return (grade, show(qty["value"], qty.get("unit") or qty.get("code"))), None
        if source.get("dataAbsentReason"):
            return None, f"data absent: {concept_text(source['dataAbsentReason'])}"
        return None, f"result {text!r} is not a recognised grade"

    found = latest(ctx, definition, name, read)
    if isinstance(found, Fact):
        return found
    reading, (grade, shown) = found
    label = definition.document.get("label", name)
    summary = f"{label} {shown} (grade {grade}) on {reading.day.isoformat()}"
    return Fact(
        name,
        grade,
        summary,
        (
            Evidence(
                reference_of(reading.resource),
                reading.label,
                shown,
                None,
                iso(reading.day),
                f"grade {grade}",
            ),
        ),
    )
