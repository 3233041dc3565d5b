"""QuickBooks Online failures as one exception type, read from whatever shape QBO answered.

QBO answers faults in three shapes: ``Fault.Error[]`` (validation and system
faults, also inside HTTP 200 and per batch item), a lowercase ``fault.error[]`` (401/403), and
XML for 429 even when JSON was asked for. The HTTP status is decided on first, both casings are
parsed, and every ``Error`` entry is kept (peers keep only the first).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ledgersync import ConnectorError

#: QBO's own advice when throttled: wait a minute.
DEFAULT_RETRY_AFTER = 60.0
_XML_CODE = re.compile(r'<Error[^>]*\bcode="(\d+)"')
_XML_TEXT = re.compile(r"<(Message|Detail)>(.*?)</\1>", re.S)
_EMBEDDED_CODE = re.compile(r"errorCode=0*(\d+)")


@attrs.frozen
class FaultItem:
    """One ``Error`` entry of a fault."""

    code: str
    message: str = ""
    detail: str = ""
    element: str = ""

    def describe(self) -> str:
        text = self.detail or self.message
        return f"[{self.code}] {text}" if text else f"[{self.code}]"


class QboError(ConnectorError):
    """A failed QBO call: HTTP status, every fault entry, and whether it reached QBO.

    ``code`` is the first fault code (a string, as QBO sends it), or one of ``timeout``,
    ``network``, ``http-NNN``, ``invalid_grant``, ``invalid_client``, ``not_connected``.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str,
        status: int | None = None,
        faults: Sequence[FaultItem] = (),
        fault_type: str | None = None,
        intuit_tid: str | None = None,
        retry_after: float | None = None,
        sent: bool = True,
        remedy: str | None = None,
    ) -> None:
        super().__init__(message, code=code, remedy=remedy, retry_after=retry_after, sent=sent)
        self.status = status
        self.faults = tuple(faults)
        self.fault_type = fault_type
        self.intuit_tid = intuit_tid

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.faults) or ((self.code,) if self.code else ())

    @property
    def detail(self) -> str:
        return "; ".join(f.describe() for f in self.faults) or self.message

    @property
    def period_closed(self) -> bool:
        """The books are closed for the transaction's date. QBO answers 6210 (6200 in
        Intuit's list) and, for some creates, 5010 with the message "Account Period Closed"
        (python-quickbooks issue #208), the code it otherwise uses for a stale SyncToken."""
        return any(f.code in ("6200", "6210")
                   or (f.code == "5010" and "period closed" in f.message.lower())
                   for f in self.faults)

    @property
    def stale_version(self) -> bool:
        """A stale SyncToken (5010 "Stale Object Error"): re-read and send again."""
        return "5010" in self.codes and not self.period_closed


class QboAuthError(QboError):
    """The OAuth side failed: no tokens stored, a refresh token refused, bad app keys."""


def _items(errors: Any) -> list[FaultItem]:
    items: list[FaultItem] = []
    if not isinstance(errors, list):
        return items
    for raw in errors:
        if not isinstance(raw, Mapping):
            continue
        # Both casings: Fault.Error[].{Message,Detail,code} and fault.error[].{message,...}
        lowered = {str(k).lower(): v for k, v in raw.items()}
        code = str(lowered.get("code") or "")
        message = str(lowered.get("message") or "")
        if not code:
            embedded = _EMBEDDED_CODE.search(message)
            code = embedded.group(1) if embedded else ""
        items.append(FaultItem(code=code.lstrip("0") or code, message=message,
                               detail=str(lowered.get("detail") or ""),
                               element=str(lowered.get("element") or "")))
    return items


def fault_items(body: Any) -> tuple[list[FaultItem], str | None]:
    """The entries and type of a fault in a parsed JSON body (any casing), or ([], None)."""
    if not isinstance(body, Mapping):
        return [], None
    fault = body.get("Fault", body.get("fault"))
    if not isinstance(fault, Mapping):
        return [], None
    errors = fault.get("Error", fault.get("error"))
    kind = fault.get("type")
    return _items(errors), str(kind) if kind is not None else None


def from_fault(body: Any, *, status: int, intuit_tid: str | None = None,
               what: str = "QuickBooks refused the request") -> QboError:
    """A QboError for a JSON fault body (a whole response or a batch item's ``Fault``)."""
    items, kind = fault_items(body if "Fault" in body or "fault" in body else {"Fault": body})
    code = items[0].code if items else f"http-{status}"
    text = "; ".join(i.describe() for i in items) or f"HTTP {status}"
    return QboError(f"{what}: {text}", code=code, status=status, faults=items,
                    fault_type=kind, intuit_tid=intuit_tid)


def from_xml(text: str, *, status: int, intuit_tid: str | None = None) -> QboError:
    """The XML fault QBO sends with 429 (and sometimes other statuses)."""
    code_match = _XML_CODE.search(text)
    parts = dict(_XML_TEXT.findall(text))
    code = code_match.group(1) if code_match else f"http-{status}"
    item = FaultItem(code=code, message=parts.get("Message", ""), detail=parts.get("Detail", ""))
    return QboError(f"QuickBooks answered HTTP {status}: {item.describe()}", code=code,
                    status=status, faults=[item], intuit_tid=intuit_tid)


def retry_after_seconds(header: str | None) -> float:
    """``Retry-After`` in seconds (QBO sending it is unconfirmed), else QBO's 60 s."""
    if header:
        try:
            return max(float(header.strip()), 1.0)
        except ValueError:
            pass
    return DEFAULT_RETRY_AFTER
