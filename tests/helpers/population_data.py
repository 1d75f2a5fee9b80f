"""Build Bulk Data NDJSON populations from fixture Bundles and Synthea records (tests and
bench/bench_population.py).
"""

from __future__ import annotations

import gzip
import random
import re
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson

from service.records.entries import READ_TYPES
from tests.helpers import ROOT


def fixture_bundles() -> list[dict[str, Any]]:
    """Every fixture Bundle of every trial."""
    return [
        orjson.loads(p.read_bytes())
        for p in sorted((ROOT / "fhir_fixtures").glob("NCT*/*.json"))
        if p.name != "manifest.json"
    ]


def synthea_bundles(directory: Path) -> list[dict[str, Any]]:
    """The Synthea transaction Bundles of a directory."""
    return [orjson.loads(p.read_bytes()) for p in sorted(directory.glob("*.json"))]


def _relink(node: Any, refs: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {
            k: refs.get(v, v) if k == "reference" and isinstance(v, str) else _relink(v, refs)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_relink(v, refs) for v in node]
    return node


def bundle_resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    """Return a Bundle's resources of the types the rules read, urn:uuid references rewritten to
    Type/id (as an export has them).
    """
    refs = {
        e["fullUrl"]: f"{e['resource']['resourceType']}/{e['resource']['id']}"
        for e in bundle.get("entry", [])
        if e.get("fullUrl")
    }
    return [
        _relink(e["resource"], refs)
        for e in bundle.get("entry", [])
        if e["resource"]["resourceType"] in READ_TYPES
    ]


def _suffix(node: Any, tag: str) -> Any:
    """Give every id and Type/id reference a copy suffix, so each copy is a distinct patient."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if (k == "id" and isinstance(v, str) and "resourceType" in node) or (
                k == "reference" and isinstance(v, str) and v.count("/") == 1
            ):
                out[k] = v + tag
            else:
                out[k] = _suffix(v, tag)
        return out
    if isinstance(node, list):
        return [_suffix(v, tag) for v in node]
    return node


_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(.*)$")


def _vary(node: Any, rng: random.Random, shift: timedelta) -> Any:
    """Shift every full date by ``shift`` and scale every Quantity value by 0.8-1.2 (one copy's
    own numbers and days).
    """
    if isinstance(node, dict):
        out = {k: _vary(v, rng, shift) for k, v in node.items()}
        value = out.get("value")
        quantity = "unit" in out or "code" in out or "system" in out
        if quantity and isinstance(value, (int, float)) and not isinstance(value, bool):
            out["value"] = round(value * rng.uniform(0.8, 1.2), 2)
        return out
    if isinstance(node, list):
        return [_vary(v, rng, shift) for v in node]
    if isinstance(node, str):
        found = _DATE.match(node)
        if found:
            try:
                day = date.fromisoformat(found.group(1)) + shift
            except ValueError:
                return node
            return day.isoformat() + found.group(2)
    return node


def varied_copies(
    resources: Iterable[dict[str, Any]], copies: int, seed: int = 11
) -> list[dict[str, Any]]:
    """Return ``copies`` copies with fresh ids, each with its dates shifted by up to 200 days and
    its measured values scaled, so no two copies share their labs (as no two patients do).
    """
    base = list(resources)
    rng = random.Random(seed)
    out = []
    for k in range(copies):
        shift = timedelta(days=rng.randint(-200, 200))
        out += [_vary(_suffix(r, f"-v{k}"), rng, shift) for r in base]
    return out


def write_population(
    resources: Iterable[dict[str, Any]],
    dest: Path,
    copies: int = 1,
    seed: int = 7,
    gzip_types: Iterable[str] = (),
) -> dict[str, int]:
    """Write ``copies`` copies (fresh ids) as one shuffled Type.ndjson per type (gzipped for
    ``gzip_types``); return lines per type.
    """
    base = list(resources)
    by_type: dict[str, list[bytes]] = {}
    for k in range(copies):
        tag = f"-r{k}" if copies > 1 else ""
        for resource in base:
            copy = _suffix(resource, tag) if tag else resource
            by_type.setdefault(copy["resourceType"], []).append(orjson.dumps(copy))
    rng = random.Random(seed)
    dest.mkdir(parents=True, exist_ok=True)
    zipped = set(gzip_types)
    for rtype, lines in by_type.items():
        rng.shuffle(lines)  # a patient's lines scattered, as in a real export
        data = b"\n".join(lines) + b"\n"
        if rtype in zipped:
            (dest / f"{rtype}.1.ndjson.gz").write_bytes(gzip.compress(data, compresslevel=1))
        else:
            (dest / f"{rtype}.ndjson").write_bytes(data)
    return {t: len(v) for t, v in by_type.items()}


# Stands for a copy's suffix in a serialised template; replaced by each copy's own tag.
_COPY_MARK = "@@copy@@"


def write_population_files(
    resources: Iterable[dict[str, Any]], dest: Path, copies: int, file_bytes: int, seed: int = 7
) -> int:
    """Write ``copies`` copies (fresh ids) as Type.N.ndjson files of about ``file_bytes`` each;
    return the lines.

    For populations too large for ``write_population``: each resource is serialised once as a
    template with a mark where its copy tag goes, and the copies are written a file's worth at a
    time, shuffled within that file (a patient's lines scattered, as in a real export that splits
    its output into several files per type).
    """
    templates = [
        (r["resourceType"], orjson.dumps(_suffix(r, _COPY_MARK)).split(_COPY_MARK.encode()))
        for r in resources
    ]
    per_copy = sum(len(b"".join(parts)) + 1 for _t, parts in templates)
    per_file = max(1, file_bytes // max(1, per_copy))
    rng = random.Random(seed)
    dest.mkdir(parents=True, exist_ok=True)
    written = 0
    for number, first in enumerate(range(0, copies, per_file), start=1):
        by_type: dict[str, list[bytes]] = {}
        for k in range(first, min(copies, first + per_file)):
            tag = f"-r{k}".encode()
            for rtype, parts in templates:
                by_type.setdefault(rtype, []).append(tag.join(parts))
        for rtype, lines in by_type.items():
            rng.shuffle(lines)
            (dest / f"{rtype}.{number}.ndjson").write_bytes(b"\n".join(lines) + b"\n")
            written += len(lines)
    return written
