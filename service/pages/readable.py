"""Render a criterion's JsonLogic for people: labels and units from the definitions (``Serum
creatinine ≤ 1.5 × ULN``).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from service.pages.messages import t

HERE = Path(__file__).resolve().parent
# Kinds whose 'false' reads as "no <label>" (no record of it); others read "not (<label> …)".
NO_KINDS = frozenset(
    {
        "condition",
        "medication",
        "medicationCycles",
        "procedure",
        "allergy",
        "immunization",
        "formula",
    }
)


@cache
def _units() -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = orjson.loads((HERE / "units.en.json").read_bytes())
    return data


def _op(node: Any) -> tuple[str, list[Any]] | None:
    if isinstance(node, dict) and len(node) == 1:
        op, args = next(iter(node.items()))
        return op, args if isinstance(args, list) else [args]
    return None


def _number(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def unit_of(definition: Mapping[str, Any] | None) -> str:
    """Return the unit shown after a limit on this definition ('× ULN', 'mL/min', '× 10⁹/L' or
    '').
    """
    if not definition:
        return ""
    units = _units()
    if definition["kind"] in units["kinds"]:
        return units["kinds"][definition["kind"]]
    return units["ucum"].get(definition.get("unit") or "1", definition.get("unit") or "")


def unit_shown(unit: str | None) -> str:
    """Return a UCUM unit as people write it ('10*9/L' → '× 10⁹/L', '1' → ''); an unknown unit as
    it came.
    """
    if not unit:
        return ""
    return _units()["ucum"].get(unit, unit)


def _label(name: str, definitions: Mapping[str, Mapping[str, Any]]) -> str:
    definition = definitions.get(name)
    return str(definition["label"]) if definition else name


def _kind(name: str, definitions: Mapping[str, Mapping[str, Any]]) -> str:
    return str(definitions.get(name, {}).get("kind", ""))


def _fact(name: str, definitions: Mapping[str, Mapping[str, Any]]) -> str:
    """Return a yes/no fact as words: a test's kind says what 'true' means (a positive result, a
    value in range).
    """
    key = {"qualitative": "readable.positive", "inReferenceRange": "readable.inrange"}.get(
        _kind(name, definitions), "readable.has"
    )
    return t(key, what=_label(name, definitions))


def _term(node: Any, definitions: Mapping[str, Mapping[str, Any]]) -> tuple[str, str]:
    """Return (text, unit) of one operand: a definition's label and unit, or a constant."""
    parsed = _op(node)
    if parsed and parsed[0] == "var":
        name = str(parsed[1][0])
        return _label(name, definitions), unit_of(definitions.get(name))
    if parsed:
        return f"({readable(node, definitions)})", ""
    return _number(node), ""


def _comparison(op: str, args: list[Any], definitions: Mapping[str, Mapping[str, Any]]) -> str:
    symbol = _units()["operators"].get(op, op)
    terms = [_term(a, definitions) for a in args]
    unit = next((u for _text, u in terms if u), "")
    texts = [text for text, _u in terms]
    text = f" {symbol} ".join(texts)
    # The unit follows the last constant ("Age ≤ 70 years", "ANC ≥ 1.5 × 10⁹/L"); equality to a word
    # takes none.
    if unit and not isinstance(args[-1], dict) and not isinstance(args[-1], str):
        return f"{text} {unit}"
    if unit and len(args) == 3:
        return f"{text} {unit}"
    return text


def readable(node: Any, definitions: Mapping[str, Mapping[str, Any]]) -> str:
    """Return a rule as a readable line; nested and/or are parenthesised."""
    parsed = _op(node)
    if parsed is None:
        return _number(node)
    op, args = parsed
    if op == "var":
        return _fact(str(args[0]), definitions)
    if op == "!!":
        return readable(args[0], definitions)
    if op == "!":
        inner = _op(args[0])
        if inner and inner[0] == "var" and _kind(str(inner[1][0]), definitions) in NO_KINDS:
            return t("readable.not", what=_label(str(inner[1][0]), definitions))
        return t("readable.not_group", what=readable(args[0], definitions))
    if op in ("and", "or"):
        word = t(f"readable.{op}")
        parts = []
        for arg in args:
            text = readable(arg, definitions)
            nested = _op(arg)
            parts.append(f"({text})" if nested and nested[0] in ("and", "or") else text)
        return f" {word} ".join(parts)
    return _comparison(op, args, definitions)


def age_range(logic_by_criterion: list[Any]) -> str | None:
    """Return a trial's age range ('18–70') from the criterion that bounds age_years, or None."""
    for logic in logic_by_criterion:
        parsed = _op(logic)
        if not parsed:
            continue
        op, args = parsed
        if op in ("<=", "<") and len(args) == 3 and args[1] == {"var": "age_years"}:
            return f"{_number(args[0])}–{_number(args[2])}"
        if op in (">=", ">") and len(args) == 2 and args[0] == {"var": "age_years"}:
            return f"≥ {_number(args[1])}"
    return None
