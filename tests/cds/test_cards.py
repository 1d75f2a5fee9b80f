"""Tests for service.cds.cards: eligibility reports rendered as CDS Hooks 2.0 cards."""

from __future__ import annotations

import copy
import html
import re
import uuid
from datetime import date
from typing import Any

import pytest
from markdown_it import MarkdownIt

from service.cds.cards import LEADS, SUMMARY_LIMIT, cards_for
from service.evaluation.evaluate import evaluate_trial
from service.evaluation.report import Status, TrialReport, Verdict
from service.records.bundle import record_from_bundle
from service.rulebook.book import Rulebook
from tests.golden_cases import cases
from tests.helpers.cds import fixture_bundle

AS_OF = date(2026, 11, 20)
HOOK_INSTANCE = "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea"
TRIAL = "NCT06761417"
# CommonMark with raw HTML on, as a permissive EHR renderer would be: anything that is not escaped
# shows up.
MARKDOWN = MarkdownIt("commonmark")


def report(
    book: Rulebook, trial: str, case: str, bundle: dict[str, Any] | None = None
) -> TrialReport:
    """The report of a fixture case for its trial (or of `bundle`, a changed copy of it)."""
    return evaluate_trial(
        book, book.trials[trial], record_from_bundle(bundle or fixture_bundle(trial, case)), AS_OF
    )


def card_of(book: Rulebook, rep: TrialReport, hook_instance: str = HOOK_INSTANCE) -> dict[str, Any]:
    """The one card of a report, shown whatever its verdict."""
    (card,) = cards_for(
        [rep], hook_instance, {t.id: t.url for t in book.trials.values()}, show_ineligible=True
    )
    return card


def rendered_text(markdown: str) -> str:
    """The text a reader sees once the markdown is rendered (tags dropped, entities decoded,
    whitespace collapsed).
    """
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", MARKDOWN.render(markdown))).split())


def structure(markdown: str) -> list[str]:
    """The markdown's block and inline structure, without its text: what patient data must never
    change.
    """
    shape = []
    for token in MARKDOWN.parse(markdown):
        shape.append(token.type)
        shape += [
            child.type for child in token.children or [] if child.type not in ("text", "softbreak")
        ]
    return shape


@pytest.mark.parametrize(
    ("case", "show_ineligible", "carded"),
    [
        # Eligible: a card.
        pytest.param("eligible", False, True, id="eligible"),
        # Insufficient data (no ANC on record): a card, since obtaining the lab may make the patient
        # eligible.
        pytest.param("anc-missing", False, True, id="insufficient-data"),
        # Ineligible (ANC 1.2): no card by default.
        pytest.param("anc-1.2", False, False, id="ineligible"),
        # Ineligible, with ineligible trials shown: a card.
        pytest.param("anc-1.2", True, True, id="ineligible-shown"),
    ],
)
def test_card_only_for_trials_the_patient_may_join(
    book: Rulebook, case: str, show_ineligible: bool, carded: bool
) -> None:
    """Eligible and insufficient-data trials get a card; ineligible ones only when asked."""
    cards = cards_for(
        [report(book, TRIAL, case)],
        HOOK_INSTANCE,
        {TRIAL: book.trials[TRIAL].url},
        show_ineligible=show_ineligible,
    )
    assert len(cards) == int(carded)


def test_cards_keep_the_reports_order(book: Rulebook) -> None:
    """Several reports give their cards in the reports' order, skipping the ineligible."""
    reports = [
        report(book, TRIAL, "anc-missing"),
        report(book, TRIAL, "anc-1.2"),
        report(book, TRIAL, "eligible"),
    ]
    cards = cards_for(reports, HOOK_INSTANCE, {})
    assert [c["summary"].split(" — ")[0] for c in cards] == [
        f"May be eligible for {TRIAL}",
        f"No barrier found for {TRIAL}",
    ]


def test_summary_is_short_names_the_trial_and_its_verdict(book: Rulebook) -> None:
    """For every fixture case, the summary is under 140 characters, names the trial and leads
    with its verdict.
    """
    assert len(cases()) > 100
    for case in cases():
        rep = report(book, case.trial, case.name)
        if rep.deceased:
            continue  # a deceased patient gets no card at all (tests/facts/test_deceased.py)
        summary = card_of(book, rep)["summary"]
        assert len(summary) < SUMMARY_LIMIT, (case.trial, case.name, summary)
        lead = (
            "No barrier found for"
            if rep.verdict is Verdict.ELIGIBLE and rep.to_confirm
            else LEADS[rep.verdict]
        )
        assert summary.startswith(f"{lead} {case.trial} "), (case.trial, case.name, summary)


