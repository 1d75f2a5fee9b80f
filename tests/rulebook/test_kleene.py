"""Tests for service.rulebook.kleene: the rewrite of JsonLogic into three-valued (Kleene) plain
JsonLogic.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.rulebook.kleene import ALLOWED, Formula, LogicError, check, reads, render, three_valued

HUGE = 1e300  # the high bound of a value reported as '>v' (see service.facts.observations)


def var(name: str) -> dict[str, Any]:
    """Return a JsonLogic variable."""
    return {"var": name}


def exact(name: str, value: Any) -> dict[str, Any]:
    """Return evaluator data for a fact known exactly (or unknown, for None)."""
    return {name: value, f"{name}__lo": value, f"{name}__hi": value}


def below(name: str, value: float) -> dict[str, Any]:
    """Return evaluator data for a fact reported as '<value' (bounds 0..value)."""
    return {name: value, f"{name}__lo": 0, f"{name}__hi": value}


# ---------------------------------------------------------------------------------------------
# A small reference evaluator: Kleene logic, comparisons over closed intervals [lo, hi].
# ---------------------------------------------------------------------------------------------

Interval = tuple[float, float]


def _interval(node: Any, data: dict[str, Any]) -> Interval | None:
    """Return the interval a numeric expression lies in, or None when a fact in it is unknown."""
    if isinstance(node, (int, float)) and not isinstance(node, bool):
        return float(node), float(node)
    ((op, args),) = node.items()
    if op == "var":
        name = args[0] if isinstance(args, list) else args
        if data.get(name) is None:
            return None
        return data[f"{name}__lo"], data[f"{name}__hi"]
    parts = [_interval(a, data) for a in args]
    if any(p is None for p in parts):
        return None
    (a_lo, a_hi), (b_lo, b_hi) = parts  # type: ignore[misc]
    if op == "+":
        return a_lo + b_lo, a_hi + b_hi
    if op == "-":
        return a_lo - b_hi, a_hi - b_lo
    raise AssertionError(f"reference evaluator does not know {op!r}")


def _compare(op: str, a: Interval, b: Interval) -> bool | None:
    """Compare two intervals: True if true for every pair of points, False if for none, else
    None.
    """
    (a_lo, a_hi), (b_lo, b_hi) = a, b
    definite, possible = {
        "<": (a_hi < b_lo, a_lo < b_hi),
        "<=": (a_hi <= b_lo, a_lo <= b_hi),
        ">": (a_lo > b_hi, a_hi > b_lo),
        ">=": (a_lo >= b_hi, a_hi >= b_lo),
        "==": (a_lo == a_hi == b_lo == b_hi, a_lo <= b_hi and b_lo <= a_hi),
    }[op]
    return True if definite else None if possible else False


def _not(value: bool | None) -> bool | None:
    return None if value is None else not value


def _and(values: list[bool | None]) -> bool | None:
    if any(v is False for v in values):
        return False
    return True if all(v is True for v in values) else None


def _or(values: list[bool | None]) -> bool | None:
    if any(v is True for v in values):
        return True
    return False if all(v is False for v in values) else None


def reference(node: Any, data: dict[str, Any]) -> bool | None:
    """Evaluate a formula in three-valued logic, the slow and obvious way."""
    if isinstance(node, bool):
        return node
    ((op, args),) = node.items()
    args = args if isinstance(args, list) else [args]
    if op == "var":
        value = data.get(args[0])
        return None if value is None else bool(value)
    if op == "and":
        return _and([reference(a, data) for a in args])
    if op == "or":
        return _or([reference(a, data) for a in args])
    if op == "!":
        return _not(reference(args[0], data))
    if op == "!!":
        return reference(args[0], data)
    if op in ("<", "<=", ">", ">=") and len(args) == 3:
        return _and([reference({op: args[:2]}, data), reference({op: args[1:]}, data)])
    if op in ("==", "!=") and isinstance(args[1], str):
        # A string fact against a string constant.
        value = data.get(args[0]["var"])
        return None if value is None else (value == args[1]) == (op == "==")
    left, right = (_interval(a, data) for a in args)
    if left is None or right is None:
        return None
    if op == "!=":
        return _not(_compare("==", left, right))
    return _compare(op, left, right)


# ---------------------------------------------------------------------------------------------
# Strategies: random formulas over a few facts, and random fact values including unknown.
# ---------------------------------------------------------------------------------------------

BOUNDED = ("x", "y", "z")  # numeric facts that may carry bounds from a comparator
EXACT = ("m", "n")  # numeric facts always known exactly (or unknown)
FLAGS = ("p", "q", "r")  # boolean facts

_constant = st.integers(min_value=0, max_value=10)


def _numeric(names: tuple[str, ...]) -> st.SearchStrategy[Any]:
    leaf = st.one_of(_constant, st.sampled_from(names).map(var))
    return st.recursive(
        leaf,
        lambda inner: st.tuples(st.sampled_from(["+", "-"]), inner, inner).map(
            lambda t: {t[0]: [t[1], t[2]]}
        ),
        max_leaves=3,
    )


_order = st.sampled_from(["<", "<=", ">", ">="])
_comparison = st.one_of(
    st.tuples(_order, _numeric(BOUNDED + EXACT), _numeric(BOUNDED + EXACT)).map(
        lambda t: {t[0]: [t[1], t[2]]}
    ),
    # The three-argument 'between' form.
    st.tuples(
        _order, _numeric(BOUNDED + EXACT), _numeric(BOUNDED + EXACT), _numeric(BOUNDED + EXACT)
    ).map(lambda t: {t[0]: [t[1], t[2], t[3]]}),
    # Equality on exactly known numbers (equality on a bounded number: see
    # test_equality_with_bounded_fact_is_not_decided_by_its_bound).
    st.tuples(st.sampled_from(["==", "!="]), _numeric(EXACT), _numeric(EXACT)).map(
        lambda t: {t[0]: [t[1], t[2]]}
    ),
    st.tuples(st.sampled_from(["==", "!="]), st.sampled_from(["male", "female"])).map(
        lambda t: {t[0]: [var("s"), t[1]]}
    ),
)
_atom = st.one_of(st.booleans(), st.sampled_from(FLAGS).map(var), _comparison)
formulas = st.recursive(
    _atom,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda a: {"and": a}),
        st.lists(inner, min_size=1, max_size=3).map(lambda a: {"or": a}),
        inner.map(lambda f: {"!": [f]}),
        inner.map(lambda f: {"!": f}),  # the unary shorthand without a list
        inner.map(lambda f: {"!!": [f]}),
    ),
    max_leaves=8,
)


@st.composite
def fact_data(draw: st.DrawFn) -> dict[str, Any]:
    """Draw a value for every fact: unknown, exact, or reported with '<' / '>'."""
    data: dict[str, Any] = {}
    for name in FLAGS:
        data.update(exact(name, draw(st.sampled_from([True, False, None]))))
    for name in EXACT:
        data.update(exact(name, draw(st.one_of(st.none(), _constant))))
    for name in BOUNDED:
        value = draw(st.one_of(st.none(), _constant))
        comparator = draw(st.sampled_from(["", "<", ">"]))
        if value is None or comparator == "":
            data.update(exact(name, value))
        elif comparator == "<":
            data.update(below(name, value))
        else:
            data.update({name: value, f"{name}__lo": value, f"{name}__hi": HUGE})
    data.update(exact("s", draw(st.sampled_from(["male", "female", None]))))
    return data


@settings(max_examples=6 * settings.default.max_examples, deadline=None, database=None)  # 600 in CI
@given(formula=formulas, data=fact_data())
def test_formula_matches_reference_evaluator(formula: Any, data: dict[str, Any]) -> None:
    """Formula.evaluate agrees with a reference Kleene evaluator on random formulas and facts."""
    assert Formula(formula).evaluate(data) is reference(formula, data)


@settings(max_examples=2 * settings.default.max_examples, deadline=None, database=None)  # 200 in CI
@given(formula=formulas)
def test_formula_reads_the_facts_it_names(formula: Any) -> None:
    """Formula.reads lists exactly the facts a formula names."""
    named = {v for v in FLAGS + EXACT + BOUNDED + ("s",) if f"'var': '{v}'" in repr(formula)}
    assert Formula(formula).reads == named


# ---------------------------------------------------------------------------------------------
# Table tests.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("logic", "data", "expected"),
    [
        # A missing creatinine does not pass 'creatinine <= 1.5' (plain JsonLogic says true).
        pytest.param({"<=": [var("x"), 1.5]}, exact("x", None), None, id="null<=1.5"),
        # Not-unknown is unknown (plain JsonLogic says true).
        pytest.param({"!": [var("p")]}, exact("p", None), None, id="!null"),
        # The unary shorthand of '!' behaves the same.
        pytest.param({"!": var("p")}, exact("p", None), None, id="!null-shorthand"),
        # False and unknown is false.
        pytest.param({"and": [False, var("p")]}, exact("p", None), False, id="and(false,null)"),
        # True and unknown is unknown.
        pytest.param({"and": [True, var("p")]}, exact("p", None), None, id="and(true,null)"),
        # True or unknown is true.
        pytest.param({"or": [True, var("p")]}, exact("p", None), True, id="or(true,null)"),
        # False or unknown is unknown.
        pytest.param({"or": [False, var("p")]}, exact("p", None), None, id="or(false,null)"),
        # A comparison with a known value is decided.
        pytest.param({">": [var("x"), 1.5]}, exact("x", 2.1), True, id="2.1>1.5"),
        # Equality with an unknown string fact is unknown.
        pytest.param({"==": [var("s"), "female"]}, exact("s", None), None, id="null==female"),
        # A boolean fact read as a condition.
        pytest.param(var("p"), exact("p", False), False, id="var-false"),
    ],
)
def test_kleene_table(logic: Any, data: dict[str, Any], expected: bool | None) -> None:
    """Unknown propagates by Kleene's rules and never reads as false."""
    assert Formula(logic).evaluate(data) is expected


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        # Below the range.
        pytest.param(5, False, id="5"),
        # The lower end is inclusive.
        pytest.param(6, True, id="6"),
        # The upper end is inclusive.
        pytest.param(24, True, id="24"),
        # Above the range.
        pytest.param(25, False, id="25"),
        # Unknown age.
        pytest.param(None, None, id="unknown"),
    ],
)
def test_three_argument_between(age: int | None, expected: bool | None) -> None:
    """'6 <= age <= 24' is decided at both ends and unknown for an unknown age."""
    assert Formula({"<=": [6, var("age"), 24]}).evaluate(exact("age", age)) is expected


