"""Outputs: statuses recovered from rows, the attrition funnel, worklist ranking, and the FHIR
Group.
"""

from __future__ import annotations

import csv
import io
import itertools
from typing import Any

import orjson
import pytest
from fhir.resources.R4B.group import Group
from hypothesis import given
from hypothesis import strategies as st

from service.population.attrition import Attrition, statuses
from service.population.group import candidate_group
from service.population.tally import Tally
from service.population.worklist import worklist_csv
from service.rulebook.book import Criterion, Trial

TRIAL = Trial(
    "NCT0",
    "t",
    "2",
    "1",
    {},
    None,
    (
        Criterion("inc-1", "inclusion", "s", "Adult", None, None),
        Criterion("inc-2", "inclusion", "s", "Hb ok", None, None),
        Criterion("exc-1", "exclusion", "s", "Pregnant", None, "Asked by the team"),
    ),
)


def _row(
    pid: str,
    verdict: str,
    failed: list[str] = (),
    unknown: list[str] = (),
    review: list[str] = (),
    labs: list[str] = (),
) -> dict[str, Any]:  # type: ignore[assignment]
    return {
        "patientId": pid,
        "mrn": None,
        "trialId": "NCT0",
        "verdict": verdict,
        "failed": list(failed),
        "unknown": list(unknown),
        "review": list(review),
        "toObtain": list(labs),
        "newestEvidence": "2026-09-01",
        "counts": {},
    }


def test_statuses_are_recovered_from_a_row() -> None:
    """A failed exclusion was met, a failed inclusion not met; unlisted inclusions are met and
    unlisted exclusions not met.
    """
    assert statuses(TRIAL, _row("a", "ineligible", failed=["inc-1", "exc-1"])) == {
        "exc-0": "not-met",
        "inc-1": "not-met",
        "inc-2": "met",
        "exc-1": "met",
    }
    assert statuses(TRIAL, _row("b", "eligible", review=["exc-1"])) == {
        "exc-0": "not-met",
        "inc-1": "met",
        "inc-2": "met",
        "exc-1": "review",
    }


def test_attrition_counts_persons_and_funnels_in_criterion_order() -> None:
    """The funnel keeps who no criterion so far excludes, and counts those of them held only by
    unknowns.
    """
    a = Attrition(TRIAL)
    for row in (
        _row("a", "ineligible", failed=["inc-1"]),
        _row("b", "insufficient-data", unknown=["inc-2"]),
        _row("c", "eligible"),
        _row("d", "ineligible", failed=["exc-1"]),
    ):
        a.add(row)
    body = a.to_json()
    assert body["unit"] == "persons"
    assert body["population"] == 4
    assert [(f["id"], f["remaining"], f["blockedOnlyByUnknown"]) for f in body["funnel"]] == [
        ("exc-0", 4, 0),
        ("inc-1", 3, 0),
        ("inc-2", 3, 1),
        ("exc-1", 2, 1),
    ]
    assert body["funnel"][3]["percent"] == 50.0
    assert body["criteria"][1] == {
        "id": "inc-1",
        "kind": "inclusion",
        "text": "Adult",
        "met": 3,
        "not-met": 1,
        "unknown": 0,
        "review": 0,
    }


def test_a_deceased_patient_leaves_the_funnel_at_its_first_step() -> None:
    """A patient the record says has died is not among those remaining after any step, though
    they pass every criterion of the trial.
    """
    a = Attrition(TRIAL)
    a.add(_row("dead", "ineligible", failed=["exc-0"]))
    a.add(_row("alive", "eligible"))
    body = a.to_json()
    assert [f["remaining"] for f in body["funnel"]] == [1, 1, 1, 1]
    assert (body["criteria"][0]["id"], body["criteria"][0]["met"]) == ("exc-0", 1)


def test_worklist_ranks_fewest_unknowns_then_labs_before_review() -> None:
    """Eligible first, then fewer unknowns; at equal unknowns, fewer review items; ineligible
    patients are left out.
    """
    rows = [
        _row("u2", "insufficient-data", unknown=["inc-1", "inc-2"]),
        _row("u1r", "insufficient-data", unknown=["inc-1"], review=["exc-1"], labs=["Hb"]),
        _row("u1", "insufficient-data", unknown=["inc-1"], labs=["Hb", "ANC"]),
        _row("e", "eligible"),
        _row("x", "ineligible", failed=["inc-1"]),
    ]
    table = list(csv.DictReader(io.StringIO(worklist_csv(TRIAL, rows))))
    assert [r["patientId"] for r in table] == ["e", "u1", "u1r", "u2"]
    assert table[1]["toObtain"] == "Hb; ANC"
    assert table[2]["reviewReasons"] == "exc-1: Asked by the team"
    assert list(table[0]) == [
        "rank",
        "patientId",
        "mrn",
        "verdict",
        "unknownCount",
        "reviewCount",
        "toObtain",
        "reviewReasons",
        "newestEvidence",
    ]


def test_group_holds_candidates_and_validates_as_r4() -> None:
    """The Group is actual, of persons, its members the eligible and insufficient-data patients;
    fhir.resources R4B accepts it.
    """
    group = candidate_group(
        "NCT0",
        "run-1",
        "2026-10-10",
        [_row("a", "eligible"), _row("b", "ineligible", failed=["inc-1"])],
    )
    assert [m["entity"]["reference"] for m in group["member"]] == ["Patient/a"]
    assert group["actual"] is True
    assert group["quantity"] == 1
    assert Group.model_validate(group).type == "person"


