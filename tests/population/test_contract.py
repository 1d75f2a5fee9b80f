"""The run directory matches docs/SCREEN_CONTRACT.md: a screen writes no member the page does not
name, and every member it names as always there.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.helpers import ROOT
from tests.helpers.population import rescreen_directory

CONTRACT = ROOT / "docs" / "SCREEN_CONTRACT.md"
# The `present` values that mean "in every completed run" (whenever the member's parent is there).
REQUIRED = frozenset({"always", "completed"})
# Days between the first run and the re-screen: enough for windows to expire and verdicts to move.
RESCREEN_DAYS = 40


def doc_table(file_name: str) -> list[dict[str, str]]:
    """Return the rows of the contract's table for one file (its section's heading names the
    file), keyed by the header's cells, backticks stripped.
    """
    text = CONTRACT.read_text(encoding="utf-8")
    sections = text.split("\n## ")
    chosen = [s for s in sections if s.splitlines()[0].strip().endswith(f"{file_name}`")]
    assert len(chosen) == 1, f"the contract has no single section for {file_name}"
    lines = [line.strip() for line in chosen[0].splitlines() if line.strip().startswith("|")]
    cells = [[c.strip().strip("`") for c in line.strip("|").split("|")] for line in lines]
    header, rows = cells[0], [r for r in cells[1:] if not set("".join(r)) <= {"-", " "}]
    return [dict(zip(header, row, strict=True)) for row in rows]


def documented(file_name: str) -> dict[str, str]:
    """Return the file's documented member names, each with its `present` value."""
    return {row["member"]: row["present"] for row in doc_table(file_name)}


def keyed_objects(names: set[str]) -> dict[str, str]:
    """Return the objects the contract says are keyed by ids (``a.<trialId>``): path -> the
    placeholder its keys are written as.
    """
    found = {}
    for name in names:
        parts = name.split(".")
        for at, part in enumerate(parts):
            if part.startswith("<"):
                found[".".join(parts[:at])] = part
    return found


def written(value: Any, keyed: dict[str, str], prefix: str = "") -> set[str]:
    """Return a JSON value's member paths in the contract's notation (``a.b``, ``a[].b``,
    ``a.<trialId>``); ``a[]`` marks an array with items.
    """
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            name = keyed.get(prefix, key)
            path = f"{prefix}.{name}" if prefix else name
            paths |= {path} | written(item, keyed, path)
    elif isinstance(value, list) and value:
        paths.add(f"{prefix}[]")
        for item in value:
            paths |= written(item, keyed, f"{prefix}[]")
    return paths


def undocumented(file_name: str, values: list[Any]) -> set[str]:
    """Return the members some of the values hold that the contract does not name."""
    names = documented(file_name)
    keyed = keyed_objects(set(names))
    seen = set().union(*(written(v, keyed) for v in values))
    return {p for p in seen if not p.endswith("[]")} - set(names)


def unwritten(file_name: str, values: list[Any]) -> set[str]:
    """Return the members the contract names as always there that a value lacks although it
    holds their parent.
    """
    names = documented(file_name)
    keyed = keyed_objects(set(names))
    missing: set[str] = set()
    for value in values:
        paths = written(value, keyed) | {""}
        missing |= {
            n
            for n, present in names.items()
            if present in REQUIRED and (n.rsplit(".", 1)[0] if "." in n else "") in paths
        } - paths
    return missing


def json_of(path: Path) -> Any:
    """Read a JSON file."""
    return orjson.loads(path.read_bytes())


def rows_of(run_dir: Path) -> list[dict[str, Any]]:
    """Return a run's results.ndjson rows."""
    return [orjson.loads(line) for line in (run_dir / "results.ndjson").read_bytes().splitlines()]


def trial_files(run_dir: Path, name: str) -> list[Path]:
    """Return one output file of every trial of a run."""
    return sorted((run_dir / "trials").glob(f"*/{name}"))


@pytest.fixture(scope="module")
def rescreen_run(
    tmp_path_factory: pytest.TempPathFactory, population_dir: Path, local_run: Path
) -> Path:
    """A directory re-screen of the local run, later, so that rows expire and verdicts change."""
    out = tmp_path_factory.mktemp("contract") / "contract-rescreen"
    rescreen_directory(out, population_dir, local_run, RESCREEN_DAYS)
    return out


