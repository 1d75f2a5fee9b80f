"""The garbage collector around a bucket task: its parsed lines are trees of dicts the collector
need not walk.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_collection() -> Iterator[None]:
    """Pause the cyclic collector while a bucket's JSON is parsed.

    orjson builds trees (no cycles), and every collection the allocations trigger would walk the
    whole growing heap again: measured, 60-75 % of the time spent parsing a bucket.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Keep what exists now (the rulebook, a bucket's parsed records) out of the collections run
    inside the block.

    The objects stay alive and reclaimable by reference counting; after the block they are
    collectable again. One collection first: cyclic garbage left by the previous bucket would
    otherwise be frozen with the rest and wait for a full collection after the block, raising the
    worker's peak memory bucket after bucket.
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