def test_between_with_partial_bounds_is_unknown() -> None:
    """An age known only as 24-25 (a partial birthDate) is unknown against '6 <= age <= 24'."""
    data = {"age": 24, "age__lo": 24, "age__hi": 25}
    assert Formula({"<=": [6, var("age"), 24]}).evaluate(data) is None


@pytest.mark.parametrize(
    ("logic", "expected"),
    [
        # Everything below 20 is below 500.
        pytest.param({"<": [var("dna"), 500]}, True, id="<20 < 500"),
        # Nothing below 20 reaches 500.
        pytest.param({">=": [var("dna"), 500]}, False, id="<20 >= 500"),
        # Below 20 may or may not be below 10.
        pytest.param({"<": [var("dna"), 10]}, None, id="<20 < 10"),
        # The bound works on either side of the comparison.
        pytest.param({">": [500, var("dna")]}, True, id="500 > <20"),
        # ... and through negation.
        pytest.param({"!": [{">=": [var("dna"), 500]}]}, True, id="not(<20 >= 500)"),
    ],
)
def test_bounds_from_comparator(logic: Any, expected: bool | None) -> None:
    """A value reported as '<20' is decided where its bound decides and unknown elsewhere."""
    assert Formula(logic).evaluate(below("dna", 20)) is expected


