"""Tests for service.facts.units: the closed table of UCUM unit conversions."""

from __future__ import annotations

import pytest

from service.facts import units

CREATININE = 113.12  # g/mol
HEMOGLOBIN = 16114.5  # g/mol, haem monomer
GLUCOSE = 180.16  # g/mol


@pytest.mark.parametrize(
    ("value", "source", "target", "molar_mass", "expected"),
    [
        # Creatinine 1.0 mg/dL is 88.4 µmol/L (×88.4 is the textbook factor).
        pytest.param(1.0, "mg/dL", "umol/L", CREATININE, 88.4017, id="creatinine-mg/dL-to-umol/L"),
        # ... and back again.
        pytest.param(88.4017, "umol/L", "mg/dL", CREATININE, 1.0, id="creatinine-umol/L-to-mg/dL"),
        # A viral load of 3 log IU/mL (LOINC's example unit) is 1,000 IU/mL.
        pytest.param(3.0, "{Log_IU}/mL", "[IU]/mL", None, 1000.0, id="log-iu-to-iu"),
        # ... as an EHR prints it.
        pytest.param(2.0, "log IU/mL", "[IU]/mL", None, 100.0, id="log-iu-printed"),
        # Albumin 3.5 g/dL is 35 g/L.
        pytest.param(3.5, "g/dL", "g/L", None, 35.0, id="g/dL-to-g/L"),
        # Haemoglobin 90 g/L is 9 g/dL.
        pytest.param(90.0, "g/L", "g/dL", None, 9.0, id="g/L-to-g/dL"),
        # Haemoglobin 10 g/dL is 6.206 mmol/L (monomer molar mass).
        pytest.param(10.0, "g/dL", "mmol/L", HEMOGLOBIN, 6.20559, id="hb-g/dL-to-mmol/L"),
        # Haemoglobin 6.206 mmol/L is 100 g/L.
        pytest.param(6.20559, "mmol/L", "g/L", HEMOGLOBIN, 100.0, id="hb-mmol/L-to-g/L"),
        # Fasting glucose 90 mg/dL is 5.0 mmol/L.
        pytest.param(90.0, "mg/dL", "mmol/L", GLUCOSE, 4.99556, id="glucose-mg/dL-to-mmol/L"),
        # ANC 1,500 /µL is 1.5 × 10⁹/L.
        pytest.param(1500.0, "/uL", "10*9/L", None, 1.5, id="per-uL-to-10*9/L"),
        # The same count per mm³ (1 mm³ = 1 µL).
        pytest.param(1500.0, "/mm3", "10*9/L", None, 1.5, id="per-mm3-to-10*9/L"),
        # Platelets 250 × 10³/µL are 250 × 10⁹/L.
        pytest.param(250.0, "10*3/uL", "10*9/L", None, 250.0, id="10*3/uL-to-10*9/L"),
        # Cells counted per µL, written with UCUM's annotation.
        pytest.param(2000.0, "{cells}/uL", "10*9/L", None, 2.0, id="cells-annotation"),
        # Body temperature 98.6 °F is 37 °C.
        pytest.param(98.6, "[degF]", "Cel", None, 37.0, id="degF-to-Cel"),
        # Fever 38 °C is 100.4 °F.
        pytest.param(38.0, "Cel", "[degF]", None, 100.4, id="Cel-to-degF"),
        # Weight 154 lb is 69.85 kg (the avoirdupois pound).
        pytest.param(154.0, "[lb_av]", "kg", None, 69.8532, id="lb_av-to-kg"),
        # Transaminase in µkat/L: 0.5 µkat/L is 30 U/L.
        pytest.param(0.5, "ukat/L", "U/L", None, 30.0, id="ukat/L-to-U/L"),
        # A unit converted to itself is unchanged.
        pytest.param(1.7, "mg/dL", "mg/dL", CREATININE, 1.7, id="identity"),
    ],
)
def test_convert(
    value: float, source: str, target: str, molar_mass: float | None, expected: float
) -> None:
    """A value in one unit converts to the expected value in another."""
    assert units.convert(value, source, target, molar_mass) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize(
    ("source", "target", "molar_mass"),
    [
        # Mass concentration to enzyme activity: different quantities.
        pytest.param("mg/dL", "U/L", None, id="mass-to-enzyme"),
        # Mass to substance concentration needs the analyte's molar mass.
        pytest.param("mg/dL", "mmol/L", None, id="mass-to-substance-without-molar-mass"),
        # A molar mass does not make a cell count convertible to mass.
        pytest.param("10*9/L", "g/L", 113.12, id="count-to-mass-with-molar-mass"),
        # HBV DNA in copies/mL is not in IU/mL (assay-specific factor).
        pytest.param("copies/mL", "[IU]/mL", None, id="unknown-source-unit"),
        # A unit the table does not know as target.
        pytest.param("mg/dL", "furlong", None, id="unknown-target-unit"),
        # Temperature to a non-temperature unit.
        pytest.param("Cel", "kg", None, id="temperature-to-mass"),
        # A non-temperature unit to temperature.
        pytest.param("kg", "[degF]", None, id="mass-to-temperature"),
        # No unit at all cannot become a mass concentration.
        pytest.param(None, "g/L", None, id="missing-unit"),
    ],
)
def test_convert_incompatible_is_none(
    source: str | None, target: str, molar_mass: float | None
) -> None:
    """Units that cannot be converted give None rather than a wrong number."""
    assert units.convert(1.0, source, target, molar_mass) is None


