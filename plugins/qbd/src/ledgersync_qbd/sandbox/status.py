"""qbXML status codes, severities and messages as the simulated company file returns them.

Sources: codes 0-1060 and 3000-3031 with their
official wording from Intuit's "Status codes in response messages" appendix (also in the
OSR error-code page); codes 3070-3261 carry *observed* texts from peer libraries, which the
reference marks as non-canonical. Severity follows the documented ranges: 0-499 Info,
500-999 Warn, 1000 and above Error.
"""

from __future__ import annotations

from dataclasses import dataclass

# HRESULTs reported by the request processor instead of a qbXML response (receiveResponseXML
# ``hresult``/``message``), from the Intuit WCWebService sample.
HRESULT_PARSE_ERROR = "0x80040400"
PARSE_ERROR_MESSAGE = "QuickBooks found an error when parsing the provided XML text stream."

OK = 0
NO_MATCH = 1
WARN_NOT_FOUND = 500
WARN_UNSUPPORTED_FIELD = 530
RECOVERY_NO_CLEARED_STATE = 600
INTERNAL_ERROR = 1000
SYSTEM_NOT_AVAILABLE = 1010
UNSUPPORTED_MESSAGE = 1030
INVALID_REQUEST_ID = 1060
INVALID_OBJECT_ID = 3000
INVALID_BOOLEAN = 3010
INVALID_DATE = 3020
INVALID_DATE_RANGE = 3030
STRING_TOO_LONG = 3070
NAME_IN_USE = 3100
OBJECT_NOT_FOUND = 3120
INVALID_REFERENCE = 3140
LIST_MODIFIED = 3170
DELETE_FAILED = 3171
#: The same code answers a write dated on or before a password-protected closing date (its
#: own text: :data:`CLOSED_PERIOD_MESSAGE`).
CLOSED_PERIOD = 3171
CANNOT_LOCK = 3175
LOCK_FAILED = 3176
IN_USE = 3180
EDIT_SEQUENCE_OUT_OF_DATE = 3200
INVALID_FIELD_VALUE = 3210
FEATURE_NOT_ENABLED = 3250
INSUFFICIENT_PERMISSION = 3260
APP_NO_PERMISSION = 3261
RECOVERY_CHECKSUM_FAILED = 9001
RECOVERY_NOT_FOUND = 9002
RECOVERY_ID_TOO_LONG = 9004
RECOVERY_CANNOT_STORE = 9005

#: Observed QuickBooks text for a write dated on or before a password-protected closing date
#: (AYS Software's export-errors guide; a QODBC integration matches "before the closing date
#: of the company"). "modify" and "to closing date" are QuickBooks' own wording.
CLOSED_PERIOD_MESSAGE = (
    "An attempt was made to modify a {object} with a date that is on or before the closing"
    " date of the company. If you are sure you really want to do this, please ask a user with"
    " Admin privileges to remove the password for editing transactions on or before to"
    " closing date (this setting is in the Accounting Company Preferences), then try again."
)

#: Codes the reference tells the connector to retry ("it usually goes through the second time").
TRANSIENT_CODES = frozenset({LIST_MODIFIED, CANNOT_LOCK, LOCK_FAILED, IN_USE, SYSTEM_NOT_AVAILABLE})

_MESSAGES: dict[int, str] = {
    OK: "Status OK",
    NO_MATCH: "A query request did not find a matching object in QuickBooks",
    WARN_NOT_FOUND: (
        'The query request has not been fully completed. There was a required element ("{value}")'
        " that could not be found in QuickBooks."
    ),
    501: 'Unable to represent objectName "{value}" in this version of the qbXML spec.',
    510: "Unable to return object.",
    WARN_UNSUPPORTED_FIELD: 'The field "{field}" is not supported by this implementation.',
    531: 'The enum value "{value}" in the field "{field}" is not supported by this implementation.',
    550: (
        'The "{value}" object was saved successfully, but its corresponding Notes record could'
        " not be saved."
    ),
    560: (
        "Use of this field is no longer recommended. Although it is currently supported, it may"
        " be removed from a future release."
    ),
    570: 'Unable to link to transaction "{value}" because it has already been closed.',
    INTERNAL_ERROR: "There has been an internal error when processing the request.",
    SYSTEM_NOT_AVAILABLE: "System not available",
    UNSUPPORTED_MESSAGE: "This request is not supported by this implementation.",
    INVALID_REQUEST_ID: (
        'The request ID "{value}" is invalid, possibly too long, max 50 chars.'
    ),
    INVALID_OBJECT_ID: 'The given object ID "{value}" in the field "{field}" is invalid.',
    INVALID_BOOLEAN: (
        'There was an error when converting the boolean value "{value}" in the field "{field}".'
    ),
    INVALID_DATE: (
        'There was an error when converting the date value "{value}" in the field "{field}".'
    ),
    INVALID_DATE_RANGE: "Invalid date range: From date is greater than To date.",
    STRING_TOO_LONG: 'The string "{value}" in the field "{field}" is too long.',
    NAME_IN_USE: 'The name "{value}" of the list element is already in use.',
    OBJECT_NOT_FOUND: 'Object "{value}" specified in the request cannot be found.',
    INVALID_REFERENCE: (
        'There is an invalid reference to QuickBooks {field} "{value}" in the {object}.'
        " QuickBooks error message: {detail}"
    ),
    LIST_MODIFIED: "The list has been modified by another user.",
    DELETE_FAILED: (
        'An error occurred when deleting "{value}" from the {object} list. QuickBooks error'
        " message: {detail}"
    ),
    CANNOT_LOCK: 'The object "{value}" cannot be locked; it is in use by another user.',
    LOCK_FAILED: 'Unable to lock the object "{value}".',
    IN_USE: 'There was an error when saving a {object}: the element "{value}" is in use.',
    EDIT_SEQUENCE_OUT_OF_DATE: 'The provided edit sequence "{value}" is out-of-date.',
    INVALID_FIELD_VALUE: (
        'There was an error when saving a {object}. QuickBooks error message: {detail}'
    ),
    FEATURE_NOT_ENABLED: (
        'The feature "{value}" is not enabled or not available in this edition of QuickBooks.'
    ),
    INSUFFICIENT_PERMISSION: "Insufficient permission level to perform this action.",
    APP_NO_PERMISSION: "The integrated application has no permission to access personal data.",
}


def severity_for(code: int) -> str:
    """Return the documented severity of ``code`` (Info, Warn or Error)."""
    if code < 500:
        return "Info"
    if code < 1000:
        return "Warn"
    return "Error"


def message_for(code: int, **fields: str) -> str:
    """Render the message template of ``code`` with ``fields`` (missing ones left blank)."""
    template = _MESSAGES.get(code, "Status code {code}.")
    values = {"value": "", "field": "", "object": "", "detail": "", "code": str(code)}
    values.update(fields)
    return template.format(**values)


@dataclass(frozen=True)
class Status:
    """One request's status attributes."""

    code: int
    message: str

    @property
    def severity(self) -> str:
        return severity_for(self.code)

    @classmethod
    def of(cls, code: int, **fields: str) -> Status:
        return cls(code, message_for(code, **fields))


STATUS_OK = Status(OK, message_for(OK))


class QbError(Exception):
    """Raised by a request handler; becomes the statusCode/statusMessage of its response."""

    def __init__(self, code: int, **fields: str) -> None:
        self.status = Status.of(code, **fields)
        super().__init__(f"{code}: {self.status.message}")


class QbParseError(Exception):
    """The whole message set is rejected by the parser (HRESULT 0x80040400, no response)."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)
