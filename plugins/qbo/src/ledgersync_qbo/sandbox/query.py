"""The QBO query language: parser and in-memory executor.

``SELECT * | COUNT(*) FROM Entity [WHERE c AND c ...] [ORDERBY f [ASC|DESC], ...]
[STARTPOSITION n] [MAXRESULTS n]``; conditions ``f = | < | > | <= | >= | LIKE v`` and
``f IN (v, ...)``; no OR, joins or projections. Keywords, names and values are
case-insensitive; strings are single-quoted with ``\\'`` escapes; ``LIKE`` knows only ``%``.
Malformed queries -> fault 4000 (QueryParserError), bad entity/field -> 4001.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from . import faults
from .entities import EntitySpec, spec_for_name

__all__ = ["Condition", "Query", "execute", "parse", "resolve_entity"]

Obj = dict[str, Any]
Literal_ = str | Decimal | bool

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>'(?:\\.|[^'\\])*')
  | (?P<number>-?\d+(?:\.\d+)?(?![\w.]))
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),*])
  | (?P<ident>[A-Za-z_][\w.]*)
""", re.VERBOSE)
_KEYWORDS = {"select", "from", "where", "and", "or", "in", "like", "orderby", "order", "by",
             "asc", "desc", "startposition", "maxresults", "count", "true", "false"}
_NOT_QUERYABLE = frozenset({"privatenote", "description", "line"})
# Date fields compare as dates: their values must be quoted ``YYYY-MM-DD`` strings.
_DATE_FIELDS = frozenset({"txndate", "duedate"})
_NAME_LISTS_WITH_ACTIVE = ("name", "ref")


@dataclass(frozen=True)
class Token:
    kind: str  # ident, keyword, string, number, op, punct, eof
    text: str
    value: Any
    column: int


@dataclass(frozen=True)
class Condition:
    field: str
    op: str  # =, <, >, <=, >=, like, in
    values: tuple[Literal_, ...]


@dataclass
class Query:
    entity: str
    count: bool = False
    where: list[Condition] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    start: int = 1
    max_results: int | None = None


