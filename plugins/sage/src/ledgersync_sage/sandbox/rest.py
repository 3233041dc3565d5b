"""The sandbox's REST API (``/ia/api/v1``): OAuth 2.0 tokens, journal entries, customers and
the core query service, over the same books and rules as the XML gateway.

- ``POST /oauth2/token``: ``client_credentials`` for a registered client, or
  ``refresh_token``. Sage does not document whether a refresh token is single-use; the sandbox
  rotates by default (the strict case: a spent refresh token is refused with HTTP 400
  ``invalid_grant``, the answer integrators report for a dead refresh token, e.g. Nango's
  "Sage Intacct OAuth error: Token is not valid", 2026). ``RestConfig.rotate_refresh_tokens =
  False`` keeps the refresh token valid across refreshes instead;
- a missing, unknown or expired bearer token is HTTP 401 with an ``ia::error``;
- ``X-IA-API-Param-Entity`` must name a location (entity) of the company;
- ``POST /objects/general-ledger/journal-entry`` (tests/data/20): ``glJournal``,
  ``postingDate``, ``description`` and two ``lines`` at least, ``txnType`` debit or credit,
  ``state`` only ``draft`` or ``posted``; unknown fields are refused; refusals answer 400 in
  the shape of tests/data/21;
- ``POST /services/core/query``: ``object``, ``fields``, ``filters`` (``$eq``, ``$lte``),
  ``start`` (1-based), ``size`` (at most 4000).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import attrs

from .books import Books, Refusal

PREFIX = "/ia/api/v1"
Answer = tuple[int, bytes, dict[str, str]]
_JE_FIELDS = {"glJournal", "postingDate", "description", "referenceNumber", "lines", "state"}
_LINE_FIELDS = {"txnType", "txnAmount", "glAccount", "description", "dimensions",
                "customFields"}
_DIMENSIONS = {"location": "LOCATION", "department": "DEPARTMENT", "class": "CLASSID",
               "project": "PROJECTID", "customer": "CUSTOMERID"}


@attrs.define
class RestConfig:
    #: client id -> (client secret, company id).
    clients: dict[str, tuple[str, str]] = attrs.field(
        factory=lambda: {"ls-client": ("ls-client-secret", "HARBORCLUB")})
    token_seconds: float = 3600.0
    #: A refresh answers a new refresh token and the spent one is refused (see the module
    #: docstring: undocumented by Sage, so both behaviours can be tried).
    rotate_refresh_tokens: bool = True


@attrs.define
class _Token:
    company: str
    client: str
    expires: dt.datetime


def _json(status: int, data: Any) -> Answer:
    return status, json.dumps(data).encode(), {"Content-Type": "application/json"}


def ia_error(status: int, message: str, details: Sequence[tuple[str, str, str]] = (),
             code: str = "operationFailed") -> Answer:
    return _json(status, {"ia::result": {"ia::error": {
        "code": code, "message": message, "errorId": "REST-7001",
        "supportId": secrets.token_hex(6),
        "details": [{"errorId": e, "code": c, "message": m} for e, c, m in details]}},
        "ia::meta": {"totalCount": 1, "totalSuccess": 0, "totalError": 1}})


class RestApi:
    def __init__(self, books: dict[str, Books], config: RestConfig | None = None, *,
                 clock: Callable[[], dt.datetime] | None = None) -> None:
        self.books = books
        self.config = config or RestConfig()
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.tokens: dict[str, _Token] = {}
        self.refresh_tokens: dict[str, str] = {}  # refresh token -> client id
        self.codes: dict[str, str] = {}  # authorization code -> client id (single use)
        #: Token requests answered (the single-flight tests count them).
        self.token_requests = 0

    def expire_tokens(self) -> None:
        for token in self.tokens.values():
            token.expires = self.clock() - dt.timedelta(seconds=1)

    def issue_code(self, client: str) -> str:
        """What the authorize page redirects with after the administrator's consent."""
        code = secrets.token_urlsafe(12)
        self.codes[code] = client
        return code

    def issue_refresh_token(self, client: str) -> str:
        """What the authorization-code flow would hand over after the user's consent."""
        token = secrets.token_urlsafe(24)
        self.refresh_tokens[token] = client
        return token

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        route = path[len(PREFIX):] if path.startswith(PREFIX) else path
        if route == "/oauth2/token" and method == "POST":
            return self._token(body)
        auth = headers.get("authorization", "")
        token = self.tokens.get(auth.removeprefix("Bearer ").strip()) if auth.startswith(
            "Bearer ") else None
        if token is None or token.expires <= self.clock():
            return ia_error(401, "Invalid or expired access token", code="unauthorized")
        books = self.books[token.company]
        entity = headers.get("x-ia-api-param-entity") or None
        if entity is not None and entity not in books.dimensions["LOCATION"]:
            return ia_error(400, f"Invalid entity '{entity}'", code="invalidRequest")
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            return ia_error(400, "The request body is not valid JSON", code="invalidRequest")
        try:
            if route == "/objects/general-ledger/journal-entry" and method == "POST":
                batch = books.post(_glbatch(data), controlid="", entity=entity)
                return _json(201, {"ia::result": {"key": str(batch.record_no),
                                                  "id": str(batch.record_no)}})
            if route.startswith("/objects/general-ledger/journal-entry/") and method == "PATCH":
                key = route.rsplit("/", 1)[1]
                if not key.isdigit() or int(key) not in books.batches:
                    return ia_error(404, f"journal-entry {key} not found", code="notFound")
                books.post(_glbatch(data), controlid="", entity=entity, record_no=int(key))
                return _json(200, {"ia::result": {"key": key}})
            if route == "/objects/accounts-receivable/customer" and method == "POST":
                node = ET.Element("CUSTOMER")
                ET.SubElement(node, "CUSTOMERID").text = str(data.get("id") or "")
                ET.SubElement(node, "NAME").text = str(data.get("name") or "")
                created = books.create_customer(node)
                return _json(201, {"ia::result": {"key": created["RECORDNO"],
                                                  "id": created["CUSTOMERID"]}})
            if route == "/services/core/query" and method == "POST":
                return self._query(books, data)
        except Refusal as refusal:
            return ia_error(400, f"{method} request on {route.strip('/')} was unsuccessful",
                            [("GL-0951", "unableToCreateRecordError", text)
                             for _, text, _ in refusal.errors])
        return ia_error(404, f"No route {method} {route}", code="notFound")

    def _token(self, body: bytes) -> Answer:
        self.token_requests += 1
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        client = form.get("client_id", "")
        registered = self.config.clients.get(client)
        if registered is None or registered[0] != form.get("client_secret"):
            return _json(401, {"error": "invalid_client",
                               "error_description": "unknown client or wrong secret"})
        grant = form.get("grant_type")
        refresh = None
        if grant == "refresh_token":
            sent = form.get("refresh_token", "")
            if self.refresh_tokens.get(sent) != client:
                return _json(400, {"error": "invalid_grant",
                                   "error_description": "refresh token unknown or spent"})
            if self.config.rotate_refresh_tokens:
                del self.refresh_tokens[sent]
                refresh = self.issue_refresh_token(client)
            else:
                refresh = sent
        elif grant == "authorization_code":
            if self.codes.pop(form.get("code", ""), None) != client:
                return _json(400, {"error": "invalid_grant",
                                   "error_description": "authorization code unknown or used"})
            refresh = self.issue_refresh_token(client)
        elif grant != "client_credentials":
            return _json(400, {"error": "unsupported_grant_type"})
        access = secrets.token_urlsafe(24)
        self.tokens[access] = _Token(registered[1], client, self.clock() + dt.timedelta(
            seconds=self.config.token_seconds))
        answer: dict[str, Any] = {"access_token": access, "token_type": "Bearer",
                                  "expires_in": int(self.config.token_seconds)}
        if refresh:
            answer["refresh_token"] = refresh
        return _json(200, answer)

    def _query(self, books: Books, data: dict[str, Any]) -> Answer:
        obj = data.get("object")
        rows = _rows(books, str(obj))
        if rows is None:
            return ia_error(400, f"Unknown object {obj!r}", code="invalidRequest")
        fields = list(data.get("fields") or [])
        known = set(rows[0]) if rows else set(_FIELDS.get(str(obj), ()))
        named = fields + [field for condition in data.get("filters") or []
                          for pair in condition.values() for field in pair]
        unknown = sorted({f for f in named if f not in known}) if known else []
        if unknown:
            return ia_error(400, f"Unknown field(s) {', '.join(unknown)} for {obj}",
                            code="invalidRequest")
        size = int(data.get("size") or 100)
        start = int(data.get("start") or 1)
        if not 1 <= size <= 4000 or start < 1:
            return ia_error(400, "size must be 1 to 4000 and start at least 1",
                            code="invalidRequest")
        for condition in data.get("filters") or []:
            (op, pair), = condition.items()
            (field, value), = pair.items()
            if op == "$eq":
                rows = [r for r in rows if str(r.get(field)) == str(value)]
            elif op == "$lte":
                rows = [r for r in rows if str(r.get(field)) <= str(value)]
            else:
                return ia_error(400, f"Unsupported filter {op}", code="invalidRequest")
        page = rows[start - 1:start - 1 + size]
        following = start + size if start - 1 + size < len(rows) else None
        return _json(200, {"ia::result": [{f: r.get(f) for f in fields} for r in page],
                           "ia::meta": {"totalCount": len(rows), "start": start,
                                        "pageSize": size, "next": following}})