@pytest.mark.parametrize(
    "spelling",
    [
        # ASCII u, as UCUM writes micro.
        pytest.param("umol/L", id="ascii-u"),
        # The micro sign U+00B5.
        pytest.param("\u00b5mol/L", id="micro-sign"),
        # The Greek small letter mu U+03BC.
        pytest.param("\u03bcmol/L", id="greek-mu"),
        # Upper case and stray spaces.
        pytest.param(" UMOL/L ", id="case-and-spaces"),
    ],
)
def test_micro_spellings_are_one_unit(spelling: str) -> None:
    """Micro written as 'u', 'µ' or 'μ' (any case) is the same unit."""
    assert units.convert(88.4017, spelling, "mg/dL", CREATININE) == pytest.approx(1.0, rel=1e-5)


@pytest.mark.parametrize(
    "spelling",
    [
        # UCUM's own spelling.
        pytest.param("10*9/L", id="ucum"),
        # A caret for the power.
        pytest.param("10^9/L", id="caret"),
        # A leading 'x' as printed on lab reports.
        pytest.param("x10*9/L", id="x-prefix"),
        # The multiplication sign.
        pytest.param("\u00d710^9/L", id="times-sign"),
        # An E for the power, as Epic and LabCorp print counts.
        pytest.param("x10E9/L", id="e-power"),
        pytest.param("10E9/L", id="e-power-bare"),
    ],
)
def test_power_spellings_are_one_unit(spelling: str) -> None:
    """10*9/L written with ^, x, × or E is the same unit."""
    assert units.convert(2.0, spelling, "10*9/L") == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        # In the table.
        pytest.param("mg/dL", True, id="mass"),
        # A temperature unit.
        pytest.param("[degF]", True, id="temperature"),
        # The micro sign folds to the table's 'u'.
        pytest.param("\u00b5mol/L", True, id="micro-sign"),
        # Not in the table.
        pytest.param("copies/mL", False, id="copies"),
    ],
)
def test_known(unit: str, expected: bool) -> None:
    """known() says whether the table can convert a unit."""
    assert units.known(unit) is expected


def test_thousands_per_microlitre_with_an_e_power_is_a_count() -> None:
    """x10E3/uL (a WBC as labs print it) is 10*3/uL, that is 10*9/L."""
    assert units.convert(3.0, "x10E3/uL", "10*9/L") == pytest.approx(3.0)


@pytest.mark.parametrize("spelling", ["G/L", "g/L", "Giga/L"])
def test_giga_per_litre_is_a_count_where_a_count_is_asked(spelling: str) -> None:
    """A platelet count in "G/L" (giga per litre, as European labs print it) is 10*9/L: a mass
    concentration cannot be a cell count.
    """
    assert units.convert(150.0, spelling, "10*9/L") == pytest.approx(150.0)


