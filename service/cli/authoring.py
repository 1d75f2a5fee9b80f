"""The rule author's loop: explain one criterion with everything it reads, and run a trial's fixture cases as a table."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from service.evaluation.evaluate import evaluate_trial
from service.evaluation.report import TrialReport, Verdict
from service.records.bundle import record_from_bundle
from service.rulebook.book import Criterion, Rulebook, Trial
from service.rulebook.kleene import render as render_logic

# Definition members an author checks first, in this order; the rest follow as they are.
SHOWN_FIRST = (
    "label",
    "description",
    "valueSet",
    "unit",
    "lookbackDays",
    "windowSource",
    "windowWhy",
    "absence",
    "absenceWhy",
    "logic",
    "inputs",
)


def explain(book: Rulebook, trial: Trial, criterion: Criterion) -> str:
    """A criterion in readable infix, then every definition it reads (through formulas too), with windows, absence and value sets."""
    lines = [
        f"{trial.id} {criterion.id} ({criterion.kind}, {criterion.source})",
        f"  {criterion.text}",
        "",
    ]
    if criterion.formula is None:
        lines += [f"Review by a person: {criterion.review}"]
    else:
        lines += [f"Logic: {render_logic(criterion.formula.logic)}"]
        if criterion.review_when:
            lines += [f"Review when {criterion.review_when}: {criterion.review_reason}"]
        if criterion.review_unless is not None:
            lines += [f"Decided anyway when: {render_logic(criterion.review_unless.logic)}"]
    if criterion.note:
        lines += [f"Note: {criterion.note}"]
    names = list(_reads_in_order(book, sorted(criterion.reads)))
    if names:
        lines += ["", "Definitions read:"]
    for name in names:
        lines += _definition_lines(book, name)
    return "\n".join(lines) + "\n"


def _reads_in_order(book: Rulebook, names: list[str]) -> Iterator[str]:
    """The definitions read, each once, a formula before the definitions it reads."""
    seen: set[str] = set()
    todo = list(reversed(names))
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        yield name
        todo.extend(reversed(book.dependencies(name)))


def _definition_lines(book: Rulebook, name: str) -> list[str]:
    """One definition: its kind, then its members (value sets with their size and title)."""
    definition = book.definitions[name]
    lines = [f"  {name} ({definition['kind']})"]
    keys = [k for k in SHOWN_FIRST if k in definition] + sorted(
        k for k in definition if k not in SHOWN_FIRST and k != "kind"
    )
    for key in keys:
        value = definition[key]
        if key == "logic":
            value = render_logic(value)
        elif (
            key in ("valueSet", "negativeValueSet", "conditionValueSet", "method")
            and value in book.value_sets
        ):
            value = _value_set_text(book, value)
        elif not isinstance(value, str):
            value = orjson.dumps(value).decode()
        lines.append(f"      {key}: {value}")
    return lines


def _value_set_text(book: Rulebook, name: str) -> str:
    """A value set by name, title and size."""
    value_set = book.value_sets[name]
    size = f"{len(value_set.codes)} codes" + (
        f", {len(value_set.prefixes)} prefixes" if value_set.prefixes else ""
    )
    size += f", {len(value_set.names)} names" if value_set.names else ""
    return f"{name} — {value_set.title} ({size})"


@dataclass(frozen=True)
class CaseResult:
    """One fixture case run: what its manifest expects and what the rules now give."""

    name: str
    expected_verdict: Verdict
    verdict: Verdict
    expected_fails: tuple[str, ...]
    fails: tuple[str, ...]
    # criterion id -> (expected, actual) for each pinned status that differs
    wrong_statuses: dict[str, tuple[str, str]]

    @property
    def passed(self) -> bool:
        """Say whether the case gives what its manifest expects."""
        return (
            self.verdict == self.expected_verdict
            and self.fails == self.expected_fails
            and not self.wrong_statuses
        )


def run_cases(book: Rulebook, trial: Trial, fixtures_dir: Path) -> list[CaseResult]:
    """Evaluate every case of the trial's fixture manifest and compare with what it expects."""
    manifest = orjson.loads((fixtures_dir / trial.id / "manifest.json").read_bytes())
    results = []
    for name, item in manifest["patients"].items():
        as_of = date.fromisoformat(item.get("asOf", manifest["asOf"]))
        bundle = orjson.loads((fixtures_dir / trial.id / f"{name}.json").read_bytes())
        report = evaluate_trial(book, trial, record_from_bundle(bundle), as_of)
        results.append(_compare(name, item["expect"], report))
    return results


def _compare(name: str, expect: dict[str, Any], report: TrialReport) -> CaseResult:
    statuses: dict[str, str] = {c.id: c.status.value for c in report.criteria}
    fails = tuple(sorted(c.id for c in report.barriers))
    wrong = {
        cid: (want, statuses.get(cid, "absent"))
        for cid, want in expect.get("statuses", {}).items()
        if statuses.get(cid) != want
    }
    return CaseResult(
        name,
        Verdict(expect["verdict"]),
        report.verdict,
        tuple(sorted(expect.get("fails", []))),
        fails,
        wrong,
    )
