"""Turn a report (the JSON the API returns) into what a page shows: banner, To obtain, To confirm, one-line why."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from service.pages.messages import t, tn
from service.pages.readable import unit_shown

# The report's reason carries the rule in JsonLogic's terms ("… [rule: anc >= 1.5]"); the page shows the readable rule instead.
RULE_SUFFIX = re.compile(r"\s*\[rule: [^\]]*\]")
ICONS = {"passes": "✓", "excludes": "✗", "undecided": "?", "review": "☐"}


def effect(criterion: dict[str, Any]) -> str:
    """Say what a criterion's status means for the patient: passes, excludes, undecided or review."""
    status, kind = criterion["status"], criterion["kind"]
    if status == "review":
        return "review"
    if status == "unknown":
        return "undecided"
    return "passes" if (kind == "inclusion") == (status == "met") else "excludes"


def reason_text(criterion: dict[str, Any]) -> str:
    """Return the reason without the trailing JsonLogic rule."""
    return RULE_SUFFIX.sub("", criterion.get("reason") or "")


def barriers(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the criteria that exclude the patient."""
    return [c for c in report["criteria"] if effect(c) == "excludes"]


def to_obtain(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Return each lab or test that would decide an unknown criterion, with the criteria it decides."""
    needed: dict[str, list[str]] = {}
    for criterion in report["criteria"]:
        if criterion["status"] == "unknown":
            for label in criterion.get("missing") or []:
                needed.setdefault(label, []).append(criterion["id"])
    return [
        {"label": label, "criteria": ids}
        for label, ids in sorted(needed.items(), key=lambda item: item[0].lower())
    ]


def unknown_without_test(report: dict[str, Any]) -> list[str]:
    """Return the ids of unknown criteria that no named lab or test would decide."""
    return [
        c["id"] for c in report["criteria"] if c["status"] == "unknown" and not c.get("missing")
    ]


def to_confirm(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the review items with their reasons, in the trial's order."""
    return [
        {"id": c["id"], "kind": c["kind"], "text": c["text"], "reason": reason_text(c)}
        for c in report["criteria"]
        if c["status"] == "review"
    ]


def banner(report: dict[str, Any]) -> str:
    """Return the verdict banner: never a bare 'eligible'."""
    verdict = report["verdict"]
    if verdict == "eligible":
        return tn("banner.eligible.confirm", report["counts"]["review"])
    if verdict == "ineligible":
        return tn("banner.ineligible", len(barriers(report)))
    return tn("banner.insufficient-data", report["counts"]["unknown"])


def why_line(report: dict[str, Any]) -> str:
    """Return one line saying why: '2 labs missing: ANC, Platelets · 7 items to confirm'."""
    parts = []
    if report["verdict"] == "ineligible":
        parts.append(t("why.excluded", ids=", ".join(c["id"] for c in barriers(report))))
    labs = [item["label"] for item in to_obtain(report)]
    if labs:
        parts.append(tn("why.labs", len(labs), labs=", ".join(labs)))
    other = unknown_without_test(report)
    if other:
        parts.append(tn("why.unknown", len(other)))
    review = report["counts"]["review"]
    parts.append(tn("why.confirm", review) if review else t("why.nothing"))
    return t("why.sep").join(parts)


def evidence_line(item: dict[str, Any]) -> dict[str, Any]:
    """Return one evidence item's parts for display: reference, what, value, date, note."""
    value = item.get("value")
    shown = (
        None
        if value is None
        else t("evidence.value", value=value, unit=unit_shown(item.get("unit"))).strip()
    )
    return {
        "reference": item.get("reference"),
        "display": item.get("display"),
        "value": shown,
        "date": item.get("date"),
        "note": item.get("note"),
    }


@dataclass(frozen=True, slots=True)
class Evidence:
    """One evidence item as shown: reference, what, value with unit, date, note."""

    reference: str | None
    display: str | None
    value: str | None
    date: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class Row:
    """One criterion's row of the report table, with every word already chosen (the template only places them)."""

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
    evidence: tuple[Evidence, ...]


def criterion_rows(report: dict[str, Any], rules: dict[str, str]) -> list[Row]:
    """Return the report table's rows: status as a word and an icon, reason without the raw rule, the readable rule, evidence."""
    rows = []
    for c in report["criteria"]:
        kind_effect = effect(c)
        evidence = tuple(Evidence(**evidence_line(item)) for item in c.get("evidence") or [])
        rule = rules.get(c["id"])
        rows.append(
            Row(
                c["id"],
                t(f"trial.kind.{c['kind']}"),
                c["status"],
                t(f"status.{c['status']}"),
                kind_effect,
                t(f"effect.{kind_effect}"),
                ICONS[kind_effect],
                c["text"],
                reason_text(c),
                t("report.rule", rule=rule) if rule else None,
                evidence,
            )
        )
    return rows
