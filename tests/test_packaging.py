"""A normal (non-editable) install carries its rules and fixture patients as package data and
runs from anywhere.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers import ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project built as a wheel (pip, isolated build) and unpacked as a site directory: what
    `pip install .` puts in site-packages.
    """
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(  # noqa: S603 - our own interpreter
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--wheel-dir",
            str(out),
            str(ROOT),
        ],
        check=True,
        timeout=600,
    )
    (wheel,) = out.glob("trial_eligibility-*.whl")
    site = out / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return site


def _run(site: Path, code: str, **env: str) -> str:
    """Run Python code against the unpacked wheel only (not the checkout), from an empty working
    directory.
    """
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ELIGIBILITY_")}
    command = [sys.executable, "-c", code]
    result = subprocess.run(  # noqa: S603 - our own interpreter
        command,
        cwd=site.parent,
        env={**clean, "PYTHONPATH": str(site), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_wheel_ships_rules_fixtures_and_the_console_script(installed: Path) -> None:
    """The wheel holds every trial's rules and fixture and demo patients (not their data files or
    engine) and declares `trial-eligibility`.
    """
    data = installed / "service" / "_data"
    assert sorted(p.name for p in (data / "rules" / "trials").glob("*.json")) == sorted(
        p.name for p in (ROOT / "rules" / "trials").glob("*.json")
    )
    assert (data / "fhir_fixtures" / "NCT06761417" / "eligible.json").is_file()
    assert (data / "fhir_fixtures" / "demo" / "mei-chen.json").is_file()
    assert not (data / "fhir_fixtures" / "cases").exists()
    assert not (data / "fhir_fixtures" / "engine.py").exists()
    (entry_points,) = installed.glob("trial_eligibility-*.dist-info/entry_points.txt")
    assert "trial-eligibility = service.cli.main:main" in entry_points.read_text()


def test_an_installed_service_finds_its_rules_as_package_data(installed: Path) -> None:
    """Installed, the service reads rules from the package, serves the embedded fixtures and
    writes state under ./var, not site-packages.
    """
    code = (
        "import service.config as c; from service import create_app\n"
        "app = create_app({})\n"
        "r = app.test_client().post('/trials/NCT06761417/eligibility', json={'patientId': "
        "'nct06761417-eligible', 'asOf': '2026-11-20'})\n"
        "print(c.DEFAULTS['RULES_DIR']); print(c.DEFAULTS['CDS_FEEDBACK_DB']); "
        "print(r.status_code, r.get_json()['verdict'])\n"
    )
    rules_dir, feedback_db, answer = _run(installed, code).splitlines()
    assert Path(rules_dir) == installed / "service" / "_data" / "rules"
    assert Path(feedback_db) == installed.parent / "var" / "feedback.sqlite3"
    assert answer == "200 eligible"


def test_eligibility_rules_dir_still_overrides_the_package_data(
    installed: Path, tmp_path: Path
) -> None:
    """ELIGIBILITY_RULES_DIR points an installed service at other rules: a missing folder is
    named in the error.
    """
    code = (
        "from service import create_app\ntry:\n    create_app({})\nexcept Exception as exc:\n "
        "   print(type(exc).__name__, exc)\n"
    )
    out = _run(installed, code, ELIGIBILITY_RULES_DIR=str(tmp_path / "no-such-rules"))
    assert "no-such-rules" in out
