"""The XML gateway's envelope: requests built, responses read at their three status layers.

A request is ``control`` (sender credentials, request controlid, ``uniqueid``, dtdversion 3.0)
and one ``operation`` (``authentication`` by login or session id, then ``content`` with one or
more ``function`` elements, each with its own ``controlid``). A response is read in order:
``control/status`` (failure: nothing ran), ``operation/authentication/status`` (failure: no
function ran), then one ``result`` per function (success, failure or aborted). Business
failures come back as HTTP 200, so the HTTP status alone says little (tests/data/README.md
lists the samples this follows).
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
from defusedxml import ElementTree as SafeET

from .errors import IntacctError, IntacctFailure

DTD_VERSION = "3.0"
_SUPPORT_ID = re.compile(r"\s*\[Support ID:[^\]]*\]")


@attrs.frozen(kw_only=True)
class Login:
    """User credentials of a company (``locationid``: an entity-level session)."""

    user_id: str
    company_id: str
    password: str
    location_id: str | None = None


@attrs.frozen
class Session:
    session_id: str


@attrs.frozen
class Function:
    """One function of the content: its controlid and the element inside ``<function>``."""

    controlid: str
    body: ET.Element


def element(tag: str, text: str | None = None, *children: ET.Element) -> ET.Element:
    node = ET.Element(tag)
    if text is not None:
        node.text = text
    node.extend(children)
    return node


def fields(tag: str, values: Iterable[tuple[str, str | None]]) -> ET.Element:
    """``<TAG><NAME>value</NAME>...</TAG>``, leaving out fields whose value is None."""
    return element(tag, None, *(element(name, value) for name, value in values
                                if value is not None))


def build_request(*, sender_id: str, sender_password: str, control_id: str, unique_id: bool,
                  auth: Login | Session, functions: Sequence[Function],
                  transaction: bool = False) -> bytes:
    """The request document, element order as the 3.0 schema has it."""
    if not functions:
        raise ValueError("a request needs at least one function")
    control = fields("control", [
        ("senderid", sender_id), ("password", sender_password), ("controlid", control_id),
        ("uniqueid", "true" if unique_id else "false"), ("dtdversion", DTD_VERSION),
        ("includewhitespace", "false"),
    ])
    if isinstance(auth, Login):
        login = fields("login", [("userid", auth.user_id), ("companyid", auth.company_id),
                                 ("password", auth.password), ("locationid", auth.location_id)])
        authentication = element("authentication", None, login)
    else:
        authentication = element("authentication", None,
                                 element("sessionid", auth.session_id))
    content = element("content")
    for function in functions:
        if not 1 <= len(function.controlid) <= 256:
            raise ValueError(f"function controlid must be 1 to 256 characters: "
                             f"{function.controlid!r}")
        wrapper = element("function", None, function.body)
        wrapper.set("controlid", function.controlid)
        content.append(wrapper)
    operation = element("operation", None, authentication, content)
    if transaction:
        operation.set("transaction", "true")
    root = element("request", None, control, operation)
    text: bytes = ET.tostring(root, encoding="utf-8")
    return text if text.startswith(b"<?xml") else b'<?xml version="1.0"?>\n' + text


# -- responses ------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Authentication:
    """What ``operation/authentication`` says of a successful login or session."""

    user_id: str | None
    company_id: str | None
    location_id: str | None
    session_timestamp: dt.datetime | None
    session_timeout: dt.datetime | None

    def session_left(self) -> dt.timedelta | None:
        """How long the session lasts from this answer, by Intacct's own clock (so a skewed
        local clock does not matter)."""
        if self.session_timeout is None or self.session_timestamp is None:
            return None
        return self.session_timeout - self.session_timestamp


@attrs.frozen(kw_only=True)
class FunctionResult:
    status: str  # success | failure | aborted
    function: str
    controlid: str
    data: ET.Element | None
    key: str | None
    errors: tuple[IntacctError, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == "success"

    def failure(self) -> IntacctFailure:
        return IntacctFailure.of("result", self.errors, status=self.status,
                                 controlid=self.controlid)

    def records(self) -> list[dict[str, str]]:
        """The objects in ``data`` as flat dicts (``JOURNAL.SYMBOL`` style names kept)."""
        if self.data is None:
            return []
        return [{child.tag: (child.text or "") for child in obj} for obj in self.data]

    def count(self, name: str) -> int | None:
        value = self.data.get(name) if self.data is not None else None
        return int(value) if value is not None and value.isdigit() else None


@attrs.frozen(kw_only=True)
class Response:
    authentication: Authentication
    results: tuple[FunctionResult, ...]

    def by_controlid(self) -> dict[str, FunctionResult]:
        return {result.controlid: result for result in self.results}


def _text(node: ET.Element | None, path: str) -> str | None:
    if node is None:
        return None
    found = node.find(path)
    if found is None or found.text is None:
        return None
    return found.text.strip()


def _errors(node: ET.Element | None) -> tuple[IntacctError, ...]:
    if node is None:
        return ()
    out = []
    for error in node.iter("error"):
        description2 = _text(error, "description2") or ""
        out.append(IntacctError(
            errorno=_text(error, "errorno") or "",
            description=_text(error, "description") or "",
            description2=_SUPPORT_ID.sub("", urllib.parse.unquote(description2)).strip(),
            correction=_text(error, "correction") or "",
            support_id=_support_id(description2),
        ))
    return tuple(out)


def _support_id(text: str) -> str | None:
    match = re.search(r"\[Support ID:\s*([^\]]*)\]", text)
    return urllib.parse.unquote(match.group(1)).strip() if match else None


def parse_datetime(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(dt.UTC) if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def parse_document(body: bytes) -> ET.Element:
    """Parse with entities, DTDs and external references refused (defusedxml)."""
    root: Any = SafeET.fromstring(body, forbid_dtd=True)
    return root  # type: ignore[no-any-return]  # defusedxml is typed loosely


def parse_response(body: bytes, *, http_status: int = 200) -> Response:
    """The response's results, or :class:`IntacctFailure` for a control, gateway or
    authentication failure (``sent`` says whether anything may have run)."""
    try:
        root = parse_document(body)
    except Exception as exc:  # noqa: BLE001 - any unreadable body is the same fault for us
        snippet = body[:200].decode("utf-8", "replace").strip() or "(empty)"
        raise IntacctFailure(
            f"Intacct answered HTTP {http_status} without a readable XML response "
            f"({type(exc).__name__}): {snippet}", level="http", http_status=http_status,
        ) from None
    if root.tag != "response":
        raise IntacctFailure(f"Intacct answered with <{root.tag}>, not <response>",
                             level="http", http_status=http_status)
    control = root.find("control")
    if _text(control, "status") != "success":
        errors = _errors(root.find("errormessage"))
        gateway = any(e.errorno.startswith("GW-") for e in errors)
        raise IntacctFailure.of("gateway" if gateway else "control", errors,
                                http_status=http_status)
    operation = root.find("operation")
    if operation is None:
        raise IntacctFailure("Intacct's response has no <operation>", level="http",
                             http_status=http_status)
    auth = operation.find("authentication")
    if _text(auth, "status") != "success":
        raise IntacctFailure.of("authentication", _errors(operation.find("errormessage")),
                                http_status=http_status)
    results = tuple(
        FunctionResult(status=_text(result, "status") or "failure",
                       function=_text(result, "function") or "",
                       controlid=_text(result, "controlid") or "",
                       data=result.find("data"), key=_text(result, "key"),
                       errors=_errors(result.find("errormessage")))
        for result in operation.findall("result")
    )
    return Response(
        authentication=Authentication(
            user_id=_text(auth, "userid"), company_id=_text(auth, "companyid"),
            location_id=_text(auth, "locationid") or None,
            session_timestamp=parse_datetime(_text(auth, "sessiontimestamp")),
            session_timeout=parse_datetime(_text(auth, "sessiontimeout"))),
        results=results,
    )
