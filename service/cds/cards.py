"""Render eligibility reports as CDS Hooks 2.0 cards: one per trial the patient may join, with why in markdown."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import quote

from service.evaluation.evaluate import verdict_text

SUMMARY_LIMIT = 140  # the specification: summary SHOULD be under 140 characters
# Card uuids are derived from the hook instance and the trial, so feedback names a trial without a lookup.
CARD_NAMESPACE = uuid.UUID("6f1c5a52-3f8e-4d0c-9a43-2f5d0b7c8e11")
SHOWN_VERDICTS = ("eligible", "insufficient-data")
EVIDENCE_PER_CRITERION = 3
# The card's source.label (CDS Hooks 2.0: who the card is from, shown to the clinician).
SOURCE_LABEL = "Trial eligibility"
# Markdown's active characters, each escaped with a backslash (one str.translate: a per-character join was 10% of a hook call).
_MARKDOWN_ESCAPES = str.maketrans({ch: "\\" + ch for ch in "\\`*_[]<>#|"})


def cards_for(
    reports: list[dict[str, Any]],
    hook_instance: str,
    urls: dict[str, str | None],
    *,
    show_ineligible: bool = False,
    report_base: str | None = None,
) -> list[dict[str, Any]]:
    """Return one card per trial the patient is eligible for or may be (and ineligible ones when asked)."""
    return [
        card(
            report,
            hook_instance,
            SOURCE_LABEL,
            urls.get(report["trialId"]),
            report_url=report_url(report_base, report),
        )
        for report in reports
        if (show_ineligible or report["verdict"] in SHOWN_VERDICTS) and not deceased(report)
    ]


def deceased(report: dict[str, Any]) -> bool:
    """Say whether the report found the patient deceased: no card then, not even an ineligible one."""
    first = report["criteria"][0] if report["criteria"] else {}
    return first.get("id") == "exc-0" and first.get("status") == "met"


def report_url(base: str | None, report: dict[str, Any]) -> str | None:
    """Return the absolute URL of the report's patient × trial page on this service (service/pages), or None without a base."""
    if not base:
        return None
    return f"{base.rstrip('/')}/ui/patients/{quote(report['patientId'], safe='')}/trials/{report['trialId']}?asOf={report['asOf']}"


def card(
    report: dict[str, Any],
    hook_instance: str,
    source_label: str,
    url: str | None,
    *,
    report_url: str | None = None,
) -> dict[str, Any]:
    """Return the card for one trial's report."""
    body: dict[str, Any] = {
        "uuid": card_uuid(hook_instance, report["trialId"]),
        "summary": summary(report),
        "indicator": "info",
        "detail": detail(report),
        "source": {"label": f"{source_label} (rules {report['rulesVersion']})"},
    }
    if url:
        body["source"]["url"] = url
        body["links"] = [
            {"label": f"{report['trialId']} on ClinicalTrials.gov", "url": url, "type": "absolute"}
        ]
    if report_url:
        # The full report first: the clinician goes from the card to the criterion-by-criterion page.
        body["links"] = [
            {
                "label": f"Full report for {report['trialId']}",
                "url": report_url,
                "type": "absolute",
            },
            *body.get("links", []),
        ]
    return body


def card_uuid(hook_instance: str, trial_id: str) -> str:
    """Return the card's uuid: stable for one hook call and trial."""
    return str(uuid.uuid5(CARD_NAMESPACE, f"{hook_instance}/{trial_id}"))


def summary(report: dict[str, Any]) -> str:
    """Return the one-line summary, e.g. 'May be eligible for NCT… — 14 of 26 criteria pass, 2 missing labs, 3 to review'.

    "Pass" counts met inclusions and absent exclusions: a card reader should not have to know that an
    exclusion's "not-met" is good news.
    """
    criteria = report["criteria"]
    lead = {
        "eligible": "Meets the computable criteria of",
        "insufficient-data": "May be eligible for",
        "ineligible": "Not eligible for",
    }[report["verdict"]]
    review = report["counts"]["review"]
    if report["verdict"] == "eligible" and review:
        # "Eligible" with open review items is not a yes: nothing computed bars the patient, and people must confirm the rest.
        text = (
            f"No barrier found for {report['trialId']} — {review} item{'s' if review != 1 else ''} to confirm, "
            f"{sum(map(_passes, criteria))} of {len(criteria)} criteria pass"
        )
        return text if len(text) < SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 2] + "…"
    parts = [f"{sum(map(_passes, criteria))} of {len(criteria)} criteria pass"]
    if report["verdict"] == "ineligible":
        parts.append(f"{sum(_fails(c) for c in criteria)} exclude")
    labs = missing_labs(report)
    if labs:
        parts.append(f"{len(labs)} missing lab{'s' if len(labs) != 1 else ''}")
    other_unknown = sum(1 for c in criteria if c["status"] == "unknown" and not c["missing"])
    if other_unknown:
        parts.append(f"{other_unknown} unknown")
    if review:
        parts.append(f"{review} to review")
    text = f"{lead} {report['trialId']} — {', '.join(parts)}"
    return text if len(text) < SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 2] + "…"


