"""Table-driven conversion between the UCUM units labs report, including mass↔molar via molar
mass.
"""

from __future__ import annotations

import math
import re

# Each unit: (dimension, factor to the dimension's base unit). The bases are
# 10*9/L (cell counts), g/L (mass concentration), mmol/L (substance
# concentration), U/L, ms, %, mm[Hg], kg, [IU]/mL, g/(24.h), mL/min and 1.
# A closed table rather than a general UCUM parser: every conversion a verdict
# rests on can be read here and reviewed by a clinician.
_UNITS: dict[str, tuple[str, float]] = {
    # cell counts per volume
    "10*9/l": ("count", 1.0),
    "10*3/ul": ("count", 1.0),
    "10*3/mm3": ("count", 1.0),
    "k/ul": ("count", 1.0),
    "thou/ul": ("count", 1.0),
    "thou/mm3": ("count", 1.0),
    "10*6/ml": ("count", 1.0),
    "/ul": ("count", 1e-3),
    "/mm3": ("count", 1e-3),
    "{cells}/ul": ("count", 1e-3),
    "cells/ul": ("count", 1e-3),
    "10*6/l": ("count", 1e-3),
    "10*12/l": ("count", 1e3),
    "giga/l": ("count", 1.0),  # as French labs print a platelet count
    "10*6/ul": ("count", 1e3),
    # mass concentration
    "g/l": ("mass", 1.0),
    "g/dl": ("mass", 10.0),
    "gm/dl": ("mass", 10.0),
    "g%": ("mass", 10.0),  # grams per cent: per 100 mL
    "mg/dl": ("mass", 1e-2),
    "mg/l": ("mass", 1e-3),
    "mg/ml": ("mass", 1.0),
    "ug/dl": ("mass", 1e-5),
    "ug/l": ("mass", 1e-6),
    "ng/ml": ("mass", 1e-6),
    "pg/ml": ("mass", 1e-9),
    "ng/dl": ("mass", 1e-8),
    # substance concentration
    "mol/l": ("substance", 1e3),
    "mmol/l": ("substance", 1.0),
    "umol/l": ("substance", 1e-3),
    "nmol/l": ("substance", 1e-6),
    "pmol/l": ("substance", 1e-9),
    # catalytic activity
    "u/l": ("enzyme", 1.0),
    "[iu]/l": ("enzyme", 1.0),
    "iu/l": ("enzyme", 1.0),
    "ukat/l": ("enzyme", 60.0),
    # international units (viral load, hormones)
    "[iu]/ml": ("iu", 1.0),
    "iu/ml": ("iu", 1.0),
    "k[iu]/ml": ("iu", 1e3),
    "m[iu]/l": ("miu", 1.0),
    "miu/l": ("miu", 1.0),
    "u[iu]/ml": ("miu", 1.0),
    "uiu/ml": ("miu", 1.0),
    "m[iu]/ml": ("miu", 1e3),
    "miu/ml": ("miu", 1e3),  # how labs print hCG when no UCUM code is sent
    # time, ratio, pressure, mass
    "ms": ("time", 1.0),
    "msec": ("time", 1.0),
    "s": ("time", 1e3),
    "sec": ("time", 1e3),
    "secs": ("time", 1e3),
    "seconds": ("time", 1e3),
    "%": ("percent", 1.0),
    "mm[hg]": ("pressure", 1.0),
    "mmhg": ("pressure", 1.0),
    "kg": ("bodymass", 1.0),
    "g": ("bodymass", 1e-3),
    "[lb_av]": ("bodymass", 0.45359237),
    "lb": ("bodymass", 0.45359237),
    "lbs": ("bodymass", 0.45359237),
    # body height (the bedside Schwartz formula for children)
    "cm": ("length", 1.0),
    "m": ("length", 100.0),
    "[in_i]": ("length", 2.54),
    # daily excretion
    "g/(24.h)": ("daily", 1.0),
    "g/24h": ("daily", 1.0),
    "g/d": ("daily", 1.0),
    "mg/(24.h)": ("daily", 1e-3),
    "mg/24h": ("daily", 1e-3),
    "mg/d": ("daily", 1e-3),
    # clearance, unitless ratios and scores
    "ml/min": ("clearance", 1.0),
    "1": ("unitless", 1.0),
    "{ratio}": ("unitless", 1.0),
    "ratio": ("unitless", 1.0),
    "{inr}": ("unitless", 1.0),
    "{score}": ("unitless", 1.0),
    "{index}": ("unitless", 1.0),
    "": ("unitless", 1.0),
}

