"""One qbXML message set: parsing, validation, ``onError``, ``requestID`` and error recovery.

Behaviour (Intuit status-code appendix):

* The document must be safe, well formed, start with ``<?xml ...?>`` and carry
  ``<?qbxml version="X"?>`` with X among the versions the host supports; every request must
  match its schema content model. Otherwise the whole set fails with HRESULT 0x80040400 and
  no response (:class:`ProcessResult` ``hresult``/``message``).
* ``onError`` is required: ``stopOnError`` stops at the first *error* (warnings do not stop);
  the requests after it are not run and get no response. ``continueOnError`` runs all.
  ``rollbackOnError`` is refused as a parse error (documented "not valid" for QuickBooks
  Desktop; the reference leaves it unconfirmed).
* ``requestID`` is echoed when present and omitted when absent; longer than 50 -> 1060.
* Error recovery: a set with ``newMessageSetID`` has its response saved with a checksum of its
  requests. Re-sending the same set under the same ID returns the saved response without
  running anything again (different content -> 9001). An empty set with
  ``oldMessageSetID == newMessageSetID`` returns the saved response (unknown ID -> 9002). An
  empty set with only ``oldMessageSetID`` clears it (unknown -> 600). IDs longer than 24
  characters -> 9004. ``messageSetStatusCode`` appears only when a recovery attribute was sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from .closing import check_closing_date
from .conformance import check_request
from .context import Context, Handler, Outcome, raise_violations
from .faults import FaultPlan
from .schema import Violation, validate
from .specs import QUERY_FILTER_NAMES, REQUEST_SPECS
from .status import (
    HRESULT_PARSE_ERROR,
    INVALID_REQUEST_ID,
    PARSE_ERROR_MESSAGE,
    RECOVERY_CHECKSUM_FAILED,
    RECOVERY_ID_TOO_LONG,
    RECOVERY_NO_CLEARED_STATE,
    RECOVERY_NOT_FOUND,
    UNSUPPORTED_MESSAGE,
    QbError,
    QbParseError,
    Status,
)
from .xml import Element, XmlRejected, parse_qbxml, serialize_element, serialize_response

MAX_REQUEST_ID = 50
MAX_MESSAGE_SET_ID = 24
_ID_KEYS = ("ListID", "FullName", "TxnID", "RefNumber", "RefNumberCaseSensitive")


@dataclass
class ProcessResult:
    """What the request processor hands back to the (simulated) Web Connector.

    ``response_xml`` is empty when ``hresult`` is set. ``lost`` asks the Web Connector layer to
    drop the response (see :mod:`.faults`); the company file has still run the requests.
    """

    response_xml: str
    hresult: str = ""
    message: str = ""
    lost: bool = False
    parse_detail: str = ""


@dataclass
class _Saved:
    checksum: str
    response_xml: str


class MessageSetProcessor:
    def __init__(self, ctx: Context, handlers: Mapping[str, Handler], faults: FaultPlan, *,
                 strict_prolog: bool = True) -> None:
        self.ctx = ctx
        self.handlers = handlers
        self.faults = faults
        self.strict_prolog = strict_prolog
        self.saved: dict[str, _Saved] = {}

    def process(self, text: str | bytes) -> ProcessResult:
        injected = self.faults.take_hresult()
        if injected is not None:
            return ProcessResult("", hresult=injected[0], message=injected[1])
        try:
            msgs_rq, violations = self._parse(text)
        except (XmlRejected, QbParseError) as exc:
            return ProcessResult("", hresult=HRESULT_PARSE_ERROR, message=PARSE_ERROR_MESSAGE,
                                 parse_detail=str(exc))
        response = self._recover_or_run(msgs_rq, violations)
        return ProcessResult(response, lost=self.faults.take_lost())

    # -- parsing --------------------------------------------------------------------------

    def _parse(self, text: str | bytes) -> tuple[Element, list[list[Violation]]]:
        document = parse_qbxml(text)
        root = document.root
        if self.strict_prolog and not document.has_xml_declaration:
            raise QbParseError("missing <?xml ...?> declaration")
        version = document.qbxml_version
        if version is None:
            raise QbParseError("missing <?qbxml version?> processing instruction")
        if version not in self.ctx.settings.qbxml_versions:
            raise QbParseError(f"qbXML version {version} is not supported by this host")
        if root.tag != "QBXML" or len(root) != 1 or root[0].tag != "QBXMLMsgsRq":
            raise QbParseError("expected <QBXML><QBXMLMsgsRq>")
        msgs_rq = root[0]
        on_error = msgs_rq.get("onError")
        if on_error not in ("stopOnError", "continueOnError"):
            raise QbParseError(f"onError={on_error!r} is not accepted")
        violations = []
        for rq in msgs_rq:
            tag = rq.tag
            if not isinstance(tag, str) or not tag.endswith("Rq"):
                raise QbParseError(f"<{tag}> is not a request")
            check_request(rq)
            spec = REQUEST_SPECS.get(tag)
            violations.append(validate(rq, spec) if spec is not None else [])
            if tag.endswith("QueryRq"):
                _check_query_alternatives(rq)
        return msgs_rq, violations

    # -- recovery -------------------------------------------------------------------------

    def _recover_or_run(self, msgs_rq: Element, violations: list[list[Violation]]) -> str:
        old, new = msgs_rq.get("oldMessageSetID"), msgs_rq.get("newMessageSetID")
        recovery = old is not None or new is not None
        if any(len(i) > MAX_MESSAGE_SET_ID for i in (old, new) if i is not None):
            return self._empty(new, RECOVERY_ID_TOO_LONG)
        requests = list(msgs_rq)
        checksum = hashlib.sha256(
            "".join(serialize_element(rq) for rq in requests).encode()).hexdigest()
        if new is not None and new in self.saved:
            saved = self.saved[new]
            if not requests and old == new:
                return saved.response_xml
            if requests:
                if saved.checksum == checksum:
                    return saved.response_xml
                return self._empty(new, RECOVERY_CHECKSUM_FAILED)
        if not requests and old is not None and old == new:
            return self._empty(new, RECOVERY_NOT_FOUND)
        set_status = 0
        cleared = self.saved.pop(old, None) if old is not None and old != new else True
        if cleared is None and new is None:
            set_status = RECOVERY_NO_CLEARED_STATE
        msgs_rs = self._run(msgs_rq, requests, violations)
        if new is not None:
            msgs_rs.set("newMessageSetID", new)
        if recovery:
            msgs_rs.set("messageSetStatusCode", str(set_status))
        response = serialize_response(msgs_rs)
        if new is not None:
            self.saved[new] = _Saved(checksum, response)
        return response

    def _empty(self, new: str | None, code: int) -> str:
        msgs_rs = Element("QBXMLMsgsRs")
        if new is not None:
            msgs_rs.set("newMessageSetID", new)
        msgs_rs.set("messageSetStatusCode", str(code))
        return serialize_response(msgs_rs)

    # -- running --------------------------------------------------------------------------

    def _run(self, msgs_rq: Element, requests: list[Element],
             violations: list[list[Violation]]) -> Element:
        msgs_rs = Element("QBXMLMsgsRs")
        stop = msgs_rq.get("onError") == "stopOnError"
        include_data = msgs_rq.get("responseData", "includeAll") != "includeNone"
        for rq, problems in zip(requests, violations, strict=True):
            outcome = self._run_one(rq, problems)
            msgs_rs.append(_response_element(rq, outcome, include_data))
            if stop and outcome.status.severity == "Error":
                break
        return msgs_rs

    def _run_one(self, rq: Element, problems: list[Violation]) -> Outcome:
        tag = str(rq.tag)
        request_id = rq.get("requestID")
        try:
            if request_id is not None and len(request_id) > MAX_REQUEST_ID:
                raise QbError(INVALID_REQUEST_ID, value=request_id)
            handler = self.handlers.get(tag)
            if handler is None:
                raise QbError(UNSUPPORTED_MESSAGE)
            injected = self.faults.take_status(tag)
            if injected is not None and injected.code >= 1000:
                raise _injected_error(injected.code, injected.message)
            raise_violations(problems)
            check_closing_date(self.ctx, rq)
            outcome = handler(self.ctx, rq)
        except QbError as exc:
            return Outcome(status=exc.status)
        if injected is not None:
            outcome.status = (Status(injected.code, injected.message) if injected.message
                              else Status.of(injected.code, field=tag, value=tag))
        if outcome.write_key is not None:
            self.ctx.writes[outcome.write_key] += 1
        return outcome


def _injected_error(code: int, message: str | None) -> QbError:
    error = QbError(code)
    if message is not None:
        error.status = Status(code, message)
    return error


def _response_element(rq: Element, outcome: Outcome, include_data: bool) -> Element:
    rs = Element(str(rq.tag)[:-2] + "Rs")
    request_id = rq.get("requestID")
    if request_id is not None:
        rs.set("requestID", request_id)
    rs.set("statusCode", str(outcome.status.code))
    rs.set("statusSeverity", outcome.status.severity)
    rs.set("statusMessage", outcome.status.message)
    if outcome.status.severity != "Error":
        for name, value in outcome.attrs.items():
            rs.set(name, value)
        if include_data:
            rs.extend(outcome.children)
    return rs


def _check_query_alternatives(rq: Element) -> None:
    """``ListID*`` | ``FullName*`` | filters are an XSD ``choice``: never mixed."""
    present = {str(child.tag) for child in rq}
    keys = present.intersection(_ID_KEYS)
    if len(keys) > 1 or (keys and present & QUERY_FILTER_NAMES):
        raise QbParseError(f"{rq.tag}: {sorted(keys)} cannot be combined with other filters")
