"""Map phase: route every NDJSON line to the bucket of its patient (a hash of the patient key),
one task per file.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import fsspec
import orjson

from service.population.files import write_json
from service.population.inputs import InputFile
from service.records.entries import subject_key

# Raw NDJSON bytes per bucket: a bucket is parsed whole by one worker, and parsed JSON takes ~6-8x
# its text, so 32 MB of input keeps a worker near 250 MB whatever the population (measured in
# bench/bench_population.py).
DEFAULT_BUCKET_BYTES = 32 * 1024 * 1024
# The fewest buckets each worker gets, so that the last buckets of the evaluate phase keep every
# worker busy.
BUCKETS_PER_WORKER = 4
# Lines kept per map task as examples of unreadable or unattributed input (the counts are always
# complete).
MAX_SAMPLES = 20
# Buffered bytes before a map task appends its buckets to disk.
FLUSH_BYTES = 16 * 1024 * 1024
# Resources outside the patient compartment that records point at; broadcast to every bucket.
SHARED_TYPES = frozenset({"Medication"})


@dataclass
class MapStats:
    """What one map task read: lines, resources routed, and the lines it could not attribute or
    read.
    """

    file: str
    lines: int = 0
    resources: int = 0
    patients: int = 0
    unattributed: int = 0
    unreadable: int = 0
    samples: list[dict[str, Any]] = field(default_factory=list)

    def note(self, kind: str, line: int | None, offset: int, reason: str) -> None:
        """Count an unreadable or unattributed line, keeping the first few with file, line number
        and byte offset.

        A map task reading a byte range from the middle of a file does not know its line numbers:
        ``line`` is None.
        """
        setattr(self, kind, getattr(self, kind) + 1)
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append(
                {"kind": kind, "file": self.file, "line": line, "offset": offset, "reason": reason}
            )


def bucket_count(
    total_bytes: int, bucket_bytes: int = DEFAULT_BUCKET_BYTES, workers: int = 1
) -> int:
    """Return how many buckets bound each one to about ``bucket_bytes`` of input, and give every
    worker several.

    With one bucket per worker, the slowest bucket sets the evaluate phase's end while the other
    workers idle; with BUCKETS_PER_WORKER each, the idle tail is at most one small bucket (smaller
    buckets only lower the memory bound). The count is a multiple of the workers: 15 buckets on 2
    workers is 8 rounds of work on one and 7 on the other.
    """
    if workers <= 1:
        return max(1, math.ceil(total_bytes / bucket_bytes))  # one worker has nobody to keep busy
    rounds = max(BUCKETS_PER_WORKER, math.ceil(total_bytes / bucket_bytes / workers))
    return rounds * workers


def bucket_of(key: str, buckets: int) -> int:
    """Return a patient key's bucket: crc32 is stable across processes and machines (Python's
    hash() is not).
    """
    return zlib.crc32(key.encode()) % buckets


def patient_key(resource: dict[str, Any]) -> str | None:
    """Return the ``Patient/id`` key a resource belongs to (a Patient's own), or None."""
    if resource.get("resourceType") == "Patient":
        return (
            f"Patient/{resource['id']}"
            if isinstance(resource.get("id"), str) and resource["id"]
            else None
        )
    return subject_key(resource)


def part_path(parts_dir: Path, bucket: int, task: int) -> Path:
    """Return where map task ``task`` writes its lines for ``bucket``."""
    return parts_dir / f"b{bucket:05d}" / f"m{task:05d}.ndjson"


def done_path(parts_dir: Path, task: int) -> Path:
    """Return a map task's checkpoint file."""
    return parts_dir / f"m{task:05d}.done.json"


def partition_file(source: InputFile, task: int, parts_dir: str, buckets: int) -> dict[str, Any]:
    """Split one NDJSON file into per-bucket part files; return (and checkpoint) its MapStats as
    a dict.
    """
    root = Path(parts_dir)
    done = done_path(root, task)
    if done.exists():
        return dict(orjson.loads(done.read_bytes()), skipped=True)
    for stale in root.glob(f"*/m{task:05d}.ndjson"):
        stale.unlink()  # a crashed earlier attempt of this task
    stats = MapStats(source.name)
    buffers: dict[int, list[bytes]] = {}
    buffered = 0
    keys: set[str] = set()
    with fsspec.open(source.url, "rb", compression="infer") as handle:
        for line_number, at, raw in _lines(handle, source):
            stats.lines += 1
            line = raw.strip()
            if not line:
                continue
            try:
                resource = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                stats.note("unreadable", line_number, at, f"not JSON ({str(exc)[:80]})")
                continue
            if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
                stats.note("unreadable", line_number, at, "not a FHIR resource (no resourceType)")
                continue
            if resource["resourceType"] in SHARED_TYPES:
                target = buckets  # the extra "shared" bucket every bucket task reads
            else:
                key = patient_key(resource)
                if key is None:
                    stats.note(
                        "unattributed",
                        line_number,
                        at,
                        f"{resource['resourceType']} points to no Patient",
                    )
                    continue
                if resource["resourceType"] == "Patient":
                    keys.add(key)
                target = bucket_of(key, buckets)
            stats.resources += 1
            buffers.setdefault(target, []).append(line + b"\n")
            buffered += len(line) + 1
            if buffered >= FLUSH_BYTES:
                _flush(root, task, buffers)
                buffered = 0
    _flush(root, task, buffers)
    stats.patients = len(keys)
    write_json(done, asdict(stats))
    return asdict(stats)


def _lines(handle: Any, source: InputFile) -> Iterator[tuple[int | None, int, bytes]]:
    """Yield (line number or None, byte offset, raw line) for the lines that start in the
    source's byte range.
    """
    offset = source.start
    if offset:
        # The line under way at ``start`` belongs to the range before, which reads on to its end.
        handle.seek(offset - 1)
        offset += len(handle.readline()) - 1
    for number, raw in enumerate(handle, start=1):
        if source.end is not None and offset >= source.end:
            return
        yield (number if source.start == 0 else None), offset, raw
        offset += len(raw)


def _flush(root: Path, task: int, buffers: dict[int, list[bytes]]) -> None:
    """Append the buffered lines to this task's part files (no other task writes them)."""
    for bucket, lines in buffers.items():
        path = part_path(root, bucket, task)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("ab") as handle:
            handle.writelines(lines)
    buffers.clear()