def test_eligible_with_open_reviews_reads_no_barrier_found(book: Rulebook) -> None:
    """An eligible report with review items is shown as 'no barrier found — N items to confirm',
    not as a plain yes.
    """
    rep = report(book, TRIAL, "eligible")
    card = card_of(book, rep)
    assert rep.verdict is Verdict.ELIGIBLE
    assert rep.to_confirm > 0
    assert card["summary"].startswith(
        f"No barrier found for {TRIAL} — {rep.to_confirm} items to confirm"
    )
    assert f"Verdict: **no barrier found — {rep.to_confirm} items to confirm**" in card["detail"]


@pytest.mark.parametrize(
    "trial", ["NCT02021825", "NCT03890068", "NCT05617859", "NCT06761417", "NCT07077551"]
)
def test_card_cites_the_trial(book: Rulebook, trial: str) -> None:
    """The card is informational, labelled, and links the trial's registry page from the
    rulebook.
    """
    card = card_of(book, report(book, trial, "eligible"))
    url = book.trials[trial].url
    assert url
    assert (card["indicator"], card["source"]["url"]) == ("info", url)
    assert card["source"]["label"].strip()
    assert card["links"] == [
        {"label": f"{trial} on ClinicalTrials.gov", "url": url, "type": "absolute"}
    ]


def test_card_without_a_trial_url_has_no_link(book: Rulebook) -> None:
    """A trial with no url gets a card with no source.url and no links (OPTIONAL members are
    omitted, not null).
    """
    (card,) = cards_for([report(book, TRIAL, "eligible")], HOOK_INSTANCE, {})
    assert "url" not in card["source"]
    assert "links" not in card


def test_card_uuid_is_a_uuid(book: Rulebook) -> None:
    """The card's uuid is a valid UUID in canonical form."""
    card = card_of(book, report(book, TRIAL, "eligible"))
    assert str(uuid.UUID(card["uuid"])) == card["uuid"]


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        # The same hook call and trial: the same card (feedback can name it).
        pytest.param(
            (HOOK_INSTANCE, TRIAL), (HOOK_INSTANCE, TRIAL), True, id="same-call-same-trial"
        ),
        # Another hook call: another card.
        pytest.param(
            (HOOK_INSTANCE, TRIAL),
            ("f5e1fc8b-5ad6-4b3f-9dbb-7e3c6b1c5b43", TRIAL),
            False,
            id="other-call",
        ),
        # Another trial in the same call: another card.
        pytest.param(
            (HOOK_INSTANCE, TRIAL), (HOOK_INSTANCE, "NCT02021825"), False, id="other-trial"
        ),
    ],
)
def test_card_uuid_is_stable_per_call_and_trial(
    book: Rulebook, first: tuple[str, str], second: tuple[str, str], same: bool
) -> None:
    """The uuid depends on the hook instance and the trial, and on nothing else (not the time,
    not the verdict).
    """
    uuids = [
        card_of(book, report(book, trial, "eligible"), hook)["uuid"]
        for hook, trial in (first, second)
    ]
    assert (uuids[0] == uuids[1]) == same


@pytest.mark.parametrize(
    "case",
    [
        # One unknown (no ANC) and the review criteria.
        pytest.param("anc-missing", id="missing-lab"),
        # A stale ANC: unknown for being outside the window.
        pytest.param("anc-stale", id="stale-lab"),
        # A provisional diagnosis: unknown with evidence, not for a missing lab.
        pytest.param("provisional-sarcoma", id="provisional-diagnosis"),
        # Eligible: only the review criteria.
        pytest.param("eligible", id="eligible"),
    ],
)
def test_detail_lists_every_unknown_and_review_criterion_with_its_reason(
    book: Rulebook, case: str
) -> None:
    """Each unknown and each review criterion appears in the detail with its id and its reason,
    as the reader sees it.
    """
    rep = report(book, TRIAL, case)
    text = rendered_text(card_of(book, rep)["detail"])
    listed = [c for c in rep.criteria if c.status in (Status.UNKNOWN, Status.REVIEW)]
    assert listed
    for criterion in listed:
        assert f"{criterion.id} ({criterion.kind})" in text
        assert " ".join((criterion.reason or "").split()) in text