@pytest.fixture(scope="module")
def runs(local_run: Path, rescreen_run: Path) -> list[Path]:
    """A first run and a re-screen of it."""
    return [local_run, rescreen_run]


def test_every_manifest_member_is_documented(runs: list[Path]) -> None:
    """Each member of a first run's and a re-screen's manifest.json is named in the contract."""
    manifests = [json_of(r / "manifest.json") for r in runs]
    assert undocumented("manifest.json", manifests) == set()


def test_every_manifest_member_documented_as_always_is_written(runs: list[Path]) -> None:
    """Both manifests hold every member the contract names as always or completed."""
    manifests = [json_of(r / "manifest.json") for r in runs]
    assert unwritten("manifest.json", manifests) == set()


def test_every_results_member_is_documented(runs: list[Path]) -> None:
    """Each key of every results.ndjson row is named in the contract."""
    rows = [row for r in runs for row in rows_of(r)]
    assert undocumented("results.ndjson", rows) == set()


def test_every_results_member_documented_is_written(runs: list[Path]) -> None:
    """Every results row holds every member the contract names."""
    rows = [row for r in runs for row in rows_of(r)]
    assert unwritten("results.ndjson", rows) == set()


def test_the_worklist_columns_are_the_documented_ones_in_order(local_run: Path) -> None:
    """Every worklist.csv's header is the contract's column list, in its order."""
    headers = {
        tuple(next(csv.reader(io.StringIO(p.read_text(encoding="utf-8")))))
        for p in trial_files(local_run, "worklist.csv")
    }
    columns = tuple(row["column"] for row in doc_table("worklist.csv"))
    assert headers == {columns}


def test_every_attrition_member_is_documented(local_run: Path) -> None:
    """Each member of every trial's attrition.json is named in the contract."""
    files = [json_of(p) for p in trial_files(local_run, "attrition.json")]
    assert undocumented("attrition.json", files) == set()


def test_every_attrition_member_documented_is_written(local_run: Path) -> None:
    """Every trial's attrition.json holds every member the contract names as always there."""
    files = [json_of(p) for p in trial_files(local_run, "attrition.json")]
    assert unwritten("attrition.json", files) == set()


def test_every_group_member_is_documented(local_run: Path) -> None:
    """Each member of every trial's group.json is named in the contract."""
    files = [json_of(p) for p in trial_files(local_run, "group.json")]
    assert undocumented("group.json", files) == set()


def test_every_group_member_documented_is_written(local_run: Path) -> None:
    """Every trial's group.json holds every member the contract names as always there."""
    files = [json_of(p) for p in trial_files(local_run, "group.json")]
    assert unwritten("group.json", files) == set()


def test_every_diff_member_is_documented(rescreen_run: Path) -> None:
    """Each member of the re-screen's diff.json is named in the contract."""
    assert undocumented("diff.json", [json_of(rescreen_run / "diff.json")]) == set()


def test_every_diff_member_documented_is_written(rescreen_run: Path) -> None:
    """The re-screen's diff.json holds every member the contract names as always there."""
    assert unwritten("diff.json", [json_of(rescreen_run / "diff.json")]) == set()


# The checks above see only what the runs write: these say the runs write the optional parts too.


def test_the_rescreen_carries_rows_by_data_digest(rescreen_run: Path) -> None:
    """The re-screen ran in mode data digests, so its manifest holds rescreen's counts."""
    assert json_of(rescreen_run / "manifest.json")["rescreen"]["mode"] == "data digests"


def test_the_rescreen_changes_verdicts(rescreen_run: Path) -> None:
    """The re-screen's diff lists new candidates, drop-outs and verdict changes, items to check."""
    body = json_of(rescreen_run / "diff.json")
    lists = ("newCandidates", "droppedOut", "verdictChanges")
    assert [name for name in lists if not body[name]] == []


def test_the_first_run_lists_an_input_issue(local_run: Path) -> None:
    """The population's unreadable line is listed, so inputIssues' items are checked."""
    assert json_of(local_run / "manifest.json")["inputIssues"] != []
