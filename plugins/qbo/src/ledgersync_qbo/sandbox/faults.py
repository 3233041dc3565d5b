"""QBO Fault shapes and the codes the sandbox raises.

Shapes follow plugins/qbo/tests/data/payloads: validation faults use ``Fault.Error[]`` with
``Message``/``Detail``/``code`` (a string)/``element`` and ``type``; 401/403 bodies use the
lowercase ``fault.error[]`` variant; the 429 throttle body is XML even when JSON was asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "FaultError",
    "QBOFault",
    "auth_fault_body",
    "catalog_fault",
    "throttle_xml",
]

VALIDATION = "ValidationFault"
SYSTEM = "SystemFault"
SERVICE = "SERVICE"


@dataclass(frozen=True)
class FaultError:
    code: str
    message: str
    detail: str
    element: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"Message": self.message, "Detail": self.detail, "code": self.code,
                "element": self.element}


class QBOFault(Exception):
    """A fault answer: one or more errors, a fault type and an HTTP status."""

    def __init__(self, errors: FaultError | Iterable[FaultError], *,
                 fault_type: str = VALIDATION, status: int = 400) -> None:
        self.errors = [errors] if isinstance(errors, FaultError) else list(errors)
        if not self.errors:
            raise ValueError("a fault needs at least one error")
        self.fault_type = fault_type
        self.status = status
        super().__init__("; ".join(f"{e.code} {e.message}: {e.detail}" for e in self.errors))

    @property
    def code(self) -> str:
        return self.errors[0].code

    def fault_json(self) -> dict[str, Any]:
        """The ``Fault`` object (as used inside a BatchItemResponse)."""
        return {"Error": [e.as_json() for e in self.errors], "type": self.fault_type}

    def body(self, time: str) -> dict[str, Any]:
        return {"Fault": self.fault_json(), "time": time}


# ---------------------------------------------------------------- validation faults


def stale_object(user: str = "Integration User") -> QBOFault:
    return QBOFault(FaultError(
        "5010", "Stale Object Error",
        f"Stale Object Error : You and {user} were working on this at the same time. "
        f"{user} finished before you did, so your work was not saved."))


def duplicate_name(kind: str = "names") -> QBOFault:
    others = {
        "names": "Another customer, vendor or employee is already using this name.",
        "Item": "Another product or service is already using this name.",
        "Account": "Another account is already using this name.",
    }.get(kind, f"Another {kind.lower()} is already using this name.")
    return QBOFault(FaultError(
        "6240", "Duplicate Name Exists Error",
        f"The name supplied already exists. : {others} Please use a different name."))


def duplicate_doc_number(doc_number: str, txn_type: str, txn_id: str) -> QBOFault:
    return QBOFault(FaultError(
        "6140", "Duplicate Document Number Error",
        "Duplicate Document Number Error : You must specify a different number. "
        f"This number has already been used. DocNumber={doc_number} is assigned to "
        f"TxnType={txn_type} with TxnId={txn_id}"))


def object_not_found_error() -> FaultError:
    return FaultError(
        "610", "Object Not Found",
        "Object Not Found : Something you're trying to use has been made inactive. "
        "Check the fields with accounts, customers, items, vendors or employees.")


def object_not_found() -> QBOFault:
    return QBOFault(object_not_found_error())


def invalid_reference_error(detail: str, element: str = "") -> FaultError:
    return FaultError("2500", "Invalid Reference Id", f"Invalid Reference Id : {detail}", element)


def required_missing_error(element: str) -> FaultError:
    return FaultError(
        "2020", "Required param missing, need to supply the required value for the API",
        f"Required parameter {element} is missing in the request", element)


def required_missing(element: str) -> QBOFault:
    return QBOFault(required_missing_error(element))


def string_too_long(element: str, maximum: int, supplied: int) -> QBOFault:
    return QBOFault(FaultError(
        "2050", "String length is either shorter or longer than supported by specification",
        "String length specified does not match the supported length. "
        f"Min:0 Max:{maximum} supported. Supplied length:{supplied}", element))


def invalid_property(detail: str = "failed to parse json object") -> QBOFault:
    return QBOFault(FaultError(
        "2010", "Request has invalid or unsupported property",
        f"Property Name:{detail}; a property specified is unsupported or invalid"))


def unsupported_operation(operation: str) -> QBOFault:
    return QBOFault(FaultError("500", "Unsupported Operation",
                               f"Operation {operation} is not supported."))


def business_validation(detail: str, element: str = "") -> QBOFault:
    return QBOFault(FaultError(
        "6000", "A business validation error has occurred while processing your request",
        f"Business Validation Error: {detail}", element))


def amount_mismatch(supplied: Any, element: str = "Line.Amount") -> FaultError:
    return FaultError("6070", "Amount calculation incorrect",
                      f"Amount is not equal to UnitPrice * Qty. Supplied value:{supplied}",
                      element)


def invalid_enumeration(element: str, value: str) -> QBOFault:
    """2170, as in Intuit's list of frequent errors ("Invalid Enumeration: HAS_BEEN_BILLED")."""
    return QBOFault(FaultError("2170", "Invalid Enumeration",
                               f"Invalid Enumeration : {value}", element))


