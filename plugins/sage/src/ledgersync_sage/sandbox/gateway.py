"""The sandbox's XML gateway: control, authentication and content, answered in the shapes of
the reference samples (tests/data/02, 04, 05, 08, 09, 10, 12).

- control: known sender and password (else XL03000006 at control level, nothing runs), a
  parseable 3.0 request (else XL03000003);
- authentication: login (user, company, password, optional locationid = entity session) or a
  live session id; a sender the company has not authorised fails here (XL03000006 with the
  "Invalid Web Services Authorization" text); sessions slide: each call extends them;
- content: ``getAPISession`` only alone in its request; ``uniqueid`` true (the default when
  absent) makes a completed function controlid refuse to run again; ``transaction="true"``
  rolls back every function when one fails (the others report ``aborted``, XL03000009).

What Intacct answers to a replayed controlid is not documented: this sandbox
refuses it with BL01001973 and a description2 that says so; the connector treats any such
refusal as "probably posted" and looks the entry up by REFERENCENO.
"""

from __future__ import annotations

import copy
import datetime as dt
import secrets
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import attrs
from defusedxml import ElementTree as SafeET

from .books import BL, Books, Refusal
from .query import run_query
from .trialbalance import trial_balance

Clock = Callable[[], dt.datetime]


@attrs.define
class SessionInfo:
    user_id: str
    company_id: str
    location_id: str | None
    expires: dt.datetime


@attrs.define
class GatewayConfig:
    senders: dict[str, str] = attrs.field(factory=lambda: {"ls_sender": "sender-pass"})
    #: (company id, user id) -> password.
    users: dict[tuple[str, str], str] = attrs.field(
        factory=lambda: {("HARBORCLUB", "mms_api_user"): "user-pass"})
    #: company id -> sender ids it authorises under Web Services authorizations.
    authorised: dict[str, set[str]] = attrs.field(
        factory=lambda: {"HARBORCLUB": {"ls_sender"}})
    session_minutes: float = 120.0
    endpoint: str | None = None  # the session endpoint; None: the URL the request came to


