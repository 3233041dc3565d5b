"""The path's failures and what each means for a sync item (a Resolution with a remedy).

Stage-one failures are synchronous ``RestResponse/Error`` answers (checked on every response,
whatever its HTTP status); stage-two failures arrive through the status query and are mapped
in :mod:`~ledgersync_quickbooks_legacy.statemap`.
"""

from __future__ import annotations

import httpx

from ledgersync import Action, ConnectorError, ExportRequest, Resolution

RECONNECT = ("Connect the company again: `ledgersync quickbooks_legacy connect {company} "
             "--token ... --token-secret ...` with the tokens of a new Connect to QuickBooks")


class LegacyError(ConnectorError):
    """A ``RestResponse/Error`` of the intermediary (or a failed HTTP exchange with it)."""

    def __init__(self, message: str, *, code: str | None, request_name: str | None = None,
                 sent: bool = True, remedy: str | None = None) -> None:
        super().__init__(message, code=code, sent=sent, remedy=remedy)
        self.request_name = request_name


def classify(error: Exception, request: ExportRequest, *, company: str) -> Resolution:
    """Stage-one failures: what the engine should do with the item."""
    what = request.describe()
    # Transport failures carry the codes the engine counts towards an outage of the whole
    # company (``timeout``, ``network``), as the other connectors' do.
    if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return Resolution(action=Action.RETRY, code="network",
                          message=f"the intermediary could not be reached: {error}")
    if isinstance(error, httpx.TransportError):
        # The write may have landed: look it up (by our reference) before writing again.
        code = "timeout" if isinstance(error, httpx.TimeoutException) else "network"
        return Resolution(action=Action.IN_DOUBT, code=code,
                          message=f"no answer from the intermediary for {what}: {error}")
    if not isinstance(error, ConnectorError):
        return Resolution(action=Action.IN_DOUBT,
                          message=f"unexpected failure: {type(error).__name__}: {error}")
    code = error.code or ""
    if code == "401":
        return Resolution(action=Action.PAUSE_COMPANY, code=code,
                          message=f"the intermediary refused the credentials: {error}",
                          remedy=RECONNECT.format(company=company))
    if code == "-2001":
        remedy = "Correct the record in the MMS so it fits the schema; it is sent again by itself"
        if "maxLength" in str(error) and "'41'" in str(error):
            remedy = ("QuickBooks Desktop names hold at most 41 characters: shorten the name in "
                      "the MMS; the changed record is sent again by itself")
        return Resolution(action=Action.NEEDS_PERSON, code=code,
                          message=f"the intermediary refused {what}: {error}", remedy=remedy)
    if code == "-9005":
        return Resolution(action=Action.RETRY, code=code,
                          message=f"{what} changed in the cloud copy meanwhile: {error}")
    if code.startswith("http-5"):
        return Resolution(action=Action.IN_DOUBT, code=code,
                          message=f"the intermediary failed while answering for {what}: {error}")
    if error.remedy or code:
        return Resolution(action=Action.NEEDS_PERSON, code=code or None,
                          message=f"the intermediary refused {what}: {error}",
                          remedy=error.remedy or "Correct the record in the MMS as the message "
                          "says, then requeue it")
    return Resolution(action=Action.RETRY if not error.sent else Action.IN_DOUBT,
                      message=str(error))
