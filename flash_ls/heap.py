"""How a long-running flash-ls process treats Python's cyclic garbage collector.

After indexing, the heap is mostly long-lived: the facts of every file, the Apps, the caches.
Python's full collections walk all of it (tens of milliseconds for a few hundred files), and
the young collections run every 700 container allocations: an edit's check allocates about
that much, so one keystroke in ten paid a middle collection and some a full one. ``settle``,
run once indexing is done (the server, and benchmark E1, which measures what the server does):

- collects, then freezes what survives (``gc.freeze``): full collections no longer walk the
  indexed heap. A frozen object is still freed when its last reference goes; only frozen
  *cyclic* garbage waits for the next ``settle``, which unfreezes and collects first. An edit
  makes none: the workspace breaks the cycles between a replaced App and its endpoints
  (``App.forget_derived``), so what an edit leaves behind is freed by reference counting;
- raises the young generation's threshold, so that collections come every few edits instead of
  every one (each is still small: an edit's garbage).
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000
"""Container allocations (net of frees) between young collections (CPython's default: 700)."""


def settle() -> None:
    """Collect, freeze the survivors, and space the young collections (see the module)."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