def test_grams_per_litre_is_still_a_mass_where_a_mass_is_asked() -> None:
    """Haemoglobin in g/L (or an all-capitals "G/L") stays a mass concentration."""
    assert units.convert(120.0, "G/L", "g/dL") == pytest.approx(12.0)


def test_normalise_none_is_empty() -> None:
    """A missing unit normalises to the empty (unitless) key."""
    assert units.normalise(None) == ""


@pytest.mark.parametrize(
    "unit",
    [
        pytest.param(7, id="number"),
        pytest.param(["mg/dL"], id="list"),
        pytest.param({}, id="object"),
    ],
)
def test_unit_that_is_not_a_string_converts_to_nothing(unit: object) -> None:
    """A unit of the wrong JSON type is no unit (never unitless): nothing converts, and nothing
    raises.
    """
    assert not (units.known(unit))
    assert units.convert(1.0, unit, "1") is None
    assert units.convert(1.0, unit, "mg/dL") is None


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        # A mass concentration (urea by mass is converted to urea nitrogen only in these).
        pytest.param("mg/dL", "mass", id="mg/dL"),
        # A substance concentration: urea mmol/L is BUN mmol/L, no factor.
        pytest.param("mmol/L", "substance", id="mmol/L"),
        # A unit the table does not know.
        pytest.param("furlongs", None, id="unknown"),
    ],
)
def test_dimension(unit: str, expected: str | None) -> None:
    """units.dimension says what a unit measures, or None for a unit the table lacks."""
    assert units.dimension(unit) == expected


@pytest.mark.parametrize(
    ("value", "unit", "target", "expected"),
    [
        # Seconds and milliseconds as EHRs print them without a UCUM code.
        pytest.param(60, "sec", "s", 60, id="sec"),
        pytest.param(60, "seconds", "s", 60, id="seconds"),
        pytest.param(480, "msec", "ms", 480, id="msec"),
        # "gm/dL" is g/dL.
        pytest.param(8.5, "gm/dL", "g/L", 85, id="gm/dL"),
        # An INR "ratio" is unitless.
        pytest.param(1.1, "ratio", "{INR}", 1.1, id="ratio"),
        # Micro written "mc" (mcL, mcmol, mcg), as US EHRs print it.
        pytest.param(230, "K/mcL", "10*9/L", 230, id="K/mcL"),
        pytest.param(230, "10*3/mcL", "10*9/L", 230, id="10*3/mcL"),
        pytest.param(230, "x10^3/mcL", "10*9/L", 230, id="x10^3/mcL"),
        pytest.param(1500, "cells/mcL", "10*9/L", 1.5, id="cells/mcL"),
        pytest.param(80, "mcmol/L", "umol/L", 80, id="mcmol/L"),
        pytest.param(350, "mcg/L", "ng/mL", 350, id="mcg/L"),
        # Thousands per microlitre, and a power in brackets.
        pytest.param(230, "thou/uL", "10*9/L", 230, id="thou/uL"),
        pytest.param(230, "thou/mm3", "10*9/L", 230, id="thou/mm3"),
        pytest.param(2.1, "x10(9)/L", "10*9/L", 2.1, id="x10(9)/L"),
        # Grams per cent (g/dL) and pounds.
        pytest.param(11.2, "g%", "g/L", 112, id="g%"),
        pytest.param(150, "lbs", "kg", 68.0388555, id="lbs"),
        # Fahrenheit printed as "F", "degrees F" or with the ordinal sign º.
        pytest.param(98.6, "F", "Cel", 37, id="F"),
        pytest.param(98.6, "degrees F", "Cel", 37, id="degrees-F"),
        pytest.param(98.6, "\u00baF", "Cel", 37, id="ordinal-F"),
        pytest.param(37, "degrees C", "Cel", 37, id="degrees-C"),
    ],
)
def test_printed_spellings_convert(value: float, unit: str, target: str, expected: float) -> None:
    """Spellings real records carry convert like their UCUM forms."""
    assert units.convert(value, unit, target) == pytest.approx(expected)


@pytest.mark.parametrize("unit", ["C", "DegC", "degC", "Celsius", "Cel"])
def test_celsius_spellings_are_known_temperatures(unit: str) -> None:
    """A body temperature in C, DegC or Celsius is read as degrees Celsius."""
    assert units.known(unit)