def test_to_obtain_names_each_missing_lab(book: Rulebook) -> None:
    """For every fixture case whose unknown criteria name missing labs, the detail's 'To obtain'
    line names each of them.
    """
    checked = 0
    for case in cases():
        rep = report(book, case.trial, case.name)
        missing = set(rep.to_obtain)
        if not missing:
            continue
        lines = [
            line
            for line in rendered_text(card_of(book, rep)["detail"]).split(". ")
            if "To obtain:" in line
        ]
        assert len(lines) == 1, (case.trial, case.name)
        assert all(lab in lines[0] for lab in missing), (case.trial, case.name, missing, lines[0])
        checked += 1
    assert checked > 0


def test_anc_missing_says_to_obtain_anc(book: Rulebook) -> None:
    """The patient without an ANC is told to obtain one, and the summary counts it as a missing
    lab.
    """
    card = card_of(book, report(book, TRIAL, "anc-missing"))
    assert "**To obtain:** ANC " in card["detail"]
    assert "1 missing lab" in card["summary"]


def test_no_to_obtain_without_missing_labs(book: Rulebook) -> None:
    """An eligible patient has nothing to obtain."""
    assert "To obtain" not in card_of(book, report(book, TRIAL, "eligible"))["detail"]


def with_text(bundle: dict[str, Any], resource_type: str, text: str) -> dict[str, Any]:
    """The Bundle with the code text and every coding display of its resources of one type set to
    `text`.
    """
    changed = copy.deepcopy(bundle)
    for entry in changed["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == resource_type:
            resource["code"]["text"] = text
            for coding in resource["code"].get("coding", []):
                coding["display"] = text
    return changed


PAYLOADS = [
    # A link to another site.
    pytest.param("Neutrophils [x](http://evil.example/)", id="link"),
    # An image (a tracking pixel).
    pytest.param("Neutrophils ![x](http://evil.example/p.png)", id="image"),
    # A script tag, raw HTML.
    pytest.param("Neutrophils <script>alert(1)</script>", id="script"),
    # An autolink.
    pytest.param("Neutrophils <http://evil.example/>", id="autolink"),
    # Emphasis and code spans.
    pytest.param("*Neutrophils* __bold__ `code`", id="emphasis"),
    # A backslash that would escape the next character.
    pytest.param("Neutrophils \\", id="backslash"),
    # A line break then a heading.
    pytest.param("Neutrophils\n# Eligible", id="newline-heading"),
    # A line break then a list item posing as a criterion.
    pytest.param("Neutrophils\n- inc-1 met — all clear", id="newline-list-item"),
    # A blank line then a new paragraph posing as the verdict.
    pytest.param("Neutrophils\r\n\r\nVerdict: eligible", id="blank-line-paragraph"),
    # A line break then a setext heading underline.
    pytest.param("Neutrophils\n===", id="newline-setext"),
    # A Unicode line separator.
    pytest.param("Neutrophils\u2028- inc-1 met", id="line-separator"),
    # A list marker at the start (evidence lines begin with the display).
    pytest.param("- Neutrophils", id="leading-bullet"),
    # An ordered-list marker at the start.
    pytest.param("1. Neutrophils", id="leading-number"),
    # A thematic break at the start.
    pytest.param("*** Neutrophils", id="leading-rule"),
]


@pytest.mark.parametrize(
    ("case", "resource_type"),
    [
        # An Observation's display, cited as evidence for a failed lab criterion (shown with
        # CDS_SHOW_INELIGIBLE).
        pytest.param("anc-1.2", "Observation", id="observation"),
        # A Condition's display, cited as evidence and quoted in the reason of an unknown criterion.
        pytest.param("provisional-sarcoma", "Condition", id="condition"),
    ],
)
@pytest.mark.parametrize("payload", PAYLOADS)
def test_patient_text_is_literal_in_the_detail(
    book: Rulebook, case: str, resource_type: str, payload: str
) -> None:
    """Markdown or HTML in patient data shows as text: the card's structure is that of a harmless
    display, and the words survive.
    """
    bundle = fixture_bundle(TRIAL, case)
    plain = card_of(
        book, report(book, TRIAL, case, with_text(bundle, resource_type, "Neutrophils"))
    )["detail"]
    hostile = card_of(book, report(book, TRIAL, case, with_text(bundle, resource_type, payload)))[
        "detail"
    ]
    assert hostile != plain  # the text is shown at all
    assert structure(hostile) == structure(plain)
    assert " ".join(payload.split()) in rendered_text(hostile)
