"""Records to and from JSON, and the registry of record kinds.

In JSON a record is an object whose ``"kind"`` key picks the class. Decimals are strings that
keep their scale ("12.50"), dates are ISO strings, enums their values, absent optionals ``null``.
Reading is strict: an unknown field, a string where a number belongs or a Python float where
money belongs is refused with a ``RecordError`` naming the field's path, never silently coerced.
JSON text read with ``json.loads(text, parse_float=Decimal)`` (as `ledgersync ingest` does) turns
a number such as ``450.10`` into the exact ``Decimal("450.10")``, which is accepted: only a
binary float, whose value is already rounded, is refused.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any, get_args, get_origin

import attrs
import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn

from ledgersync._errors import RecordError

from .base import Dimensions, Record
from .reference import AccountType, GLAccount, Item, Member, TaxRate, Terms
from .transactions import CreditMemo, Invoice, JournalEntry, Payment, Refund

RECORD_TYPES: Mapping[str, type[Record]] = MappingProxyType(
    {
        cls.kind: cls
        for cls in (
            Member,
            Item,
            GLAccount,
            TaxRate,
            Terms,
            Invoice,
            Payment,
            CreditMemo,
            Refund,
            JournalEntry,
        )
    }
)

_converter = cattrs.Converter(forbid_extra_keys=True)


# ---------------------------------------------------------------------------------- writing

_converter.register_unstructure_hook(Decimal, str)
_converter.register_unstructure_hook(datetime.date, datetime.date.isoformat)
_converter.register_unstructure_hook(AccountType, lambda value: value.value)
_converter.register_unstructure_hook_func(lambda t: t == Dimensions, dict)


def record_to_json(record: Record) -> dict[str, Any]:
    """The record as a JSON-ready dict, ``"kind"`` first."""
    body: dict[str, Any] = _converter.unstructure(record, type(record))
    return {"kind": record.kind, **body}


def canonical_json(record: Record) -> str:
    """The record's JSON with sorted keys and no whitespace: what ``content_hash`` hashes."""
    return json.dumps(
        record_to_json(record), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def content_hash(record: Record) -> str:
    return hashlib.sha256(canonical_json(record).encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------- reading


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _strict(kind: type, what: str) -> Callable[[Any, Any], Any]:
    """Accept only values already of ``kind`` (cattrs would call str(5) or bool("no"))."""

    def structure(value: Any, _type: Any) -> Any:
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise TypeError(f"expected {what}, got {_type_name(value)}")
        return value

    return structure


def _structure_date(value: Any, _type: Any) -> datetime.date:
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    if not isinstance(value, str):
        raise TypeError(f"expected a date as YYYY-MM-DD, got {_type_name(value)}")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a valid date; expected YYYY-MM-DD") from None


def _structure_account_type(value: Any, _type: Any) -> AccountType:
    try:
        return AccountType(value)
    except ValueError:
        choices = ", ".join(t.value for t in AccountType)
        raise ValueError(f"unknown account type {value!r}; one of {choices}") from None


def _structure_dimensions(value: Any, _type: Any) -> Dimensions:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise TypeError("expected an object of dimension name to value, both strings")
    return tuple(sorted(value.items()))


def _is_homogeneous_tuple(t: Any) -> bool:
    args = get_args(t)
    return get_origin(t) is tuple and len(args) == 2 and args[1] is Ellipsis


def _tuple_hook(t: Any) -> Callable[[Any, Any], Any]:
    """A JSON array to a tuple; a string or object is refused, not iterated."""
    item_type = get_args(t)[0]

    def structure(value: Any, _type: Any) -> tuple[Any, ...]:
        if not isinstance(value, list | tuple):
            raise TypeError(f"expected an array, got {_type_name(value)}")
        items, errors = [], []
        for index, item in enumerate(value):
            try:
                items.append(_converter.structure(item, item_type))
            except Exception as exc:  # noqa: BLE001 - collected, like cattrs does, to report every item
                exc.add_note(IterableValidationNote(f"@ index {index}", index, item_type))
                errors.append(exc)
        if errors:
            raise IterableValidationError(f"While structuring {t}", errors, t)
        return tuple(items)

    return structure


def _object_hook(cls: type) -> Callable[[Any, Any], Any]:
    """A JSON object to an attrs class; anything else gets a plain message, not a KeyError."""
    inner: Callable[[Any, Any], Any] = make_dict_structure_fn(cls, _converter)

    def structure(value: Any, _type: Any) -> Any:
        if not isinstance(value, Mapping):
            raise TypeError(f"expected an object, got {_type_name(value)}")
        return inner(value, cls)

    return structure


_converter.register_structure_hook(str, _strict(str, "a string"))
_converter.register_structure_hook(bool, _strict(bool, "true or false"))
_converter.register_structure_hook(int, _strict(int, "a whole number"))
# Money and quantities pass through untouched: the record accepts Decimal, int and str and
# refuses a float with the same message whether it came from JSON or from Python.
_converter.register_structure_hook(Decimal, lambda value, _type: value)
_converter.register_structure_hook(datetime.date, _structure_date)
_converter.register_structure_hook(AccountType, _structure_account_type)
_converter.register_structure_hook_factory(attrs.has, _object_hook)
_converter.register_structure_hook_factory(_is_homogeneous_tuple, _tuple_hook)
# Registered last so it wins over the generic tuple hook.
_converter.register_structure_hook_func(lambda t: t == Dimensions, _structure_dimensions)


def _first_problem(exc: BaseException, path: str) -> tuple[BaseException, str, str]:
    """Walk cattrs' nested exception groups to the first leaf: it, its field path, its problem."""
    if isinstance(exc, BaseExceptionGroup):
        sub = exc.exceptions[0]
        return _first_problem(sub, path + _path_step(sub))
    if isinstance(exc, ForbiddenExtraKeysError):
        extra = sorted(exc.extra_fields)
        names = ", ".join(repr(name) for name in extra)
        return exc, _join(path, extra[0]), f"unknown field(s) {names}"
    if isinstance(exc, KeyError):
        return exc, path, "is required"
    return exc, path, str(exc)


def _path_step(exc: BaseException) -> str:
    for note in getattr(exc, "__notes__", ()):
        if isinstance(note, AttributeValidationNote):
            return f".{note.name}"
        if isinstance(note, IterableValidationNote):
            return f"[{note.index}]"
    return ""


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def record_from_json(data: Mapping[str, Any]) -> Record:
    """Build the record ``data`` describes; a RecordError names the kind, MMS id and field."""
    raw: object = data
    if type(raw) is not dict and not isinstance(raw, Mapping):
        raise RecordError("record", None, "$", f"expected a JSON object, got {_type_name(raw)}")
    given_id = raw.get("mms_id")
    mms_id = given_id.strip() or None if isinstance(given_id, str) else None
    kind = raw.get("kind")
    if kind is None:
        raise RecordError("record", mms_id, "kind",
                          f"is required; one of {', '.join(RECORD_TYPES)}")
    cls = RECORD_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        label = kind if isinstance(kind, str) and kind else "record"
        raise RecordError(label, mms_id, "kind",
                          f"unknown kind {kind!r}; one of {', '.join(RECORD_TYPES)}")
    body = dict(raw)  # the fields in their order, without "kind"
    del body["kind"]
    try:
        record: Record = _converter.structure(body, cls)
    except Exception as exc:
        leaf, field, problem = _first_problem(exc, "")
        if isinstance(leaf, RecordError):
            # The record's own check refused it once built: that error already says it all.
            raise leaf from None
        raise RecordError(cls.kind, mms_id, field.lstrip(".") or "$", problem) from exc
    return record
