"""QuickBooks Desktop failures and what each means for the item, in plain words.

Three kinds of native failure reach the engine (through ``PullQueue.fail`` and the connector's
``classify_error``, then the ``ledgersync_handle_error`` hook):

* :class:`QbxmlStatusError`: one request's ``statusCode``;
* :class:`QbwcHresultError`: the request processor failed the whole message set (the Web
  Connector reports an HRESULT in ``receiveResponseXML``);
* :class:`QbdValidationError`: refused here before sending (a name too long, a character
  QuickBooks cannot store, an operation QuickBooks Desktop has no request for).

The status texts from 3070 on are observed messages, not Intuit's canonical wording (the
reference says so); the remedies below do not depend on the exact text.
"""

from __future__ import annotations

from ledgersync import Action, ConnectorError, ExportRequest, Resolution

#: Lock and concurrency conflicts: "it usually goes through the second time".
TRANSIENT = frozenset({1000, 1010, 3170, 3175, 3176, 3180})
#: A write dated on or before a password-protected closing date ("... on or before the closing
#: date of the company ..."); QuickBooks uses 3171 for other refusals too, hence the text.
CLOSED_PERIOD = 3171
HRESULT_PARSE_ERROR = "0x80040400"

#: HRESULTs of the request processor, in plain words.
HRESULTS: dict[str, str] = {
    HRESULT_PARSE_ERROR: "QuickBooks could not parse the request ledgersync sent",
    "0x80040401": "the Web Connector could not access QuickBooks",
    "0x80040402": "QuickBooks had an unexpected error",
    "0x80040408": "the Web Connector could not start QuickBooks",
    "0x8004040D": "the QuickBooks session ticket was not valid",
    "0x80040416": "QuickBooks is not running and no company file was given",
    "0x80040420": "the QuickBooks user denied the application access",
}


class QbdValidationError(ConnectorError):
    """Refused before sending: nothing left this machine, and retrying will not help."""

    def __init__(self, message: str, *, remedy: str) -> None:
        super().__init__(message, code="validation", remedy=remedy, sent=False)


