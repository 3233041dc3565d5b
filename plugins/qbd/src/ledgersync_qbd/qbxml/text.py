"""What characters and lengths QuickBooks Desktop takes, decided before anything is sent.

QuickBooks stores text as ISO-8859-1: other characters fail to parse, or are stored as "?".
Rather than let QuickBooks mangle a name, every value goes through :func:`clean`:

* typographic punctuation becomes its plain equivalent (curly quotes, dashes, ellipses);
* letters outside ISO-8859-1 lose their accent when that makes them fit (ő → o, ł → l);
* control characters become spaces;
* anything still outside ISO-8859-1 is refused for identifying fields (a customer name must
  stay recognisable) and replaced by "?" with a warning elsewhere (a description).

Lengths are the qbXML 13.0 ``maxLength`` values. A value that is too long is
never cut: the item needs a person, with a remedy naming the field, its length and the limit.
"""

from __future__ import annotations

import unicodedata

from ..errors import QbdValidationError

_PLAIN = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u2026": "...", "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ",
    "\u200b": "", "\ufeff": "", "\u20ac": "EUR", "\u0141": "L", "\u0142": "l",
    "\u0152": "OE", "\u0153": "oe", "\u2022": "*",
})


def _fits(char: str) -> bool:
    return ord(char) < 256


def _transliterate(char: str) -> str | None:
    """``char`` made to fit ISO-8859-1 by dropping accents, or None when impossible."""
    if _fits(char):
        return char
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if base and all(_fits(c) for c in base):
        return base
    return None


def clean(value: str, *, what: str, identifying: bool, warnings: list[str]) -> str:
    """``value`` as QuickBooks can store it (see the module docstring).

    ``what`` names the field for messages ("member 'M-1' display name"). Raises
    :class:`QbdValidationError` when an identifying value cannot be made to fit.
    """
    if value.isascii() and value.isprintable():
        # Printable ASCII (most values) is what _clean_each leaves as it is: NFC and the
        # table change no ASCII character, and none of them is a control character.
        return value.strip()
    return _clean_each(value, what=what, identifying=identifying, warnings=warnings)


def _clean_each(value: str, *, what: str, identifying: bool, warnings: list[str]) -> str:
    """:func:`clean`, character by character."""
    text = unicodedata.normalize("NFC", value).translate(_PLAIN)
    out: list[str] = []
    lost: list[str] = []
    for char in text:
        if char in "\t\n":
            out.append(" " if identifying else char)
        elif unicodedata.category(char) == "Cc":
            out.append(" ")
        else:
            fitted = _transliterate(char)
            if fitted is None:
                lost.append(char)
                out.append("?")
            else:
                out.append(fitted)
    result = "".join(out).strip()
    if lost:
        chars = "".join(dict.fromkeys(lost))
        if identifying:
            raise QbdValidationError(
                f"{what} {value!r} has characters QuickBooks Desktop cannot store ({chars})",
                remedy="QuickBooks Desktop keeps names in ISO-8859-1 (Western European "
                "letters). Give the record a name written in those letters in the MMS, "
                "then record it again",
            )
        warnings.append(f"{what}: characters QuickBooks cannot store were written as '?' "
                        f"({chars})")
    return result


def check_length(value: str, limit: int, *, what: str, field: str) -> str:
    """``value`` unchanged, or a refusal naming the field, the length and the limit."""
    if len(value) > limit:
        raise QbdValidationError(
            f"{what}: {field} {value!r} is {len(value)} characters long; QuickBooks Desktop "
            f"takes at most {limit}",
            remedy=f"Shorten it in the MMS to at most {limit} characters and record it again "
            "(ledgersync never cuts a value: QuickBooks would keep a different one)",
        )
    return value


def fit(value: str, limit: int, *, what: str, field: str, identifying: bool,
        warnings: list[str]) -> str:
    """:func:`clean` then :func:`check_length`: the one call builders make per text value."""
    return check_length(clean(value, what=f"{what} {field}", identifying=identifying,
                              warnings=warnings), limit, what=what, field=field)
