"""Building QBO query text safely.

QBO's query language quotes strings with ``'`` and escapes with a backslash; peers that paste
values in unescaped let a name like ``O'Brien`` break (or rewrite) the query (python-quickbooks
#319). Characters outside printable ASCII are worse: a typographic apostrophe (U+2019) makes
QBO fail to parse the query at all (python-quickbooks #228), so such values are matched with
``LIKE`` and ``%`` in their place, and the caller checks the exact value in the rows returned.
"""

from __future__ import annotations

import attrs

_SAFE = frozenset(chr(c) for c in range(0x20, 0x7F))


def quote(value: str) -> str:
    """``O'Brien`` -> ``'O\\'Brien'``: a QBO string literal."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


@attrs.frozen
class Condition:
    """One ``WHERE`` condition and whether the rows still need an exact check."""

    text: str
    inexact: bool


def equals(field: str, value: str) -> Condition:
    """``field = 'value'``, or a ``LIKE`` pattern when the value has characters QBO's query
    parser mishandles (the rows must then be filtered with :func:`same_text`)."""
    if all(ch in _SAFE for ch in value) and "%" not in value:
        return Condition(f"{field} = {quote(value)}", inexact=False)
    pattern = "".join(ch if ch in _SAFE and ch != "%" else "%" for ch in value)
    return Condition(f"{field} LIKE {quote(pattern)}", inexact=True)


def same_text(left: object, right: str) -> bool:
    """QBO compares names case-insensitively and ignoring surrounding blanks."""
    if not isinstance(left, str):
        return False
    return " ".join(left.split()).casefold() == " ".join(right.split()).casefold()


def select(entity: str, *conditions: Condition | str, include_inactive: bool = False) -> str:
    """``SELECT * FROM Entity WHERE ...``; name lists hide inactive rows unless asked."""
    parts = [c.text if isinstance(c, Condition) else c for c in conditions]
    if include_inactive:
        parts.insert(0, "Active IN (true, false)")
    where = f" WHERE {' AND '.join(parts)}" if parts else ""
    return f"SELECT * FROM {entity}{where}"