def test_group_without_candidates_is_valid_and_empty() -> None:
    """No candidate gives a valid Group of quantity 0 and no member element (R4 forbids empty
    arrays).
    """
    group = candidate_group(
        "NCT0", "run-1", "2026-10-10", [_row("b", "ineligible", failed=["inc-1"])]
    )
    assert group["quantity"] == 0
    assert "member" not in group
    assert Group.model_validate(group).actual is True


@pytest.mark.parametrize(
    "verdicts", [["eligible", "insufficient-data", "eligible"], ["ineligible"]]
)
def test_group_is_what_the_r4b_model_dumps(verdicts: list[str]) -> None:
    """The Group written is the one fhir.resources dumps after validating it, member for member
    (it is returned as built, not re-serialised).
    """
    rows = [
        _row(f"p{n}", v, failed=["inc-1"] if v == "ineligible" else [])
        for n, v in enumerate(verdicts)
    ]
    group = candidate_group("NCT0", "run-1", "2026-10-10", rows)
    dumped = orjson.loads(Group.model_validate(group).model_dump_json(exclude_none=True))
    assert group == dumped
    assert (
        group["quantity"]
        == len(group.get("member", ()))
        == sum(v != "ineligible" for v in verdicts)
    )


def test_a_run_id_with_an_underscore_gives_a_valid_group_id() -> None:
    """A run named with characters a FHIR id may not hold still gets a valid Group (the run is not
    lost at its last step).
    """
    group = candidate_group("NCT0", "my_run 2026", "2026-10-10", [_row("a", "eligible")])
    assert group["id"] == "my-run-2026-nct0"


def _reference_attrition(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[tuple]]:
    """Attrition the plain way: each step's status recovered per row, counted and funnelled."""
    ids = ["exc-0", *(c.id for c in TRIAL.criteria)]
    kinds = {"exc-0": "exclusion", **{c.id: c.kind for c in TRIAL.criteria}}
    counts = {i: {s: 0 for s in ("met", "not-met", "unknown", "review")} for i in ids}
    remaining, blocked = [0] * len(ids), [0] * len(ids)
    for row in rows:
        status = statuses(TRIAL, row)
        excluded = unknown_seen = False
        for at, i in enumerate(ids):
            counts[i][status[i].value] += 1
            failing = "met" if kinds[i] == "exclusion" else "not-met"
            excluded = excluded or status[i].value == failing
            unknown_seen = unknown_seen or status[i].value == "unknown"
            if not excluded:
                remaining[at] += 1
                blocked[at] += unknown_seen
    criteria = [{"id": i, **counts[i]} for i in ids]
    return criteria, list(zip(ids, remaining, blocked, strict=True))


@given(
    st.lists(
        st.tuples(*(st.sets(st.sampled_from(["exc-0", "inc-1", "inc-2", "exc-1", "x-9"])),) * 3),
        max_size=30,
    )
)
def test_attrition_counts_as_the_plain_way_does(lists: list[tuple[set, set, set]]) -> None:
    """Counted from the listed ids only, attrition equals recovering every status per row, for any
    rows (overlapping lists and ids of no criterion included).
    """
    rows = [
        _row(str(n), "x", failed=sorted(f), unknown=sorted(u), review=sorted(r))
        for n, (f, u, r) in enumerate(lists)
    ]
    a = Attrition(TRIAL)
    for row in rows:
        a.add(row)
    body = a.to_json()
    criteria, funnel = _reference_attrition(rows)
    got = [
        {k: c[k] for k in ("id", "met", "not-met", "unknown", "review")} for c in body["criteria"]
    ]
    assert got == criteria
    assert [(f["id"], f["remaining"], f["blockedOnlyByUnknown"]) for f in body["funnel"]] == funnel


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["eligible", "ineligible", "insufficient-data"]),
            *(st.sets(st.sampled_from(["exc-0", "inc-1", "inc-2", "exc-1"])),) * 3,
        ),
        max_size=30,
    ),
    st.lists(st.integers(min_value=0, max_value=30), max_size=3),
)
def test_bucket_tallies_merge_to_the_whole_runs(
    lists: list[tuple[str, set, set, set]], cuts: list[int]
) -> None:
    """Rows counted bucket by bucket, their counts sent as JSON and merged, give the attrition,
    verdict counts and candidates of counting every row in one place.
    """
    rows = [
        _row(str(n), v, failed=sorted(f), unknown=sorted(u), review=sorted(r))
        for n, (v, f, u, r) in enumerate(lists)
    ]
    whole = Tally([TRIAL])
    for row in rows:
        whole.add(row)
    merged = Tally([TRIAL])
    edges = [0, *sorted(min(c, len(rows)) for c in cuts), len(rows)]
    for start, end in itertools.pairwise(edges):
        share = Tally([TRIAL])
        for row in rows[start:end]:
            share.add(row)
        merged.merge(orjson.loads(orjson.dumps(share.counts())), share.all_candidates())
    assert merged.attrition["NCT0"].to_json() == whole.attrition["NCT0"].to_json()
    assert merged.verdicts == whole.verdicts
    assert merged.candidates == whole.candidates
    assert sum(merged.verdicts["NCT0"].values()) == len(rows)


def test_a_tally_of_other_trials_or_steps_is_refused() -> None:
    """Counts of another trial set, or of a trial with other criteria, are not merged."""
    share = Tally([TRIAL]).counts()
    with pytest.raises(ValueError, match="tally of trials"):
        Tally([]).merge(share, [])
    share["NCT0"]["attrition"]["unknown"].append(0)
    with pytest.raises(ValueError, match="NCT0: 5 unknown counts, not 4"):
        Tally([TRIAL]).merge(share, [])
