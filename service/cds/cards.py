"""Render eligibility reports as CDS Hooks 2.0 cards: one per trial the patient may join, with
why in markdown.
"""

from __future__ import annotations

import re
import uuid
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from service.evaluation.report import CriterionResult, TrialReport, Verdict
from service.facts.base import Evidence

SUMMARY_LIMIT = 140  # the specification: summary SHOULD be under 140 characters
# Card uuids are derived from the hook instance and the trial, so feedback names a trial without a
# lookup.
CARD_NAMESPACE = uuid.UUID("6f1c5a52-3f8e-4d0c-9a43-2f5d0b7c8e11")
EVIDENCE_PER_CRITERION = 3
# The card's source.label (CDS Hooks 2.0: who the card is from, shown to the clinician).
SOURCE_LABEL = "Trial eligibility"
# Markdown's active characters, each escaped with a backslash: one str.replace per character
# present, the backslash first so the escapes added after it are not escaped again (7x faster than
# str.translate, which was 5% of a hook call; a per-character join was 10%).
_MARKDOWN_ACTIVE = "\\`*_[]<>#|"
_LIST_NUMBER = re.compile(r"^(\d+)([.)])")
LEADS = {
    Verdict.ELIGIBLE: "Meets the computable criteria of",
    Verdict.INSUFFICIENT_DATA: "May be eligible for",
    Verdict.INELIGIBLE: "Not eligible for",
}


def cards_for(
    reports: list[TrialReport],
    hook_instance: str,
    urls: dict[str, str | None],
    *,
    show_ineligible: bool = False,
    report_base: str | None = None,
) -> list[dict[str, Any]]:
    """Return one card per trial the patient is eligible for or may be (and ineligible ones when
    asked).
    """
    return [
        card(
            report,
            hook_instance,
            SOURCE_LABEL,
            urls.get(report.trial_id),
            report_url=report_url(report_base, report),
        )
        for report in reports
        # A deceased patient gets no card, not even an ineligible one.
        if (show_ineligible or report.verdict.is_candidate) and not report.deceased
    ]


def report_url(base: str | None, report: TrialReport) -> str | None:
    """Return the absolute URL of the report's patient × trial page on this service
    (service/pages), or None without a base.
    """
    if not base:
        return None
    patient = quote(report.patient_id, safe="")
    return (
        f"{base.rstrip('/')}/ui/patients/{patient}/trials/{report.trial_id}"
        f"?asOf={report.as_of.isoformat()}"
    )


def card(
    report: TrialReport,
    hook_instance: str,
    source_label: str,
    url: str | None,
    *,
    report_url: str | None = None,
) -> dict[str, Any]:
    """Return the card for one trial's report."""
    body: dict[str, Any] = {
        "uuid": card_uuid(hook_instance, report.trial_id),
        "summary": summary(report),
        "indicator": "info",
        "detail": detail(report),
        "source": {"label": f"{source_label} (rules {report.rules_version})"},
    }
    if url:
        body["source"]["url"] = url
        body["links"] = [
            {"label": f"{report.trial_id} on ClinicalTrials.gov", "url": url, "type": "absolute"}
        ]
    if report_url:
        # The full report first: the clinician goes from the card to the criterion-by-criterion
        # page.
        body["links"] = [
            {
                "label": f"Full report for {report.trial_id}",
                "url": report_url,
                "type": "absolute",
            },
            *body.get("links", []),
        ]
    return body


def card_uuid(hook_instance: str, trial_id: str) -> str:
    """Return the card's uuid: stable for one hook call and trial."""
    return str(uuid.uuid5(CARD_NAMESPACE, f"{hook_instance}/{trial_id}"))