class QbdInDoubt(ConnectorError):
    """A write may have reached QuickBooks and nobody knows yet: look it up before resending."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="in_doubt")


class QbxmlStatusError(ConnectorError):
    """A request's non-success ``statusCode`` with QuickBooks' own message."""

    def __init__(self, status: int, message: str, *, request_type: str,
                 reference: tuple[str, str, str] | None = None) -> None:
        """``reference``: for 3140, what a look-up found of the refused reference: (list type,
        the name or ListID sent, ``deleted`` or ``inactive``)."""
        found = ""
        if reference is not None:
            found = f" (looked up: {reference[0]} {reference[1]!r} is {reference[2]} in " \
                "QuickBooks)"
        super().__init__(f"QuickBooks answered {status} to {request_type}: {message}{found}",
                         code=str(status))
        self.status = status
        self.status_message = message
        self.request_type = request_type
        self.reference = reference


class QbwcHresultError(ConnectorError):
    """The request processor failed the whole message set."""

    def __init__(self, hresult: str, message: str) -> None:
        plain = HRESULTS.get(hresult.upper().replace("0X", "0x"), "the request processor failed")
        super().__init__(f"{plain} ({hresult}: {message})", code=hresult)
        self.hresult = hresult


def _person(code: str, message: str, remedy: str) -> Resolution:
    return Resolution(action=Action.NEEDS_PERSON, code=code, message=message, remedy=remedy)


def classify(error: Exception, request: ExportRequest) -> Resolution:
    """The resolution of a native failure (see the module docstring)."""
    what = request.describe()
    if isinstance(error, QbdValidationError):
        return _person("validation", error.message, error.remedy or "Correct it in the MMS")
    if isinstance(error, QbwcHresultError):
        if error.hresult.lower() == HRESULT_PARSE_ERROR:
            return _person(error.hresult, f"{what}: {error.message}",
                           "This is a ledgersync bug or a QuickBooks version mismatch: send "
                           "the item's history to support; requeue it after an upgrade")
        return Resolution(action=Action.RETRY, code=error.hresult, message=error.message,
                          remedy="Make sure QuickBooks can open the company file on the "
                          "Web Connector's computer")
    if isinstance(error, QbxmlStatusError):
        return _status(error, request)
    if isinstance(error, QbdInDoubt):
        return Resolution(action=Action.IN_DOUBT, code=error.code, message=error.message)
    if isinstance(error, ConnectorError) and not error.sent:
        return Resolution(action=Action.RETRY, code=error.code, message=str(error))
    return Resolution(action=Action.IN_DOUBT, message=f"unexpected failure: "
                      f"{type(error).__name__}: {error}")


def _status(error: QbxmlStatusError, request: ExportRequest) -> Resolution:
    what = request.describe()
    code, text, status = str(error.status), error.status_message, error.status
    said = f"{what}: QuickBooks said {status}: {text}"
    if status in TRANSIENT:
        return Resolution(action=Action.RETRY, code=code, message=f"{said} (will retry later)",
                          remedy="Close the record in QuickBooks if someone has it open")
    if status == 3200:
        return Resolution(action=Action.REREAD, code=code, message=said)
    if status == CLOSED_PERIOD and "closing date" in text.lower():
        return _person(code, f"{what}: QuickBooks refused it: its date is on or before the "
                       "company's closing date", _closed_period_remedy(request))
    if status == 3100:
        return _person(code, said, "A record with this name already exists in QuickBooks "
                       "and is not this one: if it is the same, link it with `ledgersync map "
                       "customer MEMBER 'QuickBooks name'`; otherwise give the member a "
                       "distinct name in the MMS; then requeue")
    if status == 3120:
        return _person(code, said, "The QuickBooks record it points at was deleted or "
                       "merged. If that was intended, clear the link with `ledgersync unlink` "
                       "so it is written again; then requeue")
    if status == 3140 and error.reference is not None:
        return _person(code, f"{said}; {error.reference[0]} {error.reference[1]!r} is "
                       f"{error.reference[2]} in QuickBooks", _reference_remedy(error, request))
    if status == 3140:
        customer = _missing_customer(error, request)
        if customer is not None:
            return _person(code, said, customer)
        return _person(code, said, "A customer, item, account, terms or tax item it refers "
                       "to is missing or inactive in QuickBooks: create or reactivate it "
                       "there, or map the MMS value to an existing one with `ledgersync map`, "
                       "then requeue")
    if status == 3070 or 3000 <= status <= 3031:
        return _person(code, said, "Correct the value in the MMS and record it again")
    if status == 3210:
        return _person(code, said, "QuickBooks refused a value: check the open balance of "
                       "the invoice or credit in QuickBooks (it may have been paid or "
                       "applied there already), fix it there or in the MMS, then requeue")
    if status == 3250:
        return _person(code, said, "Turn the feature on in QuickBooks (Edit > "
                       "Preferences), or stop sending it, then requeue")
    if status in (3260, 3261):
        return Resolution(
            action=Action.PAUSE_COMPANY, code=code, message=said,
            remedy="In QuickBooks, log in as the administrator, open Edit > Preferences > "
            "Integrated Applications > Company Preferences and give ledgersync access "
            "(including personal data); then `ledgersync companies resume`")
    if status in (1030, 1060):
        return _person(code, said, "This QuickBooks version does not take this request: "
                       "update QuickBooks, or report it to ledgersync support")
    return _person(code, said, "Read QuickBooks' message above, correct the record in "
                   "QuickBooks or the MMS, then requeue")


def _closed_period_remedy(request: ExportRequest) -> str:
    company, record = request.company, request.record
    return ("Reopen the period in QuickBooks (Company > Set Closing Date: move the date back "
            "or remove the closing date password) or change the record's date in the MMS, "
            f"then `ledgersync requeue --company {company} --kind {request.kind} --mms-id "
            f"{record.mms_id}`")


def _reference_remedy(error: QbxmlStatusError, request: ExportRequest) -> str:
    """What to do once a look-up said whether the refused reference was deleted or made
    inactive in QuickBooks."""
    assert error.reference is not None
    list_type, value, state = error.reference
    company = request.company
    member = request.record.customer_mms_id() if request.kind != "member" else None
    if state == "inactive":
        return (f"{list_type} {value!r} was made inactive in QuickBooks: reactivate it there "
                "(or map the MMS value to an active one with `ledgersync map`), then requeue")
    if list_type == "Customer" and member is not None:
        return (f"The customer of member {member!r} was deleted in QuickBooks: "
                f"`ledgersync unlink --company {company} --kind member --mms-id {member}` "
                "writes it again at the next update, then `ledgersync requeue --company "
                f"{company} --member {member}`")
    return (f"{list_type} {value!r} was deleted in QuickBooks: create it again there, or map "
            "the MMS value to another with `ledgersync map`, then requeue")


def _missing_customer(error: QbxmlStatusError, request: ExportRequest) -> str | None:
    """The remedy when the reference QuickBooks refused is the member's own customer (deleted,
    merged or made inactive in QuickBooks after ledgersync linked it); None otherwise."""
    if request.kind == "member":
        return None
    member = request.record.customer_mms_id()
    list_id = request.references.get(("member", member)) if member else None
    if member is None or list_id is None:
        return None
    text = error.status_message
    if list_id not in text and "QuickBooks Customer " not in text:
        return None
    company = request.company
    return (f"The QuickBooks customer of member {member!r} ({list_id}) was deleted or merged "
            "in QuickBooks, or made inactive there. If it was deleted, clear the link with "
            f"`ledgersync unlink --company {company} --kind member --mms-id {member}` (the "
            "next update creates the customer again), then `ledgersync requeue --company "
            f"{company} --member {member}`; if it is inactive, make it active in QuickBooks "
            "and requeue")
