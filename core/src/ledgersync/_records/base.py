"""The ``Record`` base class, ``Reference``, and the converters and checks records share.

Converters only coerce (strip text, parse "12.50" into a Decimal). They never raise: a value
they cannot convert passes through unchanged, so that the record's check, which knows the record's
kind, MMS id and the field's path (``lines[2].quantity``), can refuse it with a ``RecordError``.
Checks run from ``__attrs_post_init__``; parents check their lines so errors name the line index.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import ClassVar, NoReturn, cast

import attrs

from ledgersync._errors import RecordError

from .currency import CURRENCY_MINOR_UNITS, smallest_unit

MAX_ID_LENGTH = 100
# QuickBooks' DocNumber (and PaymentRefNum) hold at most 21 characters.
MAX_DOC_NUMBER_LENGTH = 21
# Quantities, unit prices and percentages: finer than money, but bounded (the messages say 6).
MAX_RATE_PLACES = 6
# A sanity bound: no accounting system takes more, and it keeps Decimal arithmetic exact.
MAX_INTEGER_DIGITS = 18

# Wide enough that sums and quantity x rate of bounded values never round.
_EXACT = decimal.Context(prec=80, rounding=decimal.ROUND_HALF_UP)

Dimensions = tuple[tuple[str, str], ...]
"""Journal line dimensions as sorted ``(name, value)`` pairs; a JSON object in JSON."""


@attrs.frozen
class Reference:
    """Another record this one depends on: its kind, its MMS id, and the field naming it."""

    kind: str
    mms_id: str
    field: str


# ---------------------------------------------------------------------------------- converters


def to_text(value: str) -> str:
    """Strip surrounding whitespace."""
    raw: object = value
    return raw.strip() if isinstance(raw, str) else value


def to_optional_text(value: str | None) -> str | None:
    """Strip surrounding whitespace; a blank string means "not given" (None)."""
    raw: object = value
    if isinstance(raw, str):
        return raw.strip() or None
    return value


def to_currency_code(value: str) -> str:
    """Strip and upper-case, so "usd " is USD."""
    raw: object = value
    return raw.strip().upper() if isinstance(raw, str) else value


def to_decimal(value: Decimal | int | str) -> Decimal:
    """Decimal, int or numeric string to Decimal; anything else (a float) passes to the check."""
    raw: object = value
    if isinstance(raw, Decimal):
        return raw
    if isinstance(raw, int) and not isinstance(raw, bool):
        return Decimal(raw)
    if isinstance(raw, str):
        try:
            return Decimal(raw.strip())
        except decimal.InvalidOperation:
            pass
    return cast(Decimal, raw)


def to_optional_decimal(value: Decimal | int | str | None) -> Decimal | None:
    return None if value is None else to_decimal(value)


def to_dimensions(value: Mapping[str, str] | Iterable[tuple[str, str]]) -> Dimensions:
    """A mapping or (name, value) pairs to stripped pairs sorted by name (order carries nothing)."""
    raw: object = value
    try:
        pairs = list(raw.items() if isinstance(raw, Mapping) else cast(Iterable[object], raw))
        out = []
        for pair in pairs:
            name, val = cast(tuple[object, object], tuple(cast(Iterable[object], pair)))
            if not isinstance(name, str) or not isinstance(val, str):
                return cast(Dimensions, value)
            out.append((name.strip(), val.strip()))
        return tuple(sorted(out))
    except (TypeError, ValueError):
        return cast(Dimensions, value)


# ---------------------------------------------------------------------------------- checks


def fail(record: Record, path: str, problem: str) -> NoReturn:
    """Refuse ``record``: raise a RecordError naming its kind, its MMS id and ``path``."""
    mms_id: object = getattr(record, "mms_id", None)
    raise RecordError(
        record.kind, mms_id if isinstance(mms_id, str) and mms_id else None, path, problem
    )


def _type_name(value: object) -> str:
    return type(value).__name__


def check_text(
    record: Record, path: str, value: object, *, required: bool = True, max_length: int = 0
) -> None:
    """A string (non-blank when required), at most ``max_length`` characters when given."""
    if value is None:
        if required:
            fail(record, path, "is required")
        return
    if not isinstance(value, str):
        fail(record, path, f"expected a string, got {_type_name(value)}")
    if not value:
        fail(record, path, "must not be blank")
    if max_length and len(value) > max_length:
        fail(record, path, f"is {len(value)} characters long; at most {max_length} are allowed")


def check_id(record: Record, path: str, value: object, *, required: bool = True) -> None:
    """An MMS id: a non-blank string of at most 100 characters."""
    check_text(record, path, value, required=required, max_length=MAX_ID_LENGTH)


def check_bool(record: Record, path: str, value: object) -> None:
    if not isinstance(value, bool):
        fail(record, path, f"expected true or false, got {_type_name(value)}")


def check_count(record: Record, path: str, value: object) -> int:
    """A whole number of days or the like, zero or more."""
    if not isinstance(value, int) or isinstance(value, bool):
        fail(record, path, f"expected a whole number, got {_type_name(value)}")
    if value < 0:
        fail(record, path, "must not be negative")
    return value


def check_date(
    record: Record, path: str, value: object, *, required: bool = True
) -> datetime.date | None:
    if value is None and not required:
        return None
    # datetime is a subclass of date; a time of day would silently shift the books' day.
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        fail(record, path, f"expected a date, got {_type_name(value)}")
    return value


def check_currency(record: Record, path: str, value: object) -> int:
    """An ISO 4217 code; returns its minor units."""
    if not isinstance(value, str):
        fail(record, path, f"expected an ISO 4217 currency code, got {_type_name(value)}")
    if value not in CURRENCY_MINOR_UNITS:
        fail(record, path, f"unknown currency {value!r}; expected an ISO 4217 code such as USD")
    return CURRENCY_MINOR_UNITS[value]


def decimal_places(value: Decimal) -> int:
    """Significant decimal places: 12.50 has 1, 12.345 has 3, 100 has 0."""
    if value.is_zero():
        return 0
    _sign, digits, exponent = value.as_tuple()
    places = -int(exponent)
    index = len(digits) - 1
    # Trailing zeros carry no value ("12.5000" from a DECIMAL(19,4) column is 12.5).
    while places > 0 and digits[index] == 0:
        places -= 1
        index -= 1
    return max(places, 0)


def _check_decimal(record: Record, path: str, value: object, what: str) -> Decimal:
    if isinstance(value, float):
        fail(record, path, f"float is not allowed for {what}; pass a Decimal or a string")
    if not isinstance(value, Decimal):
        fail(record, path, f"expected a decimal number (Decimal, int or string), got {value!r}")
    if not value.is_finite():
        fail(record, path, f"must be a finite number, got {value}")
    if value.adjusted() >= MAX_INTEGER_DIGITS:
        fail(record, path, f"is too large: at most {MAX_INTEGER_DIGITS} digits before the point")
    return value


def check_money(
    record: Record, path: str, value: object, currency: str, *, signed: bool = False
) -> Decimal:
    """An amount with at most the currency's decimal places; unless ``signed``, not negative."""
    amount = _check_decimal(record, path, value, "money")
    places, allowed = decimal_places(amount), CURRENCY_MINOR_UNITS[currency]
    if places > allowed:
        problem = f"{amount} has {places} decimal places; {currency} allows at most {allowed}"
        fail(record, path, problem)
    if not signed and amount < 0:
        fail(record, path, f"must not be negative, got {amount}")
    return amount