class Gateway:
    def __init__(self, books: dict[str, Books], config: GatewayConfig | None = None, *,
                 clock: Clock | None = None) -> None:
        self.books = books
        self.config = config or GatewayConfig()
        self.clock: Clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.sessions: dict[str, SessionInfo] = {}
        #: (company, sender, controlid) of functions that completed (uniqueid scope).
        self.completed: set[tuple[str, str, str]] = set()
        self.lock = threading.RLock()
        #: Every function name processed (what the tests count).
        self.functions: list[str] = []

    # -- the request -------------------------------------------------------------------------

    def handle(self, body: bytes, *, url: str) -> bytes:
        try:
            root = SafeET.fromstring(body, forbid_dtd=True)
        except Exception as exc:  # noqa: BLE001 - any unreadable request gets the same answer
            return _control_failure("", "", "XL03000003", f"XML Parse schema error: {exc}")
        control = root.find("control")
        if root.tag != "request" or control is None or root.find("operation") is None:
            return _control_failure("", "", "XL03000003", "XML Parse schema error: expected "
                                    "<request> with <control> and <operation>")
        sender = control.findtext("senderid") or ""
        request_controlid = control.findtext("controlid") or ""
        if not request_controlid or (control.findtext("dtdversion") or "3.0") != "3.0":
            return _control_failure(sender, request_controlid, "XL03000003",
                                    "XML Parse schema error: controlid and dtdversion 3.0 "
                                    "are required")
        if self.config.senders.get(sender) != (control.findtext("password") or ""):
            return _control_failure(sender, request_controlid, "XL03000006",
                                    "Incorrect Intacct XML Partner ID or password.")
        unique = (control.findtext("uniqueid") or "true").strip().lower() != "false"
        with self.lock:
            return self._operation(root, sender, request_controlid, unique, url)

    def _operation(self, root: ET.Element, sender: str, request_controlid: str, unique: bool,
                   url: str) -> bytes:
        operation = root.find("operation")
        assert operation is not None
        head = _control(sender, request_controlid, unique)
        session, error = self._authenticate(operation.find("authentication"), sender)
        if session is None:
            auth = ET.Element("authentication")
            _add(auth, "status", "failure")
            return _document(head, _operation_failure(auth, "XL03000006", error))
        session.expires = self.clock() + dt.timedelta(minutes=self.config.session_minutes)
        content = operation.find("content")
        functions = list(content) if content is not None else []
        if not functions or any(f.tag != "function" or not f.get("controlid")
                                for f in functions):
            return _control_failure(sender, request_controlid, "XL03000003",
                                    "XML Parse schema error: every <function> needs a "
                                    "controlid")
        transaction = operation.get("transaction", "false") == "true"
        results = self._run(functions, session, sender, unique, transaction, url)
        out = ET.Element("operation")
        out.append(_authentication(session))
        out.extend(results)
        return _document(head, out)

    def _authenticate(self, auth: ET.Element | None, sender: str
                      ) -> tuple[SessionInfo | None, str]:
        if auth is None:
            return None, "Authentication is required"
        session_id = auth.findtext("sessionid")
        if session_id is not None:
            session = self.sessions.get(session_id.strip())
            if session is None or session.expires <= self.clock():
                return None, "Invalid session: the session has expired or does not exist"
            return session, ""
        login = auth.find("login")
        if login is None:
            return None, "Authentication is required"
        company = login.findtext("companyid") or ""
        user = login.findtext("userid") or ""
        if self.config.users.get((company, user)) != (login.findtext("password") or ""):
            return None, "Sign-in information is incorrect"
        if sender not in self.config.authorised.get(company, set()):
            return None, (f"Invalid Web Services Authorization. The sender ID '{sender}' is "
                          f"not authorized to make Web Services requests to company ID "
                          f"'{company}'. Contact the company administrator to grant "
                          "Web Services authorization to this sender ID.")
        location = (login.findtext("locationid") or "").strip() or None
        books = self.books[company]
        if location is not None and location not in books.dimensions["LOCATION"]:
            return None, f"Invalid location '{location}' for company '{company}'"
        return SessionInfo(user, company, location, self.clock()), ""

    # -- functions -------------------------------------------------------------------------------

    def _run(self, functions: list[ET.Element], session: SessionInfo, sender: str,
             unique: bool, transaction: bool, url: str) -> list[ET.Element]:
        books = self.books[session.company_id]
        saved = copy.deepcopy(books) if transaction else None
        results: list[ET.Element] = []
        failed = False
        done: list[tuple[str, str, str]] = []
        alone = len(functions) == 1
        for function in functions:
            controlid = function.get("controlid", "")
            body = function[0] if len(function) else None
            name = body.tag if body is not None else ""
            self.functions.append(name)
            key = (session.company_id, sender, controlid)
            try:
                if body is None:
                    raise Refusal(("XL03000003", "Empty <function>", ""))
                if unique and key in self.completed and name != "getAPISession":
                    raise Refusal((BL, f"A function with control ID '{controlid}' was already "
                                   "executed for this company; it was not run again "
                                   "(uniqueid=true)", "Use a new control ID to run it again"))
                data = self._function(name, body, session, books, alone, url)
                results.append(_result("success", name, controlid, data))
                done.append(key)
            except Refusal as refusal:
                failed = True
                results.append(_result("failure", name, controlid, None, refusal.errors))
        if transaction and failed:
            assert saved is not None
            for field in attrs.fields(Books):  # restore in place: callers hold this object
                setattr(books, field.name, getattr(saved, field.name))
            for result in results:
                if result.findtext("status") == "success":
                    result.find("status").text = "aborted"  # type: ignore[union-attr]
                    data = result.find("data")
                    if data is not None:
                        result.remove(data)
                    result.append(_errormessage([("XL03000009", "The entire transaction in "
                                                  "this operation has been rolled back due "
                                                  "to an error.", "")]))
            return results
        if unique:
            self.completed.update(done)
        return results

    def _function(self, name: str, body: ET.Element, session: SessionInfo, books: Books,
                  alone: bool, url: str) -> ET.Element | None:
        if name == "getAPISession":
            if not alone:
                raise Refusal(("XL03000003", "getAPISession must be the only function of "
                               "its request", ""))
            session_id = secrets.token_urlsafe(18) + ".."
            location = session.location_id
            self.sessions[session_id] = SessionInfo(
                session.user_id, session.company_id, location,
                self.clock() + dt.timedelta(minutes=self.config.session_minutes))
            api = ET.Element("api")
            _add(api, "sessionid", session_id)
            _add(api, "endpoint", self.config.endpoint or url)
            _add(api, "locationid", location or "")
            return _wrap(None, api)
        if name in ("create", "update"):
            if len(body) != 1:
                raise Refusal(("XL03000003", f"<{name}> takes exactly one object", ""))
            obj = body[0]
            if obj.tag == "GLBATCH":
                record_no: int | None = None
                if name == "update":
                    raw = (obj.findtext("RECORDNO") or "").strip()
                    if not raw.isdigit() or int(raw) not in books.batches:
                        raise Refusal((BL, f"GLBatch record '{raw}' does not exist", ""))
                    record_no = int(raw)
                batch = books.post(obj, controlid="", entity=session.location_id,
                                   record_no=record_no)
                out = ET.Element("glbatch")
                _add(out, "RECORDNO", str(batch.record_no))
                return _wrap("objects", out)
            if obj.tag == "CUSTOMER" and name == "create":
                created = books.create_customer(obj)
                out = ET.Element("customer")
                for tag, value in created.items():
                    _add(out, tag, value)
                return _wrap("objects", out)
            raise Refusal(("XL03000003", f"{name} {obj.tag} is not supported by the sandbox",
                           ""))
        if name == "query":
            return run_query(body, books)
        if name == "get_trialbalance":
            return trial_balance(body, books)
        raise Refusal(("XL03000003", f"function <{name}> is not supported by the sandbox", ""))

    def expire_sessions(self) -> None:
        with self.lock:
            for session in self.sessions.values():
                session.expires = self.clock() - dt.timedelta(seconds=1)


