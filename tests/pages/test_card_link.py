"""The CDS card's link to its patient × trial page (service/cds/cards.py, report_url)."""

from __future__ import annotations

from datetime import date

from service.cds.cards import card, report_url
from service.evaluation.report import TrialReport

REPORT = TrialReport("NCT03890068", "t", "p-1", date(2026, 11, 20), "v", "vs", ())


def test_card_links_its_report_page_first() -> None:
    """With a public base URL the card's first link is the absolute URL of the patient × trial
    page, as of the report's date.
    """
    url = report_url("https://elig.example.org/", REPORT)
    links = card(
        REPORT,
        "hook-1",
        "Trial eligibility",
        "https://clinicaltrials.gov/study/NCT03890068",
        report_url=url,
    )["links"]
    assert links[0] == {
        "label": "Full report for NCT03890068",
        "url": "https://elig.example.org/ui/patients/p-1/trials/NCT03890068?asOf=2026-11-20",
        "type": "absolute",
    }
    assert links[1]["url"] == "https://clinicaltrials.gov/study/NCT03890068"


def test_no_base_no_report_link() -> None:
    """Without a base URL there is no report link (and no registry link without a registry URL)."""
    assert report_url(None, REPORT) is None
    assert "links" not in card(REPORT, "hook-1", "x", None, report_url=None)
