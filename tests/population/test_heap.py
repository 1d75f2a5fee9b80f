"""The collector settings around a bucket task are undone when it ends, even when it fails."""

from __future__ import annotations

import gc
import weakref

import pytest

from service.population.heap import collect_before_bucket, frozen_heap, no_collection


def test_no_collection_pauses_then_restores_the_collector() -> None:
    """Inside, the cyclic collector is off; after, it is on again."""
    with no_collection():
        inside = gc.isenabled()
    assert not inside
    assert gc.isenabled()


def test_no_collection_restores_the_collector_after_an_error() -> None:
    """A failure while parsing does not leave the collector off."""
    with pytest.raises(ValueError, match="bad line"), no_collection():
        raise ValueError("bad line")
    assert gc.isenabled()


def test_frozen_heap_freezes_then_thaws() -> None:
    """Inside, the existing objects are frozen out of collections; after, none are."""
    with frozen_heap():
        inside = gc.get_freeze_count()
    assert inside > 0
    assert gc.get_freeze_count() == 0


def test_frozen_heap_thaws_after_an_error() -> None:
    """A failure while screening does not leave the heap frozen."""
    with pytest.raises(RuntimeError, match="patient"), frozen_heap():
        raise RuntimeError("patient")
    assert gc.get_freeze_count() == 0


def test_collect_before_bucket_reclaims_old_cycles() -> None:
    """A reference cycle the previous bucket dropped is collected before the next is parsed, not
    frozen with its records.
    """

    class Node:
        """A self-referencing object: only the cyclic collector reclaims it."""

    gc.disable()
    try:
        node = Node()
        node.me = node  # type: ignore[attr-defined]
        probe = weakref.ref(node)
        del node
        collect_before_bucket()
        with frozen_heap():
            alive = probe() is not None
    finally:
        gc.enable()
    assert not alive
