"""Python's cyclic garbage collector paused while a batch is checked and written.

A batch builds tens of thousands of short-lived containers (each row's dicts, lists and tuples).
Every 700 of them start a collection, and every few of those one that scans all the objects the
process holds, the batch's own rows included: for a batch of reports that scanning cost about a
third of the Python time and freed nothing, because the rows hold no reference cycles and
reference counting frees them as they go. `paused()` turns the collector off for its block; any
cycles made meanwhile are collected by the first collection after it.

The switch is the process's, so the pause is counted across threads: the collector comes back
when the last block ends, and one that was off before the first block stays off.
"""

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_restore = False


@contextmanager
def paused() -> Iterator[None]:
    global _depth, _restore
    with _lock:
        if _depth == 0:
            _restore = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _restore:
                gc.enable()
