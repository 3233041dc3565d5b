"""Query iterators: ``iterator="Start|Continue|Stop"``, ``iteratorID``, ``MaxReturned``.

A query with ``iterator="Start"`` returns the first ``MaxReturned`` objects plus
``iteratorRemainingCount`` and an ``iteratorID``; the caller repeats the query with
``iterator="Continue"`` and that ID until the remaining count is 0. The result set is
snapshotted at ``Start`` (object identities); each page re-renders the current state. An
exhausted or stopped iterator is forgotten, and continuing an unknown ID answers 3120
(simulator choice: the reference does not document that status).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Cursor:
    request_type: str
    keys: list[str]
    position: int = 0


@dataclass(frozen=True)
class Page:
    keys: list[str]
    iterator_id: str
    remaining: int


def _new_iterator_id() -> str:
    return "{" + str(uuid.uuid4()) + "}"


class IteratorRegistry:
    """Open iterators of one company-file session."""

    def __init__(self, id_factory: Callable[[], str] | None = None) -> None:
        self._cursors: dict[str, _Cursor] = {}
        # A module function, not a lambda: a company file can be pickled between CLI runs.
        self._new_id = id_factory or _new_iterator_id

    def __len__(self) -> int:
        return len(self._cursors)

    def start(self, request_type: str, keys: list[str], max_returned: int | None) -> Page:
        iterator_id = self._new_id()
        self._cursors[iterator_id] = _Cursor(request_type, list(keys))
        return self._next(iterator_id, max_returned)

    def resume(self, iterator_id: str, request_type: str, max_returned: int | None) -> Page | None:
        """Next page of ``iterator_id``, or ``None`` when it is unknown or of another type."""
        cursor = self._cursors.get(iterator_id)
        if cursor is None or cursor.request_type != request_type:
            return None
        return self._next(iterator_id, max_returned)

    def stop(self, iterator_id: str) -> bool:
        return self._cursors.pop(iterator_id, None) is not None

    def clear(self) -> None:
        self._cursors.clear()

    def _next(self, iterator_id: str, max_returned: int | None) -> Page:
        cursor = self._cursors[iterator_id]
        size = len(cursor.keys) - cursor.position if max_returned is None else max(max_returned, 0)
        chunk = cursor.keys[cursor.position:cursor.position + size]
        cursor.position += len(chunk)
        remaining = len(cursor.keys) - cursor.position
        if remaining == 0:
            del self._cursors[iterator_id]
        return Page(chunk, iterator_id, remaining)
