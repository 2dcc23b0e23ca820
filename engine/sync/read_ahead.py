"""Reading ahead: the shop's next documents are fetched in a background thread while the
pipeline maps, claims and posts the ones before them, so the shop's latency is not paid on top
of the pipeline's own work.

Only the source's iterator runs in the thread, and only while the pipeline is iterating it: the
pipeline never calls the source while the thread does (a client may still make its own
requests in threads of its own, as PrestaShop's does: connectors/ahead.py). At most `size`
documents wait in the queue, so memory stays flat however many orders a pass sees. A failure
in the thread is raised in the pipeline at the point where the document it could not fetch
would have come.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator
from typing import TypeVar, cast

T = TypeVar("T")

_ITEM, _ERROR, _END = "item", "error", "end"
# How often a producer blocked on a full queue checks whether the consumer stopped.
_POLL_SECONDS = 0.05


def read_ahead(items: Iterator[T], size: int) -> Generator[T, None, None]:
    """`items`, in order, produced by a background thread up to `size` ahead of the consumer.

    Close the returned generator (or exhaust it) before using the source again: closing stops
    the thread and waits for it, so a request it has under way finishes first.
    """
    if size < 1:
        raise ValueError("size must be at least 1")
    waiting: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=size)
    stopped = threading.Event()

    def offer(kind: str, value: object) -> bool:
        while not stopped.is_set():
            try:
                waiting.put((kind, value), timeout=_POLL_SECONDS)
            except queue.Full:
                continue
            return True
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer(_ITEM, item):
                    return
        except BaseException as error:  # handed to the consumer and raised there
            offer(_ERROR, error)
            return
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # a generator left half-way is closed here, not by the GC elsewhere
        offer(_END, None)

    thread = threading.Thread(target=produce, name="mapper-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = waiting.get()
            if kind == _ITEM:
                yield cast(T, value)
            elif kind == _ERROR:
                raise cast(BaseException, value)
            else:
                return
    finally:
        stopped.set()
        thread.join()
