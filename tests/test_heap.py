"""The server's garbage-collector policy once indexing is done (flash_ls/heap.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from flash_ls import heap


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


class _Cycle:
    def __init__(self) -> None:
        self.me = self


@pytest.mark.usefixtures("restored_gc")
def test_settle_freezes_the_long_lived_heap_and_spaces_young_collections() -> None:
    heap.settle()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[0] == heap.YOUNG_THRESHOLD


@pytest.mark.usefixtures("restored_gc")
def test_frozen_cyclic_garbage_is_collected_by_the_next_settle() -> None:
    import weakref

    cycle = _Cycle()
    alive = weakref.ref(cycle)
    heap.settle()  # the cycle is frozen with everything else
    del cycle
    gc.collect()
    assert alive() is not None  # frozen: a full collection does not see it
    heap.settle()
    assert alive() is None
