"""Ship the rules and the embedded fixture patients inside the wheel, as package data under service/_data/.

The layout keeps rules/ and fhir_fixtures/ at the top of the repository (authors edit them there); a non-editable
install copies them into the package so `importlib.resources` finds them (service/config.py). Editable installs and
source checkouts read the top-level folders directly.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
# What the running service reads: the rule documents (with their schema, checked at load), each trial's fixture
# patients and the demo patients, as built Bundles (not the data files and the engine that writes them: test tooling).
DATA = {"rules": "rules", "fhir_fixtures": "fhir_fixtures"}
SKIP = shutil.ignore_patterns("cases", "*.py", "__pycache__", "*.pyc")


class BuildPyWithData(build_py):
    """build_py, then copy rules/ and fhir_fixtures/ into the built package as service/_data/."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the source tree
        for name, source in DATA.items():
            target = Path(self.build_lib) / "service" / "_data" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(HERE / source, target, ignore=SKIP)


setup(cmdclass={"build_py": BuildPyWithData})