def invalid_report_date(element: str, value: str, detail: str | None = None) -> QBOFault:
    """A report date that is not ``YYYY-MM-DD`` (or a start after the end): QBO's invalid
    property fault (the 2010-2140 validation range), naming the parameter."""
    return QBOFault(FaultError(
        "2010", "Request has invalid or unsupported property",
        f"Property Name:{element}; {detail or f'{value!r} is not a date in YYYY-MM-DD form'}",
        element))


def unbalanced_journal() -> QBOFault:
    return QBOFault(FaultError(
        "2300", "Invalid Journal Entry",
        "Transaction must balance: the total of debits must equal the total of credits."))


def invalid_account_type(detail: str, element: str = "") -> QBOFault:
    return QBOFault(FaultError("6430", "Invalid account type used", detail, element))


def entity_with_balance(kind: str) -> QBOFault:
    """Wording as quickbooks-ruby #390 quotes QBO's answer to deactivating such a customer."""
    return QBOFault(FaultError(
        "6220", "Delete List Has Balance Error",
        "The entity you are trying to delete has an open balance. : This "
        f"{kind.lower()} cannot be deleted because it has a non-zero balance"))


def period_closed(code: str = "6210") -> QBOFault:
    if code == "5010":
        # As python-quickbooks issue #208 quotes QBO's answer to a create in closed books.
        return QBOFault(FaultError("5010", "Account Period Closed",
                                   "The account period has closed. {1}"))
    return QBOFault(FaultError(
        "6210", "Account Period Closed, Cannot Update Through Services API",
        "The account period has closed and the account books cannot be updated through "
        "through the QBO Services API. Please use the QBO website to make these changes."))


def query_parse_error(detail: str) -> QBOFault:
    return QBOFault(FaultError("4000", "Error parsing query", f"QueryParserError: {detail}"))


def query_validation_error(detail: str) -> QBOFault:
    return QBOFault(FaultError("4001", "Invalid query", f"QueryValidationError: {detail}"))


def batch_too_large(limit: int, supplied: int) -> QBOFault:
    return QBOFault(FaultError(
        "1040", "Batch Request size exceeded",
        f"The number of BatchItemRequest objects ({supplied}) exceeds the limit of {limit}."))


def system_failure(status: int = 500) -> QBOFault:
    return QBOFault(FaultError(
        "10000", "An application error has occurred while processing your request",
        "System Failure Error: An unexpected error occurred while accessing or saving your "
        "data. Please wait a few minutes and try again."), fault_type=SYSTEM, status=status)


# ------------------------------------------------------------------ other bodies


def auth_fault_body(status: int, detail: str | None, time_ms: int) -> dict[str, Any]:
    """The lowercase 401/403 body (payloads fault_401_authentication.json, fault_403_3100.json)."""
    if status == 403:
        return {"fault": {"error": [{
            "message": "message=ApplicationAuthorizationFailed; errorCode=003100; "
                       "statusCode=403",
            "detail": detail, "code": "3100", "element": None}], "type": SERVICE}}
    return {"warnings": None, "intuitObject": None, "fault": {"error": [{
        "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
        "detail": detail, "code": "3200", "element": None}], "type": "AUTHENTICATION"},
        "time": time_ms}


def throttle_xml(time: str) -> bytes:
    """The XML 429 body QBO sends even to ``Accept: application/json`` (PHP SDK #54)."""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<IntuitResponse time="{time}" xmlns="http://schema.intuit.com/finance/v3">'
        '<Fault type="SERVICE"><Error code="3001">'
        "<Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>"
        "<Detail>The request limit was reached.  Try again later</Detail>"
        "</Error></Fault></IntuitResponse>"
    ).encode()


_CATALOG: dict[str, tuple[str, str, str]] = {
    # code: (message, detail, type) for injected faults without a builder of their own
    "120": ("AuthorizationFailure", "AuthorizationFailure: -11014-You do not have access "
            "to use QuickBooks Online Plus. Please contact the account administrator.",
            "AuthorizationFault"),
    "600": ("Duplicate request ID", "Duplicate request ID: the requestid has been used "
            "for a different request.", VALIDATION),
    "6190": ("Invalid Company Status", "Subscription period has ended or canceled or "
             "there was a billing problem.", VALIDATION),
    "6200": ("Account Period Closed Error", "The account period has closed.", VALIDATION),
    "10200": ("Company Reset", "The company has been reset.", SYSTEM),
}


def catalog_fault(code: str) -> QBOFault:
    """A fault for an arbitrary QBO error code (used by fault injection)."""
    builders: dict[str, Callable[[], QBOFault]] = {
        "5010": stale_object, "6240": duplicate_name, "610": object_not_found,
        "6210": period_closed, "10000": system_failure,
        "6140": lambda: duplicate_doc_number("0000", "Invoice", "0"),
        "2020": lambda: required_missing("Line"),
        "2010": invalid_property,
        "2500": lambda: QBOFault(invalid_reference_error("Accounts element id 0 not found")),
        "6000": lambda: business_validation("Injected business validation failure."),
        "4000": lambda: query_parse_error("Injected parse failure."),
        "500": lambda: unsupported_operation("injected"),
    }
    if code in builders:
        return builders[code]()
    message, detail, kind = _CATALOG.get(code, ("Injected fault", f"Injected fault {code}",
                                                VALIDATION))
    status = 500 if kind == SYSTEM else 400
    return QBOFault(FaultError(code, message, detail), fault_type=kind, status=status)