def test_bounds_through_arithmetic() -> None:
    """A subtracted '<20' value pulls the difference the other way (100 - <20 is at least 80)."""
    logic = {">=": [{"-": [var("a"), var("dna")]}, 80]}
    assert Formula(logic).evaluate({**exact("a", 100), **below("dna", 20)}) is True


def test_greater_than_bound_is_open_above() -> None:
    """A value reported as '>1000' is definitely at least 500, and unknown against 2000."""
    data = {"dna": 1000, "dna__lo": 1000, "dna__hi": HUGE}
    assert Formula({">=": [var("dna"), 500]}).evaluate(data)
    assert Formula({">=": [var("dna"), 2000]}).evaluate(data) is None


@pytest.mark.parametrize(
    ("logic", "message"),
    [
        # A misspelled operator.
        pytest.param(
            {"grater": [var("x"), 1]}, "operator 'grater' is not supported", id="unknown-operator"
        ),
        # An operator JsonLogic has but the rewrite does not.
        pytest.param({"if": [True, 1, 2]}, "operator 'if' is not supported", id="if"),
        # An unknown operator nested inside 'and'.
        pytest.param(
            {"and": [True, {"max": [1, 2]}]}, "operator 'max' is not supported", id="nested"
        ),
        # A comparison needs two or three operands.
        pytest.param({"<": [var("x")]}, "'<' takes 2 or 3 arguments, got 1", id="order-arity"),
        # Equality takes exactly two.
        pytest.param({"==": [1, 1, 1]}, "'==' takes 2 arguments, got 3", id="equality-arity"),
        # An operation object has one key.
        pytest.param({"<": [1, 2], ">": [1, 2]}, "exactly one operator", id="two-keys"),
    ],
)
def test_check_rejects(logic: Any, message: str) -> None:
    """check() rejects unsupported operators and shapes with a message naming the problem."""
    with pytest.raises(LogicError) as info:
        check(logic)
    assert message in str(info.value)


