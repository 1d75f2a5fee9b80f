"""The packages follow the flow, rules → records → facts → evaluation → surfaces: each imports
only from below it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICE = Path(__file__).resolve().parent.parent / "service"
# Lowest first. A module may import its own layer and those below; the surfaces are one layer and
# never import each other's modules except the shared web plumbing (service.web) and the app
# factory's wiring.
LAYERS: list[tuple[str, ...]] = [
    (
        "service.errors",
        "service.problems",
        "service.config",
        "service.settings",
        "service.observability.logs",
        "service.observability.metrics",
    ),
    ("service.rulebook", "service.terminology"),
    ("service.records",),
    ("service.facts",),
    ("service.evaluation",),
    ("service.web",),
    (
        "service.api",
        "service.cds",
        "service.pages",
        "service.cli",
        "service.population",
        "service.observability",
        "service.server",
        "service.__main__",
        "service",
    ),
]


def layer_of(module: str) -> int:
    """Return the layer of a module: the one whose longest prefix names it."""
    best, best_len = -1, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    assert best >= 0, module
    return best


def module_name(path: Path) -> str:
    """Return a source file's dotted module name."""
    parts = path.relative_to(SERVICE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Return the service modules a file imports, at any depth (function-level imports count
    too).
    """
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("service"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("service")}
    return found


MODULES = sorted(SERVICE.rglob("*.py"))


def test_every_module_has_a_layer() -> None:
    """Each module of the package sits in one of the layers."""
    assert len(MODULES) > 50
    assert all(layer_of(module_name(path)) >= 0 for path in MODULES)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SERVICE)))
def test_a_module_imports_only_its_layer_and_below(path: Path) -> None:
    """No import climbs back up the flow (the fetch layer never imports the mapping layer's
    constants).
    """
    own = layer_of(module_name(path))
    upward = sorted(m for m in imports_of(path) if layer_of(m) > own)
    assert upward == []


def test_the_layer_check_sees_an_upward_import() -> None:
    """A records module importing the evaluation layer is caught (the check can fail)."""
    assert layer_of("service.evaluation.evaluate") > layer_of("service.records.fhir.fetch")
    assert layer_of("service.rulebook.kinds") < layer_of("service.facts")
