"""Memory the allocators keep after a phase, handed back to the system before the next."""

from __future__ import annotations

import pyarrow as pa

try:
    from shopsync import _bulk_scan
except ImportError:  # not compiled: the C heap is left as it is
    _bulk_scan = None

__all__ = ["release_unused"]


def release_unused() -> None:
    """Give the system back the free memory the C heap and Arrow's allocator hold. glibc
    keeps what numpy's arrays and the JSONL scanner freed until it is trimmed, so a job's
    next phase would reach its peak on top of it: in the 1M preview each call gives back
    60-210 MB, all of it the C heap's (Arrow's jemalloc pool had returned its own as it was
    freed; another pool a user chooses may hold some)."""
    pa.default_memory_pool().release_unused()
    if _bulk_scan is not None:
        _bulk_scan.release_unused()