# -- response building ---------------------------------------------------------------------


def _add(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    node = ET.SubElement(parent, tag)
    if text is not None:
        node.text = text
    return node


def _wrap(listtype: str | None, *objects: ET.Element) -> ET.Element:
    data = ET.Element("data")
    if listtype:
        data.set("listtype", listtype)
        data.set("count", str(len(objects)))
    data.extend(objects)
    return data


def _control(sender: str, controlid: str, unique: bool, status: str = "success") -> ET.Element:
    control = ET.Element("control")
    _add(control, "status", status)
    _add(control, "senderid", sender)
    _add(control, "controlid", controlid)
    _add(control, "uniqueid", "true" if unique else "false")
    _add(control, "dtdversion", "3.0")
    return control


def _errormessage(errors: Any) -> ET.Element:
    node = ET.Element("errormessage")
    for errorno, text, correction in errors:
        error = _add(node, "error")
        _add(error, "errorno", errorno)
        _add(error, "description", "")
        _add(error, "description2", f"{text} [Support ID: sbx{secrets.token_hex(4)}]")
        _add(error, "correction", correction)
    return node


def _result(status: str, name: str, controlid: str, data: ET.Element | None,
            errors: Any = ()) -> ET.Element:
    result = ET.Element("result")
    _add(result, "status", status)
    _add(result, "function", name)
    _add(result, "controlid", controlid)
    if data is not None:
        result.append(data)
    if errors:
        result.append(_errormessage(errors))
    return result


def _authentication(session: SessionInfo) -> ET.Element:
    auth = ET.Element("authentication")
    _add(auth, "status", "success")
    _add(auth, "userid", session.user_id)
    _add(auth, "companyid", session.company_id)
    _add(auth, "locationid", session.location_id or "")
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    _add(auth, "sessiontimestamp", now.isoformat())
    _add(auth, "sessiontimeout", session.expires.replace(microsecond=0).isoformat())
    return auth


def _operation_failure(auth: ET.Element, errorno: str, text: str) -> ET.Element:
    operation = ET.Element("operation")
    operation.append(auth)
    operation.append(_errormessage([(errorno, text, "")]))
    return operation


def _document(*children: ET.Element) -> bytes:
    root = ET.Element("response")
    root.extend(children)
    text: bytes = ET.tostring(root, encoding="utf-8")
    return text if text.startswith(b"<?xml") else b'<?xml version="1.0"?>\n' + text


def _control_failure(sender: str, controlid: str, errorno: str, text: str) -> bytes:
    control = _control(sender, controlid, False, status="failure")
    return _document(control, _errormessage([(errorno, text, "")]))


def gateway_error(errorno: str, description: str) -> bytes:
    """A ``GW-`` answer (tests/data/09): control failure, the error's description only."""
    control = ET.Element("control")
    _add(control, "status", "failure")
    message = ET.Element("errormessage")
    error = _add(message, "error")
    _add(error, "errorno", errorno)
    _add(error, "description", description)
    return _document(control, message)
