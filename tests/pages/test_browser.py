"""The pages in a real browser (Debian's Chromium under Playwright) against the app served on
127.0.0.1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
import requests
from pypdf import PdfReader

from service.pages.messages import t
from tests.helpers.cds import fixture_bundle, prefetch_for
from tests.helpers.pages import AXE, RUN_ID, LiveServer

pytestmark = pytest.mark.needs("browser")

AS_OF = "2026-11-20"
TRIAL = "NCT03890068"
# Record text that would run or render if a page did not escape it.
MARKUP = "<img src=x onerror=alert(1)><b>bold</b>"
# One patient per verdict: eligible, insufficient-data (no body weight for CrCl), ineligible (ANC
# 1.4).
CASES = ["nct03890068-eligible", "nct03890068-creatinine-high-no-weight", "nct03890068-anc-1.4"]


def api_report(live: LiveServer, patient_id: str, trial_id: str = TRIAL) -> dict[str, Any]:
    """The JSON report of the same patient from the REST API of the same server."""
    response = requests.post(
        f"{live.url}/trials/{trial_id}/eligibility",
        json={"patientId": patient_id, "asOf": AS_OF},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def report_url(live: LiveServer, patient_id: str, trial_id: str = TRIAL) -> str:
    """The patient × trial page."""
    return f"{live.url}/ui/patients/{patient_id}/trials/{trial_id}?asOf={AS_OF}"


def axe_serious(page: Any) -> list[str]:
    """Run axe-core in the page; return the serious and critical violations as 'id: help (n
    nodes)'.
    """
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("patient_id", CASES)
def test_report_page_agrees_with_the_api(
    live: LiveServer, page: Any, output: Path, patient_id: str
) -> None:
    """The banner, To obtain, To confirm and every criterion's status on the page are those of
    the API's JSON report.
    """
    report = api_report(live, patient_id)
    page.goto(report_url(live, patient_id))
    page.screenshot(path=str(output / f"report-{patient_id}.png"))
    # One round trip for everything the page shows (a locator call per row costs seconds on a shared
    # machine).
    shown = page.evaluate("""() => ({
        verdict: document.querySelector(".banner").dataset.verdict,
        obtain: [...document.querySelectorAll("ul.to-obtain .item")].map(e => e.innerText),
        confirm: [...document.querySelectorAll("ul.to-confirm li")].map(e => e.dataset.criterion),
        rows: [...document.querySelectorAll("table.report-criteria tbody tr")]
              .map(r => [r.dataset.criterion, r.dataset.status,
                         r.querySelector(".word").innerText]),
    })""")
    assert shown["verdict"] == report["verdict"]
    assert shown["obtain"] == sorted(
        {lab for c in report["criteria"] if c["status"] == "unknown" for lab in c["missing"]},
        key=str.lower,
    )
    assert shown["confirm"] == [c["id"] for c in report["criteria"] if c["status"] == "review"]
    assert shown["rows"] == [
        [c["id"], c["status"], t(f"status.{c['status']}")] for c in report["criteria"]
    ]


def test_banner_never_says_a_bare_eligible(live: LiveServer, page: Any) -> None:
    """An eligible patient's banner says no barrier was found and how many items remain to
    confirm.
    """
    report = api_report(live, CASES[0])
    page.goto(report_url(live, CASES[0]))
    text = page.locator(".banner-text").inner_text()
    assert (report["verdict"], f"{report['counts']['review']} items to confirm") == (
        "eligible",
        text.split("— ")[-1],
    )
    assert "No barrier found" in text


def test_trial_list_leads_to_a_criterion(live: LiveServer, page: Any, output: Path) -> None:
    """From the trial list a click opens the trial, and a criterion's link lands on it with its
    readable rule.
    """
    page.goto(f"{live.url}/")
    page.screenshot(path=str(output / "trials.png"), full_page=True)
    page.get_by_role("link", name=TRIAL, exact=True).click()
    page.get_by_role("link", name="inc-8d", exact=True).click()
    page.screenshot(path=str(output / "trial.png"))
    assert page.url.endswith(f"/ui/trials/{TRIAL}#inc-8d")
    assert (
        "Serum creatinine ≤ 1.5 × ULN or Creatinine clearance ≥ 60 mL/min"
        in page.locator("tr#inc-8d").inner_text()
    )


def test_patient_page_ranks_and_leads_to_the_report(
    live: LiveServer, page: Any, output: Path
) -> None:
    """The patient page lists every trial in the API's order, and a click opens that trial's
    report.
    """
    response = requests.post(
        f"{live.url}/eligibility", json={"patientId": CASES[1], "asOf": AS_OF}, timeout=30
    )
    order = [r["trialId"] for r in response.json()["reports"]]
    page.goto(f"{live.url}/ui/patients/{CASES[1]}?asOf={AS_OF}")
    page.screenshot(path=str(output / "patient.png"), full_page=True)
    assert [
        r.get_attribute("data-trial") for r in page.locator("table.patient-trials tbody tr").all()
    ] == order
    page.get_by_role("link", name=TRIAL, exact=True).click()
    assert page.url == report_url(live, CASES[1])
    assert page.locator(".banner").get_attribute("data-verdict") == "insufficient-data"


def test_cds_card_link_opens_its_report(live: LiveServer, page: Any) -> None:
    """A card's absolute link goes to its patient × trial page, which shows that patient's report
    for that trial.
    """
    templates = requests.get(f"{live.url}/cds-services", timeout=30).json()["services"][0][
        "prefetch"
    ]
    bundle = fixture_bundle(TRIAL, "creatinine-high-no-weight")
    body = {
        "hook": "patient-view",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"patientId": CASES[1], "userId": "Practitioner/1"},
        "prefetch": prefetch_for(bundle, templates),
    }
    cards = requests.post(
        f"{live.url}/cds-services/trial-eligibility", json=body, timeout=30
    ).json()["cards"]
    links = [
        link for card in cards for link in card.get("links", []) if "/ui/patients/" in link["url"]
    ]
    assert {link["type"] for link in links} == {"absolute"}
    [link] = [link for link in links if f"/trials/{TRIAL}?" in link["url"]]
    page.goto(link["url"])
    assert page.locator("h1").inner_text() == t("report.title", patient=CASES[1], trial=TRIAL)
    assert page.locator("dl.facts").inner_text().count(CASES[1]) == 1


def test_worklist_sorts_and_leads_to_a_report(live: LiveServer, page: Any, output: Path) -> None:
    """On a screen's page a column link sorts the worklist, and a patient link opens their report
    as of the run's date.
    """
    page.goto(f"{live.url}/ui/screens")
    with page.expect_navigation():
        page.get_by_role("link", name=RUN_ID).click()
    page.screenshot(path=str(output / "screen.png"), full_page=True)
    page.get_by_role("link", name=t("col.patientId")).click()
    assert page.locator("th[aria-sort]").inner_text().startswith(t("col.patientId"))
    page.get_by_role("link", name="nct03890068-ast-missing").click()
    assert page.url == report_url(live, "nct03890068-ast-missing")
    assert (
        page.locator(".banner").get_attribute("data-verdict")
        == api_report(live, "nct03890068-ast-missing")["verdict"]
    )


def test_report_prints_as_a_worksheet_with_every_criterion(
    live: LiveServer, page: Any, output: Path
) -> None:
    """The report printed to PDF (A4) holds every criterion id and the footer, and no navigation."""
    report = api_report(live, CASES[1])
    page.goto(report_url(live, CASES[1]))
    pdf = output / "report.pdf"
    page.pdf(path=str(pdf), format="A4")
    reader = PdfReader(str(pdf))
    text = "\n".join(p.extract_text() for p in reader.pages)
    missing = [c["id"] for c in report["criteria"] if c["id"] not in text]
    assert missing == []
    assert len(reader.pages) > 1
    assert text.count(t("footer.rules", version=report["rulesVersion"])) == len(reader.pages)
    assert t("nav.evaluate") not in text


def test_report_prints_on_letter(live: LiveServer, page: Any, output: Path) -> None:
    """The report prints on Letter paper too, with the as-of date in the footer."""
    page.goto(report_url(live, CASES[0]))
    pdf = output / "report-letter.pdf"
    page.pdf(path=str(pdf), format="Letter")
    reader = PdfReader(str(pdf))
    assert t("footer.asof", asOf=AS_OF) in reader.pages[-1].extract_text()


def test_keyboard_only_changes_the_as_of_date(live: LiveServer, page: Any) -> None:
    """Tabbing to the asOf control, typing a date and submitting with the keyboard re-evaluates
    the report as of that date.
    """
    page.goto(report_url(live, CASES[0]))
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "asOf":
            break
    assert page.evaluate("document.activeElement.id") == "asOf"
    page.keyboard.type("11102026")  # month, day, year segments of the en-US date control
    for _ in range(4):  # Tab first walks the control's own segments
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "BUTTON":
            break
    assert page.evaluate("document.activeElement.innerText") == t("report.asof.submit")
    page.keyboard.press("Enter")
    page.wait_for_url("**asOf=2026-11-10")
    assert page.locator("dl.facts").inner_text().count("2026-11-10") == 1


def test_evaluate_form_shows_the_report_and_escapes_record_text(
    live: LiveServer, page: Any, output: Path, tmp_path: Path
) -> None:
    """An uploaded Bundle is evaluated for the ticked trial; markup in the record's text is shown
    as text, never run or parsed.
    """
    bundle = fixture_bundle(TRIAL, "creatinine-high-no-weight")
    for entry in bundle["entry"]:
        code = entry["resource"].get("code") or {}
        for coding in code.get("coding", []):
            coding["display"] = MARKUP
        if "text" in code:
            code["text"] = MARKUP
    path = tmp_path / "bundle.json"
    path.write_bytes(orjson.dumps(bundle))
    page.goto(f"{live.url}/ui/evaluate")
    page.screenshot(path=str(output / "evaluate.png"), full_page=True)
    page.get_by_label(t("evaluate.file")).set_input_files(str(path))
    page.get_by_label(f"{TRIAL} — ", exact=False).check()
    page.get_by_label(t("evaluate.asof")).fill(AS_OF)
    # The screenshot waits for the posted form's page: taken mid-navigation, Chromium refuses it.
    with page.expect_navigation():
        page.get_by_role("button", name=t("evaluate.submit")).click()
    page.screenshot(path=str(output / "evaluated.png"))
    assert page.locator(".banner").get_attribute("data-verdict") == "insufficient-data"
    assert (page.locator("main img").count(), page.locator("main b").count()) == (0, 0)
    assert page.locator("ul.evidence li", has_text=MARKUP).count() > 0


@pytest.mark.parametrize(
    "path",
    [
        "/ui/",
        f"/ui/trials/{TRIAL}",
        f"/ui/patients/{CASES[1]}?asOf={AS_OF}",
        f"/ui/patients/{CASES[1]}/trials/{TRIAL}?asOf={AS_OF}",
        "/ui/evaluate",
        "/ui/screens",
        f"/ui/screens/{RUN_ID}",
        "/ui/trials/NCT00000000",
    ],
)
def test_axe_finds_no_serious_violation(live: LiveServer, page: Any, path: str) -> None:
    """axe-core finds no serious or critical accessibility violation on the page."""
    page.goto(f"{live.url}{path}")
    assert axe_serious(page) == []


@pytest.mark.parametrize(
    "path",
    [
        f"/ui/patients/{CASES[1]}/trials/{TRIAL}?asOf={AS_OF}",
        f"/ui/screens/{RUN_ID}",
        f"/ui/trials/{TRIAL}",
    ],
)
def test_pages_fit_a_phone(live: LiveServer, browser: Any, output: Path, path: str) -> None:
    """At 375 px wide the page does not scroll sideways (wide tables scroll inside their own
    box).
    """
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(f"{live.url}{path}")
    # The top of the page only: a full-page shot of a 50-criterion report costs seconds on a shared
    # machine.
    name = path.strip("/").split("?")[0].replace("/", "-")
    page.screenshot(path=str(output / f"phone-{name}.png"))
    width = page.evaluate("document.scrollingElement.scrollWidth")
    context.close()
    assert width <= 375
