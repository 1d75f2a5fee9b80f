"""A small population in NDJSON (fixture patients of every trial, two Synthea records, one bad
line, one orphan) and its local run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from service.population.run import ScreenOptions, run_screen
from tests.helpers.population import AS_OF, BUCKET_BYTES
from tests.helpers.population_data import (
    bundle_resources,
    fixture_bundles,
    synthea_bundles,
    write_population,
)
from tests.needs import need, synthea_dir


@pytest.fixture(scope="session")
def population_bundles() -> list[dict[str, Any]]:
    """Every tenth fixture patient and the two smallest Synthea records, as Bundles."""
    need("synthea")
    synthea = sorted(synthea_bundles(synthea_dir()), key=lambda b: len(b["entry"]))[:2]
    assert len(synthea) == 2
    return fixture_bundles()[::10] + synthea


@pytest.fixture(scope="session")
def population_dir(
    tmp_path_factory: pytest.TempPathFactory, population_bundles: list[dict[str, Any]]
) -> Path:
    """The population as Bulk Data NDJSON, lines shuffled, Conditions gzipped, plus one
    unreadable line and one orphan resource.
    """
    dest = tmp_path_factory.mktemp("ndjson")
    write_population(
        [r for b in population_bundles for r in bundle_resources(b)], dest, gzip_types=["Condition"]
    )
    with (dest / "Observation.ndjson").open("ab") as handle:
        handle.write(b"{this is not json\n")
        handle.write(
            orjson.dumps(
                {
                    "resourceType": "Observation",
                    "id": "orphan",
                    "status": "final",
                    "subject": {"reference": "Patient/nobody"},
                }
            )
            + b"\n"
        )
    return dest


@pytest.fixture(scope="session")
def local_run(tmp_path_factory: pytest.TempPathFactory, population_dir: Path) -> Path:
    """The population screened on a 2-worker LocalCluster."""
    out = tmp_path_factory.mktemp("runs") / "local-run"
    run_screen(
        ScreenOptions(
            out=out, as_of=AS_OF, ndjson=str(population_dir), workers=2, bucket_bytes=BUCKET_BYTES
        )
    )
    return out
