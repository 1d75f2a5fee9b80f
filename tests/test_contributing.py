"""CONTRIBUTING.md's layout map names every module of the package, and only modules that exist."""

from __future__ import annotations

import re

from tests.helpers import ROOT


def test_the_layout_map_has_one_line_per_module() -> None:
    """Each service/**/*.py has its line in the map, and every module the map names exists."""
    mapped = set(
        re.findall(
            r"^\| `(service/[^`]+\.py)` \|",
            (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8"),
            flags=re.M,
        )
    )
    modules = {str(p.relative_to(ROOT)) for p in (ROOT / "service").rglob("*.py")}
    assert len(modules) > 50
    assert modules - mapped == set(), "modules missing from CONTRIBUTING.md's map"
    assert mapped - modules == set(), "the map names modules that do not exist"
