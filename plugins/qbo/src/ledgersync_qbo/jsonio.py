"""JSON with :class:`~decimal.Decimal` money: parse floats as Decimal, emit Decimals as numbers."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

__all__ = ["JSONError", "dumps", "loads"]

_encode_str = json.encoder.encode_basestring  # C-accelerated string quoting


class JSONError(ValueError):
    """The body is not valid JSON."""


def _reject_constant(name: str) -> Any:
    raise JSONError(f"invalid JSON constant {name}")


def loads(data: bytes | str) -> Any:
    """Parse JSON; every non-integer number becomes a ``Decimal`` (never a float)."""
    try:
        return json.loads(data, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise JSONError(str(exc)) from exc
    except ArithmeticError:  # decimal.InvalidOperation: an exponent past Decimal's range
        raise JSONError("a number is out of range") from None
    except RecursionError:
        raise JSONError("nested too deeply") from None


def _encode(obj: Any, out: list[str]) -> None:
    if isinstance(obj, str):
        out.append(_encode_str(obj))
    elif obj is None:
        out.append("null")
    elif obj is True:
        out.append("true")
    elif obj is False:
        out.append("false")
    elif isinstance(obj, Decimal):
        if not obj.is_finite():
            raise ValueError(f"cannot encode {obj!r} as JSON")
        out.append(format(obj, "f"))
    elif isinstance(obj, int):
        out.append(str(int(obj)))
    elif isinstance(obj, float):
        out.append(repr(obj))
    elif isinstance(obj, dict):
        out.append("{")
        first = True
        for key, value in obj.items():
            if not first:
                out.append(",")
            first = False
            out.append(_encode_str(str(key)))
            out.append(":")
            _encode(value, out)
        out.append("}")
    elif isinstance(obj, list | tuple):
        out.append("[")
        for i, value in enumerate(obj):
            if i:
                out.append(",")
            _encode(value, out)
        out.append("]")
    else:
        raise TypeError(f"cannot encode {type(obj).__name__} as JSON")


def dumps(obj: Any) -> bytes:
    """Serialize to compact UTF-8 JSON; ``Decimal('177.00')`` is written as ``177.00``."""
    out: list[str] = []
    _encode(obj, out)
    return "".join(out).encode("utf-8")