# "C", "DegC" and "Celsius" as EHRs print a body temperature without its UCUM code ("Cel").
_TEMPERATURE = {
    "cel": "C",
    "°c": "C",
    "degc": "C",
    "c": "C",
    "celsius": "C",
    "degreesc": "C",
    "ºc": "C",  # the ordinal sign U+00BA, typed for a degree sign
    "[degf]": "F",
    "°f": "F",
    "degf": "F",
    "fahrenheit": "F",
    "f": "F",
    "degreesf": "F",
    "ºf": "F",
}


# Viral loads in log10 units, as labs report them beside (or instead of) IU/mL: LOINC's example
# unit "{Log_IU}/mL" and the spellings EHRs print. The value is 10**value in the linear unit.
_LOG10: dict[str, str] = {
    "{log_iu}/ml": "[iu]/ml",
    "{log_[iu]}/ml": "[iu]/ml",
    "[log_10'iu]/ml": "[iu]/ml",
    "log[iu]/ml": "[iu]/ml",
    "logiu/ml": "[iu]/ml",
    "log10iu/ml": "[iu]/ml",
    "log10[iu]/ml": "[iu]/ml",
    "log(iu/ml)": "[iu]/ml",
}


def normalise(unit: object) -> str:
    """Fold spelling variants of a unit (µ/u, ^/*, case) into the table's key form; a unit that
    is not a string is no known unit.
    """
    if unit is not None and not isinstance(unit, str):
        return "\x00not a unit"
    text = (unit or "").strip().replace("µ", "u").replace("μ", "u").replace("^", "*")
    # "x10(9)/L": the power in brackets.
    text = re.sub(r"10\((\d+)\)", r"10*\1", text)
    text = text.replace("x10*", "10*").replace("×10*", "10*").replace(" ", "").lower()
    # "mcL", "mcmol", "mcg": micro as US EHRs print it; no unit of the table has "mc" otherwise.
    text = text.replace("mcl", "ul").replace("mcmol", "umol").replace("mcg", "ug")
    # "10E3/uL": an E for the power (Epic, LabCorp); no unit of the table has "10e" otherwise.
    return text.replace("x10e", "10*").replace("10e", "10*")


def known(unit: object) -> bool:
    """Say whether the table knows a unit."""
    key = normalise(unit)
    return key in _UNITS or key in _TEMPERATURE or key in _LOG10


def dimension(unit: object) -> str | None:
    """Return what a unit measures (``mass`` concentration, ``substance`` concentration, ...), or
    None for a unit the table lacks.
    """
    key = normalise(unit)
    found = _UNITS.get(_LOG10.get(key, key))
    return found[0] if found else None


def convert(
    value: float, from_unit: object, to_unit: str, molar_mass: float | None = None
) -> float | None:
    """Convert a value between units; None when they cannot be converted or the result is not
    finite.
    """
    result = _convert(value, from_unit, to_unit, molar_mass)
    return result if result is not None and math.isfinite(result) else None


def _convert(
    value: float, from_unit: object, to_unit: str, molar_mass: float | None = None
) -> float | None:
    """Convert a value between units; None when they cannot be converted.

    ``molar_mass`` (g/mol) allows mass↔substance concentration, e.g. creatinine
    mg/dL ↔ µmol/L with 113.12 g/mol.
    """
    source, target = normalise(from_unit), normalise(to_unit)
    if source in _LOG10:
        if not -300 < value < 300:
            return None  # no viral load; 10**value would overflow
        value, source = 10.0**value, _LOG10[source]
    if source in _TEMPERATURE or target in _TEMPERATURE:
        return _convert_temperature(value, _TEMPERATURE.get(source), _TEMPERATURE.get(target))
    if source not in _UNITS or target not in _UNITS:
        return None
    if source == "g/l" and _UNITS[target][0] == "count":
        # "G/L" is giga per litre on European counts; folded to lower case it reads as grams per
        # litre, which a cell count can never be.
        source = "10*9/l"
    (src_dim, src_factor), (dst_dim, dst_factor) = _UNITS[source], _UNITS[target]
    base = value * src_factor
    if src_dim == dst_dim:
        return base / dst_factor
    if molar_mass and {src_dim, dst_dim} == {"mass", "substance"}:
        # g/L = mmol/L × (g/mol) / 1000
        base = base * molar_mass / 1000.0 if src_dim == "substance" else base * 1000.0 / molar_mass
        return base / dst_factor
    return None


def _convert_temperature(value: float, source: str | None, target: str | None) -> float | None:
    if source is None or target is None:
        return None
    celsius = value if source == "C" else (value - 32.0) * 5.0 / 9.0
    return celsius if target == "C" else celsius * 9.0 / 5.0 + 32.0