def check_positive_money(record: Record, path: str, value: object, currency: str) -> Decimal:
    amount = check_money(record, path, value, currency)
    if amount == 0:
        fail(record, path, "must be greater than zero")
    return amount


def check_rate(
    record: Record, path: str, value: object, *, signed: bool = False, maximum: int = 0
) -> Decimal:
    """A quantity, unit price or percentage: up to six decimal places; unless ``signed``, >= 0."""
    number = _check_decimal(record, path, value, "quantities and rates")
    places = decimal_places(number)
    if places > MAX_RATE_PLACES:
        fail(record, path, f"{number} has {places} decimal places; at most 6 are allowed")
    if not signed and number < 0:
        fail(record, path, f"must not be negative, got {number}")
    if maximum and number > maximum:
        fail(record, path, f"must be at most {maximum}, got {number}")
    return number


# ---------------------------------------------------------------------------------- arithmetic


def round_to_currency(value: Decimal, currency: str) -> Decimal:
    """Round half-up to ``currency``'s minor units (the rule for quantity x rate)."""
    return value.quantize(smallest_unit(currency), context=_EXACT)


def multiply(a: Decimal, b: Decimal) -> Decimal:
    """``a * b`` without the default 28-digit context rounding it."""
    return _EXACT.multiply(a, b)


def exact_sum(values: Iterable[Decimal]) -> Decimal:
    total = Decimal(0)
    for value in values:
        total = _EXACT.add(total, value)
    return total


def unique_references(refs: Iterable[Reference | None]) -> tuple[Reference, ...]:
    """Drop Nones and repeats of the same (kind, mms_id), keeping the first field that named it."""
    seen: dict[tuple[str, str], Reference] = {}
    for ref in refs:
        if ref is not None:
            seen.setdefault((ref.kind, ref.mms_id), ref)
    return tuple(seen.values())


def ref(kind: str, mms_id: str | None, field: str) -> Reference | None:
    return None if mms_id is None else Reference(kind, mms_id, field)


# ---------------------------------------------------------------------------------- records


@attrs.frozen(kw_only=True)
class Record:
    """Base of every record: an MMS id, a kind, a content hash, and what it depends on."""

    kind: ClassVar[str] = "record"

    mms_id: str = attrs.field(converter=to_text)

    def __attrs_post_init__(self) -> None:
        check_id(self, "mms_id", self.mms_id)
        self._check()

    def _check(self) -> None:
        """Check the fields beyond mms_id; subclasses call super() first."""

    def content_hash(self) -> str:
        """sha256 hex of the record's canonical JSON; any change of content changes it."""
        from .codec import content_hash  # the codec imports the record modules

        return content_hash(self)

    def references(self) -> tuple[Reference, ...]:
        """The other records this one depends on, each (kind, mms_id) once."""
        return ()

    def document_date(self) -> datetime.date | None:
        """The date the record is booked on; None for reference data."""
        return None

    def customer_mms_id(self) -> str | None:
        """The member whose receivable balance this record touches, if any."""
        return None


@attrs.frozen(kw_only=True)
class Transaction(Record):
    """Base of the documents that post to the books: dated, in one currency, voidable."""

    txn_date: datetime.date
    currency: str = attrs.field(converter=to_currency_code)
    voided: bool = False

    def _check(self) -> None:
        check_date(self, "txn_date", self.txn_date)
        check_currency(self, "currency", self.currency)
        check_bool(self, "voided", self.voided)

    def document_date(self) -> datetime.date:
        return self.txn_date

    def total(self) -> Decimal:
        """The document's total in its currency."""
        raise NotImplementedError