def summary(report: TrialReport) -> str:
    """Return the one-line summary, e.g. 'May be eligible for NCT… — 14 of 26 criteria pass, 2
    missing labs, 3 to review'.

    "Pass" counts met inclusions and absent exclusions: a card reader should not have to know that
    an exclusion's "not-met" is good news.
    """
    criteria = report.criteria
    lead = LEADS[report.verdict]
    review = report.to_confirm
    if report.verdict is Verdict.ELIGIBLE and review:
        # "Eligible" with open review items is not a yes: nothing computed bars the patient, and
        # people must confirm the rest.
        text = (
            f"No barrier found for {report.trial_id} — {review} item{'s' if review != 1 else ''} "
            "to confirm, "
            f"{len(report.passing)} of {len(criteria)} criteria pass"
        )
        return text if len(text) < SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 2] + "…"
    parts = [f"{len(report.passing)} of {len(criteria)} criteria pass"]
    if report.verdict is Verdict.INELIGIBLE:
        parts.append(f"{len(report.barriers)} exclude")
    labs = report.to_obtain
    if labs:
        parts.append(f"{len(labs)} missing lab{'s' if len(labs) != 1 else ''}")
    other_unknown = sum(1 for c in report.undecided if not c.missing)
    if other_unknown:
        parts.append(f"{other_unknown} unknown")
    if review:
        parts.append(f"{review} to review")
    text = f"{lead} {report.trial_id} — {', '.join(parts)}"
    return text if len(text) < SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 2] + "…"


def detail(report: TrialReport) -> str:
    """Return the card's markdown: labs to obtain, then unknown, review and (if any) failed
    criteria.
    """
    lines = [
        f"**{_escape_rule_text(report.title)}**",
        "",
        f"Verdict: **{report.verdict_text}** as of {report.as_of.isoformat()}. "
        f"{len(report.passing)} of {len(report.criteria)} criteria pass, "
        f"{len(report.barriers)} exclude, {len(report.undecided)} unknown, {report.to_confirm} "
        "to review.",
    ]
    labs = report.to_obtain
    if labs:
        lines += [
            "",
            "**To obtain:** "
            + ", ".join(_escape(lab) for lab in labs)
            + " (missing or outside the lookback window).",
        ]
    for error in report.data_errors:
        lines += ["", f"**Data not received:** {_escape(error.message)}"]
    # The criteria that exclude are listed only when they decide the verdict (an ineligible report).
    barriers = report.barriers if report.verdict is Verdict.INELIGIBLE else ()
    for items, heading in (
        (barriers, "Criteria that exclude the patient"),
        (report.undecided, "Unknown — data needed"),
        (report.to_review, "To review by the study team"),
    ):
        if items:
            lines += ["", f"**{heading}**", ""] + [_criterion(c) for c in items]
    return "\n".join(lines)


def _criterion(criterion: CriterionResult) -> str:
    reason = criterion.reason or ""
    line = (
        f"- **{criterion.id}** ({criterion.kind}) {_escape_rule_text(criterion.text)} — "
        f"{_escape(reason)}"
    )
    cited = [_evidence(e) for e in criterion.evidence[:EVIDENCE_PER_CRITERION]]
    return line + "".join(f"\n  - {c}" for c in cited if c)


def _evidence(evidence: Evidence) -> str:
    parts = [evidence.display, _value(evidence), evidence.date, evidence.note]
    text = ", ".join(str(p) for p in parts if p not in (None, ""))
    return _escape(f"{text} ({evidence.reference})" if evidence.reference else text)


def _value(evidence: Evidence) -> str | None:
    if evidence.value is None:
        return None
    return f"{evidence.value} {evidence.unit}" if evidence.unit else str(evidence.value)


def _escape(text: str) -> str:
    r"""Keep patient-data text literal in markdown (no links, emphasis or HTML from a display
    string).

    Line breaks are folded into spaces and a leading list marker is escaped: a display like "x\\n-
    inc-1 met" or "1. y" would otherwise start a new paragraph or list item and pass for the
    service's own text.
    """
    escaped = " ".join(str(text).split())
    for active in _MARKDOWN_ACTIVE:
        if active in escaped:
            escaped = escaped.replace(active, "\\" + active)
    if escaped.startswith(("-", "+")):
        return "\\" + escaped
    return _LIST_NUMBER.sub(r"\1\\\2", escaped) if escaped[:1].isdigit() else escaped


# The rulebook's own texts (trial titles, criterion texts) recur on every card of every call:
# escaped once per process. Patient data (reasons, evidence) is never kept here.
_escape_rule_text = lru_cache(maxsize=4096)(_escape)