def test_check_lists_the_allowed_operators() -> None:
    """The unknown-operator message lists what may be used instead."""
    with pytest.raises(LogicError) as info:
        check({"grater": [1, 2]})
    assert all(repr(op) in str(info.value) for op in ALLOWED)


@pytest.mark.parametrize(
    ("logic", "message"),
    [
        # A number is not a condition.
        pytest.param(5, "a bare value 5 cannot be a condition", id="bare-number"),
        # Nor is arithmetic on its own.
        pytest.param({"+": [1, 2]}, "'+' cannot be a condition on its own", id="bare-arithmetic"),
        # An unknown operator is rejected when compiling, too.
        pytest.param(
            {"between": [1, 2, 3]}, "operator 'between' is not supported", id="unknown-operator"
        ),
    ],
)
def test_formula_rejects(logic: Any, message: str) -> None:
    """Formula() raises LogicError for a rule it cannot evaluate."""
    with pytest.raises(LogicError) as info:
        Formula(logic)
    assert message in str(info.value)


def test_logic_error_is_a_value_error() -> None:
    """LogicError is a ValueError, so callers catching bad values catch it."""
    assert issubclass(LogicError, ValueError)


def test_reads_rejects_var_without_name() -> None:
    """A 'var' with no fact name is an error, not an empty read."""
    with pytest.raises(LogicError, match="'var' needs a fact name"):
        reads({"var": []})


def test_reads_collects_nested_facts() -> None:
    """reads() finds every fact named anywhere in a rule, once."""
    logic = {
        "or": [
            {"and": [{"!": var("a")}, {"<": [var("b"), 2.5]}]},
            {"and": [var("a"), {"<": [var("b"), 5]}]},
        ]
    }
    assert reads(logic) == {"a", "b"}


def test_three_valued_shape() -> None:
    """The rewrite is a plain JsonLogic 'if' giving true, null or false."""
    rewritten = three_valued(var("p"))
    assert rewritten == {
        "if": [{"===": [var("p"), True]}, True, {"!==": [var("p"), False]}, None, False]
    }


@pytest.mark.parametrize(
    ("logic", "text"),
    [
        # A simple comparison.
        pytest.param({">=": [var("anc"), 1.5]}, "anc >= 1.5", id="comparison"),
        # The between form.
        pytest.param({"<=": [6, var("age_years"), 24]}, "6 <= age_years <= 24", id="between"),
        # Nested and/or are parenthesised.
        pytest.param(
            {"or": [{"and": [var("a"), var("b")]}, var("c")]}, "(a and b) or c", id="nested"
        ),
        # Negation.
        pytest.param({"!": var("history_mi")}, "not (history_mi)", id="not"),
        # Strict equality reads as ==.
        pytest.param({"===": [var("sex"), "female"]}, "sex == female", id="strict-equality"),
        # Constants: null and booleans in lower case.
        pytest.param({"==": [None, True]}, "null == true", id="constants"),
    ],
)
def test_render(logic: Any, text: str) -> None:
    """render() gives a short infix form for a reason line."""
    assert render(logic) == text


@pytest.mark.parametrize(
    ("op", "constant"),
    [
        ("==", 20),  # '<20' could be anything below 20; bounds are read as closed, so not decided
        ("==", 5),
        ("!=", 5),
        ("!=", 20),
    ],
)
def test_equality_with_a_bounded_fact_is_unknown(op: str, constant: int) -> None:
    """A value reported '<20' neither equals nor differs from a number for sure: unknown."""
    data = {"x": 20, "x__lo": 0, "x__hi": 20}
    assert Formula({op: [{"var": "x"}, constant]}).evaluate(data) is None


def test_division_by_a_zero_bound_is_unknown_not_an_error() -> None:
    """A divisor reported '<5' (low bound 0) makes the quotient unknown rather than raising."""
    data = {"a": 4, "a__lo": 4, "a__hi": 4, "b": 5, "b__lo": 0, "b__hi": 5}
    assert Formula({"<": [{"/": [{"var": "a"}, {"var": "b"}]}, 2]}).evaluate(data) is None


def test_formula_text_is_its_rendered_logic() -> None:
    """A Formula's text, rendered once at load, is render() of its logic."""
    logic = {"or": [{">": [{"var": "anc"}, 1.5]}, {"!": {"var": "x"}}]}
    assert Formula(logic).text == render(logic) == "anc > 1.5 or not (x)"
