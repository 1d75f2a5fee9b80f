"""Partitioning: a stable hash per patient key, bucket counts that grow with the input, and every
line accounted for.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest

from service.population.inputs import InputError, list_inputs, split_inputs
from service.population.partition import bucket_count, bucket_of, partition_file


def _write(path: Path, lines: list[object]) -> None:
    path.write_bytes(
        b"".join((x if isinstance(x, bytes) else orjson.dumps(x)) + b"\n" for x in lines)
    )


def test_bucket_of_is_stable_and_in_range() -> None:
    """The same key always lands in the same bucket (crc32, not Python's per-process hash),
    within range.
    """
    assert (
        bucket_of("Patient/a", 16) == bucket_of("Patient/a", 16) == 5
    )  # zlib.crc32(b"Patient/a") % 16
    assert {bucket_of(f"Patient/{i}", 7) for i in range(200)} == set(range(7))


def test_bucket_count_grows_with_input() -> None:
    """Buckets hold about the configured bytes each: ten times the input, ten times the buckets."""
    assert bucket_count(0) == 1
    assert bucket_count(100 * 2**20, 2**20) == 100
    assert bucket_count(1000 * 2**20, 2**20) == 1000


def test_every_worker_gets_several_buckets() -> None:
    """A small input is still split into four buckets per worker, so no worker idles while one
    bucket runs.
    """
    assert bucket_count(2**20, 2**20, workers=2) == 8


def test_a_large_input_keeps_its_memory_bound() -> None:
    """A large input gets as many buckets as its size needs, however few the workers."""
    assert bucket_count(100 * 2**20, 2**20, workers=2) == 100


def test_the_bucket_count_is_a_multiple_of_the_workers() -> None:
    """15 buckets' worth of input on 2 workers makes 16 smaller buckets, 8 each, not 8 on one and
    7 on the other.
    """
    assert bucket_count(15 * 2**20, 2**20, workers=2) == 16


def test_a_patients_lines_land_in_one_bucket(tmp_path: Path) -> None:
    """The Patient and its Observations (shuffled across files) are routed to the bucket of its
    key.
    """
    src = tmp_path / "in"
    src.mkdir()
    _write(src / "Patient.ndjson", [{"resourceType": "Patient", "id": f"p{i}"} for i in range(20)])
    _write(
        src / "Observation.ndjson",
        [
            {
                "resourceType": "Observation",
                "id": f"o{i}",
                "subject": {"reference": f"Patient/p{i % 20}"},
            }
            for i in range(60)
        ],
    )
    parts = tmp_path / "parts"
    for task, source in enumerate(list_inputs(str(src))):
        partition_file(source, task, str(parts), 4)
    for bucket_dir in parts.glob("b*"):
        keys = set()
        for part in bucket_dir.glob("*.ndjson"):
            for line in part.read_bytes().splitlines():
                r = orjson.loads(line)
                keys.add(
                    f"Patient/{r['id']}"
                    if r["resourceType"] == "Patient"
                    else r["subject"]["reference"]
                )
        assert {bucket_of(k, 4) for k in keys} == {int(bucket_dir.name[1:])}
    assert sum(1 for p in parts.glob("b*/*.ndjson") for _ in p.read_bytes().splitlines()) == 80


def test_unreadable_and_unattributed_lines_are_counted_with_file_and_line(tmp_path: Path) -> None:
    """A bad JSON line, a non-resource and a resource with no patient are counted, with file and
    line; the rest is routed.
    """
    src = tmp_path / "in"
    src.mkdir()
    lines = [
        {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p"}},
        b"{not json",
        [1, 2],
        {"resourceType": "Condition", "id": "c2"},
    ]
    (src / "Condition.1.ndjson.gz").write_bytes(
        gzip.compress(
            b"".join((x if isinstance(x, bytes) else orjson.dumps(x)) + b"\n" for x in lines)
        )
    )
    stats = partition_file(list_inputs(str(src))[0], 0, str(tmp_path / "parts"), 2)
    assert (stats["resources"], stats["unreadable"], stats["unattributed"]) == (1, 2, 1)
    assert [(s["kind"], s["file"], s["line"]) for s in stats["samples"]] == [
        ("unreadable", "Condition.1.ndjson.gz", 2),
        ("unreadable", "Condition.1.ndjson.gz", 3),
        ("unattributed", "Condition.1.ndjson.gz", 4),
    ]


def test_rerun_of_a_finished_map_task_is_skipped(tmp_path: Path) -> None:
    """A map task with a checkpoint returns its saved stats without reading the file again."""
    src = tmp_path / "in"
    src.mkdir()
    _write(src / "Patient.ndjson", [{"resourceType": "Patient", "id": "p"}])
    source = list_inputs(str(src))[0]
    first = partition_file(source, 0, str(tmp_path / "parts"), 2)
    (src / "Patient.ndjson").unlink()
    again = partition_file(source, 0, str(tmp_path / "parts"), 2)
    assert again["skipped"] is True
    assert again["resources"] == first["resources"] == 1


def test_unreadable_input_url_names_the_cause(tmp_path: Path) -> None:
    """A missing directory, and a directory without NDJSON files, each stop with a message naming
    the input.
    """
    with pytest.raises(InputError, match="does not exist"):
        list_inputs(str(tmp_path / "nowhere"))
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(InputError, match="holds no Bulk Data NDJSON"):
        list_inputs(str(tmp_path))
    with pytest.raises(InputError, match="cannot be read"):
        list_inputs("nosuchproto://bucket/export")


def _parted_lines(parts: Path) -> dict[str, list[bytes]]:
    """Each bucket's lines, sorted (the map tasks' part files together)."""
    return {
        d.name: sorted(line for p in d.glob("*.ndjson") for line in p.read_bytes().splitlines())
        for d in parts.glob("b*")
    }


def test_byte_ranges_route_every_line_once(tmp_path: Path) -> None:
    """A file read as many small byte ranges routes exactly the lines that reading it whole does,
    none twice.
    """
    src = tmp_path / "in"
    src.mkdir()
    _write(
        src / "Observation.ndjson",
        [
            {
                "resourceType": "Observation",
                "id": f"o{i}",
                "subject": {"reference": f"Patient/p{i}"},
            }
            for i in range(50)
        ],
    )
    whole, pieces = tmp_path / "whole", tmp_path / "pieces"
    (item,) = list_inputs(str(src))
    partition_file(item, 0, str(whole), 4)
    ranges = split_inputs([item], piece_bytes=97)  # not a line length: ranges start mid-line
    for task, piece in enumerate(ranges):
        partition_file(piece, task, str(pieces), 4)
    assert len(ranges) > 10
    assert _parted_lines(pieces) == _parted_lines(whole)


def test_a_bad_line_in_a_later_range_is_named_by_offset(tmp_path: Path) -> None:
    """A range from the middle of a file cannot count lines: its unreadable line is reported by
    byte offset.
    """
    src = tmp_path / "in"
    src.mkdir()
    good = b'{"resourceType": "Patient", "id": "p"}\n' * 5
    (src / "Patient.ndjson").write_bytes(good + b"{not json\n")
    (item,) = list_inputs(str(src))
    later = [p for p in split_inputs([item], piece_bytes=len(good)) if p.start > 0]
    stats = partition_file(later[0], 1, str(tmp_path / "parts"), 2)
    assert stats["samples"] == [
        {
            "kind": "unreadable",
            "file": "Patient.ndjson",
            "line": None,
            "offset": len(good),
            "reason": stats["samples"][0]["reason"],
        }
    ]
