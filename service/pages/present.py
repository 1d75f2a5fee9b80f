"""Turn a report into what a page shows: banner, To obtain, To confirm, one-line why."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from service.evaluation.report import CriterionResult, TrialReport, Verdict
from service.facts.base import Evidence
from service.pages.messages import t, tn
from service.pages.readable import unit_shown

# The report's reason carries the rule in JsonLogic's terms ("… [rule: anc >= 1.5]"); the page shows
# the readable rule instead.
RULE_SUFFIX = re.compile(r"\s*\[rule: [^\]]*\]")
ICONS = {"passes": "✓", "excludes": "✗", "undecided": "?", "review": "☐"}
VERDICT_ICONS = {Verdict.ELIGIBLE: "✓", Verdict.INSUFFICIENT_DATA: "?", Verdict.INELIGIBLE: "✗"}


def effect(criterion: CriterionResult) -> str:
    """Say what a criterion's status means for the patient: passes, excludes, undecided or
    review.
    """
    if criterion.needs_review:
        return "review"
    if criterion.undecided:
        return "undecided"
    return "excludes" if criterion.bars else "passes"


def reason_text(criterion: CriterionResult) -> str:
    """Return the reason without the trailing JsonLogic rule."""
    return RULE_SUFFIX.sub("", criterion.reason or "")


def barriers(report: TrialReport) -> list[CriterionResult]:
    """Return the criteria that exclude the patient."""
    return list(report.barriers)


def to_obtain(report: TrialReport) -> list[dict[str, Any]]:
    """Return each lab or test that would decide an unknown criterion, with the criteria it
    decides.
    """
    needed: dict[str, list[str]] = {}
    for criterion in report.criteria:
        for label in criterion.to_obtain:
            needed.setdefault(label, []).append(criterion.id)
    return [
        {"label": label, "criteria": ids}
        for label, ids in sorted(needed.items(), key=lambda item: item[0].lower())
    ]


def unknown_without_test(report: TrialReport) -> list[str]:
    """Return the ids of unknown criteria that no named lab or test would decide."""
    return [c.id for c in report.undecided if not c.missing]


def to_confirm(report: TrialReport) -> list[dict[str, Any]]:
    """Return the review items with their reasons, in the trial's order."""
    return [
        {"id": c.id, "kind": c.kind.value, "text": c.text, "reason": reason_text(c)}
        for c in report.to_review
    ]


def banner(report: TrialReport) -> str:
    """Return the verdict banner: never a bare 'eligible'."""
    verdict = report.verdict
    if verdict is Verdict.ELIGIBLE:
        return tn("banner.eligible.confirm", report.to_confirm)
    if verdict is Verdict.INELIGIBLE:
        return tn("banner.ineligible", len(report.barriers))
    return tn("banner.insufficient-data", len(report.undecided))


def why_line(report: TrialReport) -> str:
    """Return one line saying why: '2 labs missing: ANC, Platelets · 7 items to confirm'."""
    parts = []
    if report.verdict is Verdict.INELIGIBLE:
        parts.append(t("why.excluded", ids=", ".join(c.id for c in report.barriers)))
    labs = [item["label"] for item in to_obtain(report)]
    if labs:
        parts.append(tn("why.labs", len(labs), labs=", ".join(labs)))
    other = unknown_without_test(report)
    if other:
        parts.append(tn("why.unknown", len(other)))
    review = report.to_confirm
    parts.append(tn("why.confirm", review) if review else t("why.nothing"))
    return t("why.sep").join(parts)


def evidence_line(item: Evidence) -> dict[str, Any]:
    """Return one evidence item's parts for display: reference, what, value, date, note."""
    shown = (
        None
        if item.value is None
        else t("evidence.value", value=item.value, unit=unit_shown(item.unit)).strip()
    )
    return {
        "reference": item.reference,
        "display": item.display,
        "value": shown,
        "date": item.date,
        "note": item.note,
    }


@dataclass(frozen=True, slots=True)
class EvidenceShown:
    """One evidence item as shown: reference, what, value with unit, date, note."""

    reference: str | None
    display: str | None
    value: str | None
    date: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class Row:
    """One criterion's row of the report table, with every word already chosen (the template only
    places them).
    """

    id: str
    kind: str
    status: str
    status_word: str
    effect: str
    effect_word: str
    icon: str
    text: str
    reason: str
    rule: str | None
    evidence: tuple[EvidenceShown, ...]


def criterion_rows(report: TrialReport, rules: dict[str, str]) -> list[Row]:
    """Return the report table's rows: status as a word and an icon, reason without the raw rule,
    the readable rule, evidence.
    """
    rows = []
    for c in report.criteria:
        kind_effect = effect(c)
        evidence = tuple(EvidenceShown(**evidence_line(item)) for item in c.evidence)
        rule = rules.get(c.id)
        rows.append(
            Row(
                c.id,
                t(f"trial.kind.{c.kind}"),
                c.status.value,
                t(f"status.{c.status}"),
                kind_effect,
                t(f"effect.{kind_effect}"),
                ICONS[kind_effect],
                c.text,
                reason_text(c),
                t("report.rule", rule=rule) if rule else None,
                evidence,
            )
        )
    return rows