def _passes(criterion: dict[str, Any]) -> bool:
    return (criterion["kind"], criterion["status"]) in (
        ("inclusion", "met"),
        ("exclusion", "not-met"),
    )


def _fails(criterion: dict[str, Any]) -> bool:
    return (criterion["kind"], criterion["status"]) in (
        ("inclusion", "not-met"),
        ("exclusion", "met"),
    )


def missing_labs(report: dict[str, Any]) -> list[str]:
    """Return the labs (or other measurements) whose absence or staleness leaves a criterion unknown."""
    return sorted(
        {lab for c in report["criteria"] if c["status"] == "unknown" for lab in c["missing"]}
    )


def detail(report: dict[str, Any]) -> str:
    """Return the card's markdown: labs to obtain, then unknown, review and (if any) failed criteria."""
    criteria = report["criteria"]
    lines = [
        f"**{_escape(report['title'])}**",
        "",
        f"Verdict: **{verdict_text(report)}** as of {report['asOf']}. {sum(map(_passes, criteria))} of {len(criteria)} criteria pass, "
        f"{sum(map(_fails, criteria))} exclude, {report['counts']['unknown']} unknown, {report['counts']['review']} to review.",
    ]
    labs = missing_labs(report)
    if labs:
        lines += [
            "",
            "**To obtain:** "
            + ", ".join(_escape(lab) for lab in labs)
            + " (missing or outside the lookback window).",
        ]
    for error in report.get("dataErrors", []):
        lines += ["", f"**Data not received:** {_escape(error['message'])}"]
    for status, heading in (
        (
            "not-met" if report["verdict"] == "ineligible" else "",
            "Criteria that exclude the patient",
        ),
        ("unknown", "Unknown — data needed"),
        ("review", "To review by the study team"),
    ):
        items = [c for c in report["criteria"] if _shown_in(c, status)]
        if items:
            lines += ["", f"**{heading}**", ""] + [_criterion(c) for c in items]
    return "\n".join(lines)


def _shown_in(criterion: dict[str, Any], section: str) -> bool:
    if section == "not-met":
        return _fails(criterion)
    return bool(section) and criterion["status"] == section


def _criterion(criterion: dict[str, Any]) -> str:
    reason = criterion["reason"] or ""
    line = f"- **{criterion['id']}** ({criterion['kind']}) {_escape(criterion['text'])} — {_escape(reason)}"
    cited = [_evidence(e) for e in criterion["evidence"][:EVIDENCE_PER_CRITERION]]
    return line + "".join(f"\n  - {c}" for c in cited if c)


def _evidence(evidence: dict[str, Any]) -> str:
    parts = [evidence.get("display"), _value(evidence), evidence.get("date"), evidence.get("note")]
    text = ", ".join(str(p) for p in parts if p not in (None, ""))
    return _escape(f"{text} ({evidence['reference']})" if evidence.get("reference") else text)


def _value(evidence: dict[str, Any]) -> str | None:
    value = evidence.get("value")
    if value is None:
        return None
    return f"{value} {evidence['unit']}" if evidence.get("unit") else str(value)


def _escape(text: str) -> str:
    r"""Keep patient-data text literal in markdown (no links, emphasis or HTML from a display string).

    Line breaks are folded into spaces and a leading list marker is escaped: a display like "x\\n- inc-1 met" or
    "1. y" would otherwise start a new paragraph or list item and pass for the service's own text.
    """
    flat = " ".join(str(text).split())
    escaped = flat.translate(_MARKDOWN_ESCAPES)
    if escaped.startswith(("-", "+")):
        return "\\" + escaped
    return re.sub(r"^(\d+)([.)])", r"\1\\\2", escaped)
