"""Every QBO failure of the reference's error table (§3.2) as an engine resolution with a reason
and, where a person must act, a remedy written for the bookkeeper.

Duplicates are never resolved by writing again: a 6140 (DocNumber taken) or 6240 (name taken)
looks the holder up and links to it only when it is provably ours; otherwise a person decides.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from ledgersync import Action, ConnectorError, ExportRequest, ExportResult, Resolution

from .errors import DEFAULT_RETRY_AFTER, QboAuthError, QboError

#: A duplicate's holder: (our record to link, or None) and a description of the holder.
Finder = Callable[[ExportRequest, QboError], tuple[ExportResult | None, str]]

_REQUEUE = "then `ledgersync requeue {item}`"


@attrs.frozen
class _Rule:
    action: Action
    message: str
    remedy: str | None = None


_RULES: dict[str, _Rule] = {
    "100": _Rule(Action.REFRESH_AUTH, "QuickBooks did not accept the access token"),
    "110": _Rule(Action.REFRESH_AUTH, "QuickBooks did not accept the access token"),
    "3200": _Rule(Action.REFRESH_AUTH, "the QuickBooks access token expired or was revoked"),
    "120": _Rule(Action.PAUSE_COMPANY,
                 "QuickBooks no longer lets the connected user use this company",
                 "The person who connected ledgersync was removed from the company or lost "
                 "admin rights: reconnect as an admin with `ledgersync connect {company}`, "
                 "then `ledgersync companies resume {company}`"),
    "3100": _Rule(Action.PAUSE_COMPANY,
                  "QuickBooks refused this app for the company (ApplicationAuthorizationFailed)",
                  "Usually sandbox keys used against production or the reverse: check "
                  "environment, api_base_url and realm_id of {company} in the config, "
                  "reconnect with `ledgersync connect {company}`, then "
                  "`ledgersync companies resume {company}`"),
    "130": _Rule(Action.RETRY, "QuickBooks sent the request to the wrong data centre"),
    "140": _Rule(Action.RETRY, "the QuickBooks company is locked for a moment"),
    "150": _Rule(Action.RETRY, "QuickBooks is under maintenance"),
    "10000": _Rule(Action.RETRY, "QuickBooks had an internal error (SystemFault)"),
    "10200": _Rule(Action.PAUSE_COMPANY, "the QuickBooks company was reset",
                   "Every record ledgersync linked in it is gone: check the company with your "
                   "accountant, unlink what was exported (`ledgersync unlink --company "
                   "{company} --status synced`) and resume with `ledgersync companies resume "
                   "{company}`"),
    "6190": _Rule(Action.PAUSE_COMPANY,
                  "the QuickBooks subscription has ended or has a billing problem",
                  "Renew or fix the subscription in QuickBooks (Settings > Billing), then "
                  "`ledgersync companies resume {company}`"),
    "invalid_grant": _Rule(Action.PAUSE_COMPANY, "the QuickBooks connection was lost",
                           "Reconnect: `ledgersync connect {company}`, then "
                           "`ledgersync companies resume {company}`"),
    "invalid_client": _Rule(Action.PAUSE_COMPANY, "QuickBooks refused the app's keys",
                            "Check client_id and client_secret of {company} against the app "
                            "at developer.intuit.com, then `ledgersync companies resume "
                            "{company}`"),
    "not_connected": _Rule(Action.PAUSE_COMPANY, "the company is not connected to QuickBooks",
                           "Run `ledgersync connect {company}`, then "
                           "`ledgersync companies resume {company}`"),
    "5010": _Rule(Action.REREAD, "someone changed the record in QuickBooks since it was read "
                  "(stale SyncToken)"),
    "610": _Rule(Action.NEEDS_PERSON,
                 "something this {kind} uses is inactive or deleted in QuickBooks",
                 "Reactivate the customer, item or account in QuickBooks, or map another one "
                 "with `ledgersync map`, " + _REQUEUE),
    "2500": _Rule(Action.NEEDS_PERSON, "a mapped QuickBooks record does not exist",
                  "Compare `ledgersync map account {company}` (and item, tax) with "
                  "`ledgersync qbo accounts {company}`, fix the mapping, " + _REQUEUE),
    "2050": _Rule(Action.NEEDS_PERSON, "a text is longer than QuickBooks allows",
                  "Shorten the field named above in the MMS and record it again"),
    "6000": _Rule(Action.NEEDS_PERSON, "QuickBooks refused the {kind} (business rule)",
                  "Read QuickBooks' reason above, correct the record in the MMS or in "
                  "QuickBooks, " + _REQUEUE),
    "6200": _Rule(Action.NEEDS_PERSON, "the books are closed for the {kind}'s date",
                  "Move the closing date in QuickBooks (Settings > Advanced > Close the books) "
                  "or re-date the record in the MMS, " + _REQUEUE),
    "6070": _Rule(Action.NEEDS_PERSON, "a line amount is not quantity x rate for QuickBooks",
                  "Correct the line in the MMS so amount = quantity x rate, " + _REQUEUE),
    "2010": _Rule(Action.NEEDS_PERSON, "QuickBooks does not accept a field of the request",
                  "This is a ledgersync mapping problem: report it with the item's history "
                  "(`ledgersync history {item}`)"),
    "2020": _Rule(Action.NEEDS_PERSON, "a field QuickBooks requires is missing",
                  "Fill in the field named above in the MMS or the mapping, " + _REQUEUE),
    "2210": _Rule(Action.NEEDS_PERSON, "QuickBooks refused the e-mail address",
                  "Correct the member's e-mail in the MMS and record it again"),
    "2300": _Rule(Action.NEEDS_PERSON, "the journal entry does not balance in QuickBooks",
                  "Check the entry's lines in the MMS, " + _REQUEUE),
    "6100": _Rule(Action.NEEDS_PERSON, "QuickBooks refused the tax code",
                  "Map the MMS tax rate to a valid QuickBooks tax code (`ledgersync qbo "
                  "taxcodes {company}`, `ledgersync map tax`), " + _REQUEUE),
    "6220": _Rule(Action.NEEDS_PERSON, "QuickBooks cannot deactivate a record with a balance",
                  "Settle the customer's balance first, " + _REQUEUE),
    "6250": _Rule(Action.NEEDS_PERSON, "QuickBooks refused the customer of the {kind}",
                  "Check the member's customer in QuickBooks (`ledgersync map customer`), "
                  + _REQUEUE),
    "6430": _Rule(Action.NEEDS_PERSON, "an account has the wrong type for this use",
                  "Map a Bank or Other Current Asset account (refunds, deposits) with "
                  "`ledgersync map account`, " + _REQUEUE),
    "6540": _Rule(Action.NEEDS_PERSON, "the transaction was deposited in QuickBooks and cannot "
                  "change", "Undo the deposit in QuickBooks if the change is needed, "
                  + _REQUEUE),
    "620": _Rule(Action.NEEDS_PERSON, "QuickBooks cannot link the transactions as asked",
                 "Check the payment's invoices in QuickBooks and the MMS, " + _REQUEUE),
    "500": _Rule(Action.NEEDS_PERSON, "QuickBooks does not support the operation",
                 "Check that the record contains only UTF-8 text; report the item's history "
                 "(`ledgersync history {item}`) if it does"),
    "600": _Rule(Action.NEEDS_PERSON, "QuickBooks saw the request id used for another request",
                 "`ledgersync requeue {item}` gives the item a fresh request id"),
    "1040": _Rule(Action.NEEDS_PERSON, "the batch was larger than QuickBooks accepts",
                  "Lower batch_items in the company's qbo settings, " + _REQUEUE),
    "4000": _Rule(Action.NEEDS_PERSON, "QuickBooks could not parse a lookup query",
                  "Report the item's history (`ledgersync history {item}`)"),
    "mapping": _Rule(Action.NEEDS_PERSON, "the record cannot be expressed in QuickBooks",
                     "See the reason above, " + _REQUEUE),
}
for _code in ("2030", "2040", "2060", "2070", "2080", "2090", "2100", "2110", "2120", "2130",
              "2140", "2250", "2260", "2290"):
    _RULES[_code] = attrs.evolve(_RULES["2020"], message="QuickBooks refused a field value")
for _code in ("6160", "6170", "6230"):
    _RULES[_code] = _RULES["6100"]
_RULES["6210"] = _RULES["6200"]
_RULES["3001"] = _Rule(Action.THROTTLE, "QuickBooks asked to slow down (429)")
_RULES["4001"] = _RULES["4002"] = _RULES["4000"]
for _code in ("502", "503", "504", "500"):
    _RULES[f"http-{_code}"] = _Rule(Action.RETRY, f"QuickBooks answered HTTP {_code}")
_RULES["http-429"] = _RULES["3001"]
_RULES["http-401"] = _RULES["3200"]
_RULES["http-403"] = _RULES["3100"]


def _resolution(rule: _Rule, error: QboError, request: ExportRequest, company: str
                ) -> Resolution:
    fields = {"kind": request.kind.replace("_", " "), "company": company,
              "item": str(request.item_id)}
    message = f"{request.describe()}: {rule.message.format(**fields)}"
    detail = error.detail
    if detail and detail not in message:
        message += f" ({detail})"
    if error.intuit_tid:
        message += f" [intuit_tid {error.intuit_tid}]"
    remedy = rule.remedy.format(**fields) if rule.remedy else None
    retry_after = None
    if rule.action is Action.THROTTLE:
        retry_after = error.retry_after or DEFAULT_RETRY_AFTER
    return Resolution(action=rule.action, message=message, code=error.code, remedy=remedy,
                      retry_after=retry_after)


def classify(error: Exception, request: ExportRequest, *, company: str,
             find_duplicate: Finder) -> Resolution:
    if isinstance(error, QboError):
        return _classify_qbo(error, request, company, find_duplicate)
    if isinstance(error, ConnectorError):  # e.g. a MappingError raised before sending
        rule = _RULES.get(error.code or "", _RULES["mapping"])
        wrapped = QboError(error.message, code=error.code or "mapping", sent=error.sent)
        resolution = _resolution(rule, wrapped, request, company)
        if error.remedy and rule.action is Action.NEEDS_PERSON:
            resolution = attrs.evolve(resolution, remedy=error.remedy)
        return resolution
    return Resolution(action=Action.IN_DOUBT,
                      message=f"{request.describe()}: unexpected failure: "
                              f"{type(error).__name__}: {error}")


def _classify_qbo(error: QboError, request: ExportRequest, company: str,
                  find_duplicate: Finder) -> Resolution:
    codes = error.codes
    if error.status == 429 or "3001" in codes:
        return _resolution(_RULES["3001"], error, request, company)
    if "6140" in codes or "6240" in codes:
        return _duplicate(error, request, company, find_duplicate)
    if "6000" in codes and "unlink any linked transactions" in error.detail:
        # Voiding an invoice whose payments are voided right after it (kind order).
        return Resolution(action=Action.RETRY, code=error.code,
                          message=f"{request.describe()}: QuickBooks still has payments applied "
                                  "to it; waiting for their voids")
    if error.period_closed:  # before the codes: this 5010 is not a stale SyncToken
        return _resolution(_RULES["6200"], error, request, company)
    for code in codes:
        if code in _RULES:
            return _resolution(_RULES[code], error, request, company)
    if isinstance(error, QboAuthError):
        return _resolution(_RULES["invalid_grant"], error, request, company)
    if error.code in ("timeout", "network"):
        if not error.sent:
            return Resolution(action=Action.RETRY, code=error.code,
                              message=f"{request.describe()}: {error.message}")
        # The write may have landed: look it up (DocNumber or name for a create; what QBO
        # shows for an update or void) before anything is sent again.
        return Resolution(action=Action.IN_DOUBT, code=error.code,
                          message=f"{request.describe()}: {error.message}")
    if (error.status is not None and error.status >= 500) or error.fault_type == "SystemFault":
        return Resolution(action=Action.RETRY, code=error.code,
                          message=f"{request.describe()}: QuickBooks failed ({error.detail})")
    return Resolution(
        action=Action.NEEDS_PERSON, code=error.code,
        message=f"{request.describe()}: QuickBooks refused it ({error.detail})",
        remedy="Read QuickBooks' reason above, correct the record in the MMS or in "
               f"QuickBooks, then `ledgersync requeue {request.item_id}`")


def _duplicate(error: QboError, request: ExportRequest, company: str,
               find_duplicate: Finder) -> Resolution:
    found, holder = find_duplicate(request, error)
    if found is not None:
        return Resolution(action=Action.LINK_EXISTING, code=error.code,
                          external_id=found.external_id, version_token=found.version_token,
                          message=f"{request.describe()} is already in QuickBooks as "
                                  f"{holder}")
    what = "document number" if "6140" in error.codes else "name"
    return Resolution(
        action=Action.NEEDS_PERSON, code=error.code,
        message=f"{request.describe()}: the {what} is already used in QuickBooks by {holder}",
        remedy=f"Change the {what} in the MMS (or in QuickBooks) so the two differ, then "
               f"`ledgersync requeue {request.item_id}`")
