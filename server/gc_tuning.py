"""How often the cycle collector runs while a bulk load is on: a process-wide setting.

A load makes millions of short-lived rows and lists, and at Python's default threshold (700
container objects) the collector's youngest pass took a large share of the loader's CPU (the
load bench, ``bench/load_bench.py``, shows it). A higher threshold costs only the memory of the
rows allowed to wait. The threshold belongs to the whole process, so the composition root
sets it around the loads it runs (the CLI's loads and syncs, and the benches), not the loader
in ``graph/``, which may share its process with a server that wants the default.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

# Container objects the collector lets pile up before its youngest pass runs while a load is on.
LOAD_GC_THRESHOLD = 20_000


class _RareCollections:
    """Runs the cycle collector less often while any load runs: the first load in raises the
    threshold, the last one out restores what was there before."""

    def __init__(self) -> None:
        self._loads = 0
        self._before = gc.get_threshold()

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        if self._loads == 0:
            self._before = gc.get_threshold()
            gc.set_threshold(max(self._before[0], LOAD_GC_THRESHOLD), *self._before[1:])
        self._loads += 1
        try:
            yield
        finally:
            self._loads -= 1
            if self._loads == 0:
                gc.set_threshold(*self._before)


rare_collections = _RareCollections()