def _glbatch(data: dict[str, Any]) -> ET.Element:
    """The JSON journal entry as the GLBATCH the books check (same rules for both APIs)."""
    unknown = sorted(set(data) - _JE_FIELDS)
    if unknown:
        raise Refusal(("BL01001973", f"Unknown field(s) {', '.join(unknown)}", ""))
    state = data.get("state", "posted")
    if state not in ("posted", "draft"):
        raise Refusal(("BL01001973", f"state on create is posted or draft, not {state!r}",
                       ""))
    node = ET.Element("GLBATCH")
    journal = (data.get("glJournal") or {}).get("id", "")
    try:
        day = dt.date.fromisoformat(str(data.get("postingDate", "")))
    except ValueError:
        raise Refusal(("BL01001973", "postingDate must be YYYY-MM-DD", "")) from None
    for tag, value in (("JOURNAL", journal), ("BATCH_DATE", f"{day:%m/%d/%Y}"),
                       ("BATCH_TITLE", data.get("description") or ""),
                       ("REFERENCENO", data.get("referenceNumber")),
                       ("STATE", "Draft" if state == "draft" else "Posted")):
        if value is not None:
            ET.SubElement(node, tag).text = str(value)
    entries = ET.SubElement(node, "ENTRIES")
    for line in data.get("lines") or []:
        unknown = sorted(set(line) - _LINE_FIELDS)
        if unknown:
            raise Refusal(("BL01001973", f"Unknown line field(s) {', '.join(unknown)}", ""))
        kind = line.get("txnType")
        if kind not in ("debit", "credit"):
            raise Refusal(("BL01001973", f"txnType must be debit or credit, not {kind!r}", ""))
        entry = ET.SubElement(entries, "GLENTRY")
        ET.SubElement(entry, "ACCOUNTNO").text = str((line.get("glAccount") or {}).get("id", ""))
        ET.SubElement(entry, "TR_TYPE").text = "1" if kind == "debit" else "-1"
        ET.SubElement(entry, "TRX_AMOUNT").text = str(line.get("txnAmount", ""))
        for name, ref in (line.get("dimensions") or {}).items():
            field = _DIMENSIONS.get(name)
            if field is None:
                raise Refusal(("BL01001973", f"Unknown dimension {name!r}", ""))
            ET.SubElement(entry, field).text = str(ref.get("id", ""))
        for field, value in (line.get("customFields") or {}).items():
            ET.SubElement(entry, field).text = str(value)
        if line.get("description"):
            ET.SubElement(entry, "DESCRIPTION").text = str(line["description"])
    return node


