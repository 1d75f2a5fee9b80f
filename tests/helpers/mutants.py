"""Wrongly typed FHIR fields: replace one element of one resource by a value of another JSON type
(shared by the mutation test and bench).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

# One value of each JSON type, and the shapes the reliability review used (a status that is a list,
# a unit that is a number).
WRONG_VALUES: tuple[Any, ...] = ([], ["final"], {}, {"value": 1}, 7, 2.5, True, "x", "")
Path = tuple[str | int, ...]


def paths(node: object, prefix: Path = ()) -> Iterator[Path]:
    """Yield the path of every element below a node (objects and lists, depth first), never the
    root.
    """
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("resourceType",):
                continue  # a resource that is not one is a 400, tested elsewhere
            yield (*prefix, key)
            yield from paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*prefix, index)
            yield from paths(value, (*prefix, index))


def replaced(document: Any, path: Path, value: Any) -> Any:
    """Return a deep copy of a document with the element at ``path`` replaced."""
    changed = copy.deepcopy(document)
    node = changed
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = copy.deepcopy(value)
    return changed


def wrong_for(current: object) -> list[Any]:
    """Return the replacement values whose JSON type differs from the current value's."""
    return [value for value in WRONG_VALUES if type(value) is not type(current)]


def cited_references(report: dict[str, Any]) -> set[str]:
    """Return the references the decided criteria (met / not-met) cite as grounds, notes on
    set-aside results left out.
    """
    cited = set()
    for criterion in report["criteria"]:
        if criterion["status"] in ("met", "not-met"):
            for item in criterion["evidence"]:
                if item["reference"] and "set aside" not in (item["note"] or ""):
                    cited.add(item["reference"])
    return cited
