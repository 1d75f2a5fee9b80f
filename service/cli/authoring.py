"""The rule author's loop: explain one criterion with everything it reads, run a trial's fixture
cases, scaffold one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import yaml

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
# Members that name a value set: shown with its size and title.
VALUE_SET_MEMBERS = (
    "valueSet",
    "procedureValueSet",
    "negativeValueSet",
    "conditionValueSet",
    "method",
)


def explain(book: Rulebook, trial: Trial, criterion: Criterion) -> str:
    """A criterion in readable infix, then every definition it reads (through formulas too), with
    windows, absence and value sets.
    """
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
        elif key in VALUE_SET_MEMBERS and value in book.value_sets:
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


# A case's name becomes its Bundle's file name and part of its patient id (a FHIR id: letters,
# digits, '-').
CASE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")
# What a scaffolded case expects until its author fills it in: nothing real, so `rules test` flags
# it.
TO_FILL_IN = {"verdict": "TODO", "fails": []}


class NewCaseError(ValueError):
    """A case that cannot be scaffolded (the message says why)."""


def new_case(cases_file: Path, name: str, from_case: str | None, description: str | None) -> str:
    """Append a case to a trial's data file, copying another case's change; return the steps that
    follow.
    """
    if not cases_file.is_file():
        raise NewCaseError(
            f"no data file {cases_file} (new-case edits a checkout's fhir_fixtures/cases/)"
        )
    if not CASE_NAME.match(name):
        raise NewCaseError(
            f"a case name is lower-case letters, digits and '-' (at most 41): {name!r}"
        )
    text = cases_file.read_text(encoding="utf-8")
    cases = {str(c["name"]): c for c in yaml.safe_load(text).get("cases") or []}
    if name in cases:
        raise NewCaseError(f"{cases_file.name} already has a case {name!r}")
    source = from_case or next(iter(cases), None)
    if source not in cases:
        raise NewCaseError(f"{cases_file.name} has no case {source!r}; it has {sorted(cases)}")
    change = {k: v for k, v in cases[source].items() if k not in ("name", "description", "expect")}
    entry = {
        "name": name,
        "description": description
        or f"TODO: what this case changes from {source}, and what it tests.",
        **change,
        "expect": TO_FILL_IN,
    }
    # Appended as text, so the file's comments and layout stay; `cases:` is the file's last key.
    scaffold = yaml.safe_dump(
        [entry], sort_keys=False, default_flow_style=None, width=10**9, allow_unicode=True
    )
    written = (
        text.rstrip("\n")
        + f"\n\n# Scaffolded from {source}: edit the change and the expectation.\n"
    )
    cases_file.write_text(written + scaffold, encoding="utf-8")
    last = (yaml.safe_load(cases_file.read_text(encoding="utf-8")).get("cases") or [{}])[-1]
    if last.get("name") != name:  # the file does not end with its cases list: undo, say so
        cases_file.write_text(text, encoding="utf-8")
        raise NewCaseError(
            f"{cases_file.name} does not end with its cases: list; add {name!r} by hand"
        )
    trial = cases_file.stem
    return (
        f"Added case {name!r} (from {source}) to {cases_file}. Next:\n"
        "  1. edit its change (patient / remove / set / replace / add) and its expect: verdict, "
        "fails, statuses\n"
        f"  2. python -m fhir_fixtures build {trial}\n"
        f"  3. python -m service rules test {trial}\n"
        f"  4. python -m tests.update_golden {trial}   (review tests/golden/{trial}/deltas.json)\n"
    )
