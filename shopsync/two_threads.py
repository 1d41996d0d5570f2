"""Work in two threads over kernels that let go of the GIL: safe in a Jupyter kernel."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["each_in_two_threads", "in_order_in_two_threads"]

_Key = TypeVar("_Key")
_Result = TypeVar("_Result")


def each_in_two_threads(
    work: Callable[[_Key], _Result], keys: Iterable[_Key]
) -> dict[_Key, _Result]:
    """``{key: work(key)}`` for every key, two at a time, in the keys' order."""
    keys = list(keys)
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(keys, pool.map(work, keys), strict=True))


def in_order_in_two_threads(
    work: Callable[..., _Result], arguments: Iterable[tuple[Any, ...]]
) -> Iterator[_Result]:
    """``work(*args)`` for each of ``arguments``, in their order, two at a time: the next
    arguments are drawn only once the result two before is handed out, so at most two are
    in the threads' hands while the caller holds the one before (a source that reuses the
    memory of what it gave two items before may count on that)."""
    with ThreadPoolExecutor(max_workers=2) as workers:
        ahead: deque[Future[_Result]] = deque()
        for args in arguments:
            ahead.append(workers.submit(work, *args))
            del args  # the caller's source, not this loop, decides how long an item lives
            if len(ahead) == 2:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()