def _tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise faults.query_parse_error(
                f"Invalid content. Lexical error at line 1, column {pos + 1}.  "
                f"Encountered: \"{text[pos]}\" ({ord(text[pos])}), after : \"\"")
        kind = match.lastgroup or "ws"
        raw = match.group()
        if kind == "string":
            tokens.append(Token("string", raw, re.sub(r"\\(.)", r"\1", raw[1:-1]), pos + 1))
        elif kind == "number":
            tokens.append(Token("number", raw, Decimal(raw), pos + 1))
        elif kind == "ident" and raw.lower() in _KEYWORDS:
            tokens.append(Token("keyword", raw.lower(), raw.lower(), pos + 1))
        elif kind != "ws":
            tokens.append(Token(kind, raw, raw, pos + 1))
        pos = match.end()
    tokens.append(Token("eof", "<EOF>", None, len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0

    def peek(self) -> Token:
        return self.tokens[self.pos]

    def next(self) -> Token:
        token = self.tokens[self.pos]
        self.pos = min(self.pos + 1, len(self.tokens) - 1)
        return token

    def fail(self, expected: Iterable[str]) -> faults.QBOFault:
        token = self.peek()
        shown = "<EOF>" if token.kind == "eof" else f" \"{token.text} \""
        wanted = "\n    ".join(expected)
        return faults.query_parse_error(
            f"Encountered \"{shown}\" at line 1, column {token.column}.\n"
            f"Was expecting one of:\n    {wanted}\n    ")

    def keyword(self, *words: str) -> str:
        token = self.peek()
        if token.kind == "keyword" and token.value in words:
            self.next()
            return str(token.value)
        raise self.fail(f'"{w}" ...' for w in words)

    def punct(self, char: str) -> None:
        if self.peek().text != char:
            raise self.fail([f'"{char}" ...'])
        self.next()

    def ident(self) -> str:
        token = self.peek()
        if token.kind != "ident":
            raise self.fail(["<IDENTIFIER> ..."])
        self.next()
        return token.text

    def literal(self) -> Literal_:
        token = self.next()
        if token.kind == "string":
            return str(token.value)
        if token.kind == "number":
            return Decimal(token.value)
        if token.kind == "keyword" and token.value in ("true", "false"):
            return bool(token.value == "true")
        self.pos -= 1
        raise self.fail(["<STRING> ...", "<NUMBER> ...", '"true" ...', '"false" ...'])

    def integer(self) -> int:
        token = self.next()
        if token.kind == "number" and token.value == token.value.to_integral_value():
            return int(token.value)
        if token.kind == "string" and token.value.strip().isdigit():
            return int(token.value)
        self.pos -= 1
        raise self.fail(["<INTEGER> ..."])

    def parse(self) -> Query:
        self.keyword("select")
        count = False
        if self.peek().text == "*":
            self.next()
            # "SELECT *, Sku FROM Item": QBO accepts extra fields after "*" (python-quickbooks
            # sends exactly this); "*" already answers every field the sandbox keeps.
            while self.peek().text == ",":
                self.next()
                self.ident()
        elif self.peek().kind == "keyword" and self.peek().value == "count":
            self.next()
            self.punct("(")
            self.punct("*")
            self.punct(")")
            count = True
        else:
            raise self.fail(['"*" ...', '"count" ...'])
        self.keyword("from")
        query = Query(entity=self.ident(), count=count)
        if self.peek().value == "where":
            self.next()
            query.where.append(self.condition())
            while self.peek().value in ("and", "or"):
                if self.peek().value == "or":
                    raise self.fail(['"and" ...', '"orderby" ...', '"startposition" ...',
                                     '"maxresults" ...'])
                self.next()
                query.where.append(self.condition())
        if self.peek().value in ("orderby", "order"):
            if self.next().value == "order":
                self.keyword("by")
            query.order.append(self.order_item())
            while self.peek().text == ",":
                self.next()
                query.order.append(self.order_item())
        seen: set[str] = set()
        while self.peek().value in ("startposition", "maxresults") and \
                self.peek().value not in seen:
            word = self.keyword("startposition", "maxresults")
            seen.add(word)
            if word == "startposition":
                query.start = max(self.integer(), 1)
            else:
                query.max_results = self.integer()
        if self.peek().kind != "eof":
            raise self.fail(["<EOF>", '"and" ...', '"orderby" ...', '"startposition" ...',
                             '"maxresults" ...'])
        return query

    def condition(self) -> Condition:
        name = self.ident()
        token = self.peek()
        if token.kind == "op" and token.text in ("=", "<", ">", "<=", ">="):
            self.next()
            return Condition(name, token.text, (self.literal(),))
        if token.kind == "keyword" and token.value == "like":
            self.next()
            value = self.literal()
            if not isinstance(value, str):
                raise self.fail(["<STRING> ..."])
            return Condition(name, "like", (value,))
        if token.kind == "keyword" and token.value == "in":
            self.next()
            self.punct("(")
            values = [self.literal()]
            while self.peek().text == ",":
                self.next()
                values.append(self.literal())
            self.punct(")")
            return Condition(name, "in", tuple(values))
        raise self.fail(['"=" ...', '"<" ...', '">" ...', '"<=" ...', '">=" ...',
                         '"in" ...', '"like" ...'])

    def order_item(self) -> tuple[str, bool]:
        name = self.ident()
        descending = False
        if self.peek().value in ("asc", "desc"):
            descending = self.next().value == "desc"
        return name, descending


def parse(text: str) -> Query:
    if not text or not text.strip():
        raise faults.query_parse_error(
            'Encountered "<EOF>" at line 0, column 0.\nWas expecting:\n    "select" ...\n    ')
    return _Parser(text.strip()).parse()


# ----------------------------------------------------------------- execution


def _lookup(obj: Obj, path: str) -> Any:
    current: Any = obj
    for part in path.split("."):
        if not isinstance(current, dict):
            return None
        key = part if part in current else next(
            (k for k in current if k.lower() == part.lower()), None)
        if key is None:
            return None
        current = current[key]
    if isinstance(current, dict) and "value" in current:
        return current["value"]  # references compare by id
    if isinstance(current, dict) and "Address" in current:
        return current["Address"]  # PrimaryEmailAddr = 'x' compares the address
    if isinstance(current, dict) and "FreeFormNumber" in current:
        return current["FreeFormNumber"]  # phones likewise
    return current


def _sortable(value: Any) -> tuple[int, Any]:
    if value is None:
        return (9, 0)
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, Decimal | int):
        return (1, Decimal(value))
    text = str(value)
    if text.isdigit():
        return (1, Decimal(text))
    if len(text) >= 19 and text[4] == "-" and text[10] == "T":
        try:
            return (2, datetime.fromisoformat(text).timestamp())
        except ValueError:
            pass
    return (3, text.casefold())


def _matches(actual: Any, cond: Condition) -> bool:
    if actual is None:
        return False
    if cond.op == "in":
        return any(_compare(actual, "=", v) for v in cond.values)
    if cond.op == "like":
        pattern = "".join(".*" if c == "%" else re.escape(c) for c in str(cond.values[0]))
        return re.fullmatch(pattern, str(actual), re.IGNORECASE | re.DOTALL) is not None
    return _compare(actual, cond.op, cond.values[0])


def _compare(actual: Any, op: str, expected: Literal_) -> bool:
    left: Any
    right: Any
    if isinstance(actual, bool):
        left, right = actual, (expected if isinstance(expected, bool)
                               else str(expected).lower() == "true")
        if op != "=":
            return False
    elif isinstance(actual, Decimal | int):
        try:
            left, right = Decimal(actual), Decimal(str(expected))
        except InvalidOperation:
            return False
    else:
        left_key, right_key = _sortable(actual), _sortable(expected)
        if left_key[0] != right_key[0]:
            left_key, right_key = (3, str(actual).casefold()), (3, str(expected).casefold())
        left, right = left_key[1], right_key[1]
    if op == "=":
        return bool(left == right)
    if op == "<":
        return bool(left < right)
    if op == ">":
        return bool(left > right)
    if op == "<=":
        return bool(left <= right)
    return bool(left >= right)


def _sort_key(name: str) -> Callable[[Obj], tuple[int, Any]]:
    return lambda row: _sortable(_lookup(row, name))


def execute(query: Query, rows: Iterable[Obj], spec: EntitySpec, *, default_max: int,
            hard_max: int) -> Obj:
    """Run a parsed query over ``rows``; returns the ``QueryResponse`` object."""
    for cond in query.where:
        if cond.field.lower() in _NOT_QUERYABLE:
            raise faults.query_validation_error(f"property '{cond.field}' is not queryable")
        if cond.field.lower() in _DATE_FIELDS:
            for value in cond.values:
                _check_date(cond.field, value)
    conditions = list(query.where)
    if spec.kind in _NAME_LISTS_WITH_ACTIVE and not any(
            c.field.lower() == "active" for c in conditions):
        conditions.append(Condition("Active", "=", (True,)))
    selected = [row for row in rows
                if all(_matches(_lookup(row, c.field), c) for c in conditions)]
    if query.count:
        return {"totalCount": len(selected)}
    order = query.order or [("Id", False)]
    for name, descending in reversed(order):
        selected.sort(key=_sort_key(name), reverse=descending)
    limit = min(query.max_results if query.max_results is not None else default_max, hard_max)
    page = selected[query.start - 1: query.start - 1 + max(limit, 0)]
    if not page:
        return {}
    return {spec.name: page, "startPosition": query.start, "maxResults": len(page)}


def _check_date(name: str, value: Literal_) -> None:
    if isinstance(value, str) and len(value) == 10:
        try:
            date.fromisoformat(value)
            return
        except ValueError:
            pass
    raise faults.query_validation_error(
        f"invalid date {value!r} for property '{name}': use a quoted 'YYYY-MM-DD'")


def resolve_entity(query: Query) -> EntitySpec:
    spec = spec_for_name(query.entity)
    if spec is None:
        raise faults.query_validation_error(f"Invalid entity: {query.entity}")
    return spec