#: The fields of objects that may have no rows yet (so an empty answer is still checked).
_FIELDS = {
    "general-ledger/journal-entry": ("key", "referenceNumber", "glJournal.id", "postingDate",
                                     "state"),
    "general-ledger/journal-entry-line": ("glAccount.id", "txnType", "baseAmount",
                                          "dimensions.customer.id", "journalEntry.key",
                                          "state"),
}


def _rows(books: Books, obj: str) -> list[dict[str, Any]] | None:
    if obj == "general-ledger/journal-entry":
        return [{"key": str(b.record_no), "referenceNumber": b.reference_no,
                 "glJournal.id": b.journal, "postingDate": b.date.isoformat(),
                 "state": "posted" if b.state == "P" else "draft"}
                for b in books.batches.values()]
    if obj == "general-ledger/journal-entry-line":
        return [{"glAccount.id": line["ACCOUNTNO"],
                 "txnType": "debit" if line["TR_TYPE"] == "1" else "credit",
                 "baseAmount": str(Decimal(line["TRX_AMOUNT"])),
                 "dimensions.customer.id": line.get("CUSTOMERID") or None,
                 "journalEntry.key": str(b.record_no),
                 "state": "posted" if b.state == "P" else "draft"}
                for b in books.batches.values() for line in b.lines]
    if obj == "accounts-receivable/customer":
        return [{"key": d.get("RECORDNO", ""), "id": d["ID"], "name": d["NAME"]}
                for d in books.dimensions["CUSTOMER"].values()]
    dimension = {"company-config/location": "LOCATION",
                 "company-config/department": "DEPARTMENT", "company-config/class": "CLASS",
                 "projects/project": "PROJECT"}.get(obj)
    if dimension is not None:
        return [{"key": d.get("RECORDNO", d["ID"]), "id": d["ID"], "name": d["NAME"]}
                for d in books.dimensions[dimension].values()]
    if obj == "general-ledger/account":
        return [{"key": a.number, "id": a.number, "name": a.title}
                for a in books.accounts.values()]
    return None
