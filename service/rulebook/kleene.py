"""Rewrite a JsonLogic rule into plain JsonLogic that evaluates three-valued (Kleene) logic.

Standard JsonLogic reads null as false (``null <= 1.5`` is true), which would pass a missing
creatinine. Each sub-formula f becomes two ordinary rules: D(f), "definitely true" (unknown read as
false), and P(f), "possibly true" (unknown read as true); NOT swaps them. The stored rule becomes
``{"if": [D, true, P, null, false]}``. Numeric facts also carry bounds (``x__lo``, ``x__hi``) so a
result reported as ``<0.5`` is decided where the bound decides it and unknown where it does not.
"""

from __future__ import annotations

from typing import Any

import datalogic_py

BOOLEAN = {"and", "or", "!", "!!"}
ORDER = {">", ">=", "<", "<="}
EQUALITY = {"==", "!=", "===", "!=="}
ARITHMETIC = {"+", "-", "*", "/"}
ALLOWED = BOOLEAN | ORDER | EQUALITY | ARITHMETIC | {"var", "in"}

_ENGINE = datalogic_py.Engine(strict_operator_names=True)


class LogicError(ValueError):
    """A rule uses an operator or shape the three-valued rewrite does not support."""


def _op(node: Any) -> tuple[str, list[Any]] | None:
    if isinstance(node, dict) and len(node) == 1:
        op, args = next(iter(node.items()))
        return op, args if isinstance(args, list) else [args]
    if isinstance(node, dict):
        raise LogicError(f"an operation must have exactly one operator, got {sorted(node)}")
    return None


def reads(node: Any) -> set[str]:
    """Return the names of the facts a rule reads."""
    parsed = _op(node)
    if parsed is None:
        return set().union(*(reads(n) for n in node)) if isinstance(node, list) else set()
    op, args = parsed
    if op == "var":
        if not args or not isinstance(args[0], str):
            raise LogicError("'var' needs a fact name")
        return {args[0]}
    return set().union(*(reads(a) for a in args)) if args else set()


def check(node: Any) -> None:
    """Raise LogicError naming the first unsupported operator or shape."""
    parsed = _op(node)
    if parsed is None:
        if isinstance(node, list):
            for item in node:
                check(item)
        return
    op, args = parsed
    if op not in ALLOWED:
        raise LogicError(f"operator {op!r} is not supported; use one of {sorted(ALLOWED)}")
    if op in ORDER and len(args) not in (2, 3):
        raise LogicError(f"{op!r} takes 2 or 3 arguments, got {len(args)}")
    if op in EQUALITY and len(args) != 2:
        raise LogicError(f"{op!r} takes 2 arguments, got {len(args)}")
    if op != "var":
        for arg in args:
            check(arg)


def _var(name: str) -> dict[str, Any]:
    return {"var": name}


def _not_null(names: set[str]) -> list[dict[str, Any]]:
    return [{"!==": [_var(n), None]} for n in sorted(names)]


def _bound(node: Any, high: bool) -> Any:
    """Replace each fact by its low or high bound so the expression is at its least (or
    greatest).
    """
    parsed = _op(node)
    if parsed is None:
        return node
    op, args = parsed
    if op == "var":
        return _var(f"{args[0]}__{'hi' if high else 'lo'}")
    if op in ("-", "/"):
        # Subtrahend and divisor pull the other way (lab values are never negative).
        return {op: [_bound(args[0], high), *(_bound(a, not high) for a in args[1:])]}
    return {op: [_bound(a, high) for a in args]}


def _rewrite(node: Any) -> tuple[Any, Any]:
    """Return (definitely-true rule, possibly-true rule) for a sub-formula."""
    if isinstance(node, bool):
        return node, node
    parsed = _op(node)
    if parsed is None:
        raise LogicError(f"a bare value {node!r} cannot be a condition")
    op, args = parsed
    if op == "and" or op == "or":
        pairs = [_rewrite(a) for a in args]
        return {op: [d for d, _p in pairs]}, {op: [p for _d, p in pairs]}
    if op == "!":
        definite, possible = _rewrite(args[0])
        return {"!": [possible]}, {"!": [definite]}
    if op == "!!":
        return _rewrite(args[0])
    if op == "var":
        return {"===": [node, True]}, {"!==": [node, False]}
    if op in ORDER and len(args) == 3:
        return _rewrite({"and": [{op: args[:2]}, {op: args[1:]}]})
    names = reads(node)
    if op in ORDER:
        left, right = args
        up = op in (">", ">=")
        definite = {op: [_bound(left, not up), _bound(right, up)]}
        possible = {op: [_bound(left, up), _bound(right, not up)]}
    elif op in EQUALITY or op == "in":
        # Equality holds definitely only for exact values: a result reported as '<20' equals nothing
        # for sure.
        exact = [{"===": [_var(f"{n}__lo"), _var(f"{n}__hi")]} for n in sorted(names)]
        if not names:
            return node, node
        return {"and": [*_not_null(names), *exact, node]}, {
            "or": [{"!": [{"and": _not_null(names) + exact}]}, node]
        }
    else:
        raise LogicError(f"{op!r} cannot be a condition on its own")
    if not names:
        return definite, possible
    return {"and": [*_not_null(names), definite]}, {
        "or": [{"!": [{"and": _not_null(names)}]}, possible]
    }


def three_valued(logic: Any) -> dict[str, Any]:
    """Return the plain JsonLogic rule that gives true, false or null (unknown) for ``logic``."""
    check(logic)
    definite, possible = _rewrite(logic)
    return {"if": [definite, True, possible, None, False]}


class Formula:
    """A criterion's logic compiled once; evaluates to True, False or None over fact data."""

    def __init__(self, logic: Any) -> None:
        self.logic = logic
        self.reads = frozenset(reads(logic))
        try:
            self._rule = _ENGINE.compile_checked(three_valued(logic))
        except datalogic_py.DataLogicError as exc:
            raise LogicError(f"the evaluator rejected the rule: {exc}") from exc
        # Rendered once, after the checks: every report quotes it, and rendering it per criterion
        # per patient cost ~5% of a hook call.
        self.text = render(logic)

    def evaluate(self, data: dict[str, Any]) -> bool | None:
        """Evaluate over data holding each fact's value and its ``__lo``/``__hi`` bounds."""
        try:
            result = self._rule.evaluate(data)
        except datalogic_py.DataLogicError:
            # arithmetic the data cannot support (division by a zero bound): unknown, not a crash
            return None
        return result if result is None else bool(result)


def render(node: Any) -> str:
    """Render a rule as a short infix expression for a reason line (``anc >= 1.5``)."""
    parsed = _op(node)
    if parsed is None:
        return (
            "null" if node is None else str(node).lower() if isinstance(node, bool) else str(node)
        )
    op, args = parsed
    if op == "var":
        return str(args[0])
    if op == "!":
        return f"not ({render(args[0])})"
    if op == "!!":
        return render(args[0])
    if op in ("and", "or"):
        return f" {op} ".join(
            f"({render(a)})" if _op(a) and _op(a)[0] in ("and", "or") else render(a)  # type: ignore[index]
            for a in args
        )
    if op in ORDER and len(args) == 3:
        return f"{render(args[0])} {op} {render(args[1])} {op} {render(args[2])}"
    symbol = {"===": "==", "!==": "!="}.get(op, op)
    return f" {symbol} ".join(render(a) for a in args)
