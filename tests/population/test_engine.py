"""The Dask engine: a LocalCluster this process starts is shut down, also when released early."""

from __future__ import annotations

from distributed.core import Status

from service.population.engine import open_engine


def test_released_engine_is_closed_when_the_block_ends() -> None:
    """An engine released after its tasks (the write phase goes on meanwhile) is closed, client
    and cluster, when its block ends.
    """
    with open_engine(workers=1) as engine:
        cluster = engine.cluster
        assert engine.workers == 1
        assert engine.client.submit(sum, [1, 2]).result() == 3
        # Released once the tasks are done: the cluster stops in a thread while the driver writes.
        engine.release()
        engine.release()  # a second release starts nothing new
    assert cluster.status == Status.closed
    assert engine.client.status == "closed"


def test_engine_is_closed_when_the_block_raises() -> None:
    """A run that fails inside the block still shuts its LocalCluster down."""
    try:
        with open_engine(workers=1) as engine:
            raise RuntimeError("the write phase failed")
    except RuntimeError:
        pass
    assert engine.cluster.status == Status.closed
    assert engine.client.status == "closed"
