"""Intacct failures as resolutions, with remedies in plain words.

Envelope and gateway errors are told apart by ``errorno``; the business-logic umbrella
``BL01001973`` (and its kin) only by the text of ``description2``: closed
period, invalid or restricted account, missing or invalid dimension, location required in a
multi-entity company, permission, duplicates, a replayed controlid.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ledgersync import Action, ConnectorError, ExportRequest, Operation, Resolution

from .errors import IntacctFailure

#: Seconds to hold the company back after GW-0010 when Intacct gives no Retry-After.
THROTTLE_SECONDS = 30.0

_DIMENSION = (r"(Location|Department|Class|Project|Customer|Vendor|Employee|Item|Task|"
              r"Contract|Warehouse|Job)")
_MISSING_DIMENSION = re.compile(
    rf"missing the {_DIMENSION} dimension(?: for the Account '?([\w.-]+)'?)?", re.I)
_INVALID_DIMENSION = re.compile(
    rf"(?:{_DIMENSION} '([^']*)'(?: specified)? is not valid|Invalid {_DIMENSION} "
    rf"'([^']*)')", re.I)
_INVALID_ACCOUNT = re.compile(r"Account(?: number)? '?([\w.-]+)'? (?:is not valid|is invalid|"
                              r"does not exist|is restricted|is inactive)", re.I)
_RESTRICTED = re.compile(r"restricted|not allowed for (?:this|the) (?:location|entity)", re.I)
_CLOSED = re.compile(r"period(?:s)? (?:is |are )?closed|closed period|within a period "
                     r"that's been closed", re.I)
_MULTI_ENTITY = re.compile(r"empty Location is invalid|Multi-Entity Location", re.I)
_PERMISSION = re.compile(r"do not have permission|not authorized|permission denied", re.I)
_OFFLINE = re.compile(r"Temporarily Off-?line|try again later|service unavailable", re.I)
_RATE = re.compile(r"rate limit|too many (?:concurrent )?requests", re.I)
_BALANCE = re.compile(r"do(?:es)? not balance", re.I)
_REPLAY = re.compile(r"control ?id.*(?:already|previously|duplicate)|"
                     r"(?:already|previously) (?:been )?(?:executed|processed)", re.I)
_DUPLICATE = re.compile(r"already exists|duplicate", re.I)
_SENDER = re.compile(r"sender ID|Web Services Authori[sz]ation|not authorized for XML", re.I)



def is_replay(error: IntacctFailure) -> bool:
    """Whether Intacct refused a function because its controlid already ran (uniqueid)."""
    return error.level == "result" and bool(_REPLAY.search(error.details()))


MapHint = Callable[[str], tuple[str, str] | None]
#: `ledgersync map WORD` for each kind a remote account can stand for.
_MAP_WORDS = {"gl_account": "account", "item": "item", "tax_rate": "tax"}


def classify(error: Exception, request: ExportRequest, *, company: str,
             map_hint: MapHint | None = None) -> Resolution:
    """``map_hint(intacct_account)`` names the (kind, MMS id) mapped to an Intacct account,
    so a remedy can give the exact `ledgersync map` command."""
    if isinstance(error, IntacctFailure):
        return _intacct(error, request, company, map_hint)
    if isinstance(error, ConnectorError):
        if error.remedy:
            return Resolution(action=Action.NEEDS_PERSON, message=error.message,
                              code=error.code, remedy=error.remedy)
        if not error.sent:
            return Resolution(action=Action.RETRY, message=error.message, code=error.code)
    return Resolution(action=Action.IN_DOUBT, code=type(error).__name__,
                      message=f"unexpected failure, the entry may have been posted: {error}")


def _intacct(error: IntacctFailure, request: ExportRequest, company: str,
             map_hint: MapHint | None) -> Resolution:
    code, message = error.code, error.message
    text = error.details() or message
    level = error.level
    if level == "transport" or level == "http":
        if not error.sent:
            return Resolution(action=Action.RETRY, code=code, message=message)
        # 5xx, 524, a cut connection or a timeout after the request left: it may have posted.
        return Resolution(action=Action.IN_DOUBT, code=code or "transport", message=message)
    if level == "gateway":
        if code == "GW-0010" or error.http_status == 429 or _RATE.search(text):
            return Resolution(action=Action.THROTTLE, code=code or "GW-0010", message=message,
                              retry_after=error.retry_after or THROTTLE_SECONDS)
        return Resolution(action=Action.RETRY, code=code, message=message)
    if level == "control":
        if code == "PL04000055":
            return Resolution(
                action=Action.PAUSE_COMPANY, code=code, message=message,
                remedy="The Intacct company is an expired demo or trial: connect a live "
                f"company in [companies.{company}.sage], then `ledgersync companies resume "
                f"{company}`")
        if _SENDER.search(text):
            return _sender_not_authorised(error, company)
        if code == "XL03000003":
            return Resolution(
                action=Action.NEEDS_PERSON, code=code, message=message,
                remedy="Intacct could not read the request ledgersync sent; report it to the "
                "ledgersync maintainers with this message (no data was posted), then requeue")
        if _RATE.search(text):
            return Resolution(action=Action.THROTTLE, code=code, message=message,
                              retry_after=THROTTLE_SECONDS)
        return Resolution(action=Action.RETRY, code=code, message=message)
    if level == "authentication":
        if _SENDER.search(text):
            return _sender_not_authorised(error, company)
        if re.search(r"session", text, re.I):
            return Resolution(action=Action.REFRESH_AUTH, code=code, message=message)
        if code == "invalid_grant":
            return Resolution(
                action=Action.PAUSE_COMPANY, code=code, message=message,
                remedy=f"Intacct no longer accepts the stored REST authorization (its refresh "
                f"token was spent, expired or revoked): run `ledgersync sage authorize "
                f"{company}` and approve again, then `ledgersync companies resume {company}`")
        if re.search(r"token endpoint|authorization stored|access token", f"{text} {message}",
                     re.I):
            return Resolution(
                action=Action.PAUSE_COMPANY, code=code, message=message,
                remedy=f"REST API sign-in failed: check client_id and client_secret in "
                f"[companies.{company}.sage]; with the authorization-code grant run "
                f"`ledgersync sage authorize {company}`; then `ledgersync companies resume "
                f"{company}`")
        return Resolution(
            action=Action.PAUSE_COMPANY, code=code, message=message,
            remedy=f"Intacct refused the user sign-in: check user_id, user_password and "
            f"company_id (and entity_id) in [companies.{company}.sage], run `ledgersync "
            f"connect {company}`, then `ledgersync companies resume {company}`")
    return _business(error, request, company, text, map_hint)


def _sender_not_authorised(error: IntacctFailure, company: str) -> Resolution:
    return Resolution(
        action=Action.PAUSE_COMPANY, code=error.code, message=error.message,
        remedy="In Intacct, an administrator adds ledgersync's sender ID under Company > "
        "Setup > Company > Security > Web Services authorizations (and the company needs the "
        f"Web Services subscription); then `ledgersync connect {company}` and "
        f"`ledgersync companies resume {company}`")


def _business(error: IntacctFailure, request: ExportRequest, company: str, text: str,
              map_hint: MapHint | None) -> Resolution:
    code, message, what = error.code, error.message, request.describe()
    if error.status == "aborted" or code == "XL03000009":
        return Resolution(action=Action.RETRY, code=code, message=f"{message} (rolled back "
                          "because another function of the request failed; nothing posted)")
    if _REPLAY.search(text):
        if request.operation is not Operation.CREATE and request.external_id:
            return Resolution(action=Action.LINK_EXISTING, code=code, message=f"{message}: "
                              "this version was already applied", external_id=request.external_id)
        return Resolution(action=Action.IN_DOUBT, code=code, message=f"{message}: an earlier "
                          "attempt already ran; looking it up by reference")
    if _CLOSED.search(text):
        return Resolution(
            action=Action.NEEDS_PERSON, code=code, message=f"{what}: {_first(error)}",
            remedy="The entry's date falls in a period closed in Intacct. Reopen the period "
            "(General Ledger > Setup > Accounting periods) or date the transaction in an open "
            "period in the MMS, then `ledgersync requeue` it")
    missing = _MISSING_DIMENSION.search(text)
    if missing:
        dimension = missing.group(1).lower()
        account = missing.group(2) or "its account"
        return Resolution(
            action=Action.NEEDS_PERSON, code=code, message=f"{what}: {_first(error)}",
            remedy=f"Intacct requires a {dimension} on account {account}. Give the MMS lines a "
            f"{dimension}, or set default_dimensions.{dimension} in "
            f"[companies.{company}.sage], then requeue")
    if _MULTI_ENTITY.search(text):
        return Resolution(
            action=Action.NEEDS_PERSON, code=code, message=f"{what}: {_first(error)}",
            remedy=f"This is a multi-entity company: every line needs a location. Set "
            f"entity_id or default_dimensions.location in [companies.{company}.sage], then "
            "requeue")
    invalid = _INVALID_DIMENSION.search(text)
    if invalid:
        dimension = (invalid.group(1) or invalid.group(3)).lower()
        value = invalid.group(2) if invalid.group(2) is not None else invalid.group(4)
        member = getattr(request.record, "member_id", None) or "MEMBER"
        fix = ("if it was deleted in Intacct, `ledgersync unlink --company "
               f"{company} --kind member --mms-id {member}` makes ledgersync create it again"
               if dimension == "customer" else
               f"map it under [companies.{company}.sage.dimension_values.{dimension}] "
               f"(`ledgersync sage {dimension}s {company}` lists Intacct's)")
        return Resolution(
            action=Action.NEEDS_PERSON, code=code, message=f"{what}: {_first(error)}",
            remedy=f"Intacct has no active {dimension} {value!r}: {fix}, then requeue")
    account = _INVALID_ACCOUNT.search(text)
    if account or (_RESTRICTED.search(text) and "account" in text.lower()):
        number = account.group(1) if account else "the line's account"
        mapped = map_hint(number) if map_hint and account else None
        verb = (f"ledgersync map {_MAP_WORDS.get(mapped[0], 'account')} {company} "
                f"{mapped[1]} ACCOUNTNO" if mapped else
                f"ledgersync map account {company} MMS_ACCOUNT ACCOUNTNO")
        return Resolution(
            action=Action.NEEDS_PERSON, code=code, message=f"{what}: {_first(error)}",
            remedy=f"Intacct refuses account {number} (unknown, inactive or restricted to "
            f"other locations). Make it active in Intacct, or map to a usable one: `{verb}` "
            f"(`ledgersync sage accounts {company}` lists them), then requeue")
    if _PERMISSION.search(text):
        return Resolution(
            action=Action.PAUSE_COMPANY, code=code, message=message,
            remedy="The Intacct user lacks a permission the API needs (General Ledger journal "
            f"entries, customers). Grant it to the Web Services user, then `ledgersync "
            f"companies resume {company}`")
    if _OFFLINE.search(text):
        return Resolution(action=Action.RETRY, code=code, message=message)
    if _RATE.search(text):
        return Resolution(action=Action.THROTTLE, code=code, message=message,
                          retry_after=THROTTLE_SECONDS)
    if _BALANCE.search(text):
        return Resolution(
            action=Action.NEEDS_PERSON, code=code, message=f"{what}: {_first(error)}",
            remedy="Intacct found the entry unbalanced (per entity in a multi-entity company): "
            "give every line a location of the same entity, or report it with this message")
    if _DUPLICATE.search(text):
        if request.kind == "member" and request.external_id is None:
            customer = getattr(request.record, "mms_id", "")
            return Resolution(action=Action.IN_DOUBT, code=code,
                              message=f"{message}: customer {customer!r} may exist already; "
                              "looking it up")
        return Resolution(action=Action.IN_DOUBT, code=code, message=message)
    correction = next((e.correction for e in error.errors if e.correction), "")
    return Resolution(
        action=Action.NEEDS_PERSON, code=code, message=f"{what}: {_first(error)}",
        remedy=(f"Intacct says: {correction}. " if correction else "") +
        "Correct it in Intacct or in the MMS, then `ledgersync requeue` the item")


def _first(error: IntacctFailure) -> str:
    """The specific error (Intacct follows it with generic "Could not create ..." ones)."""
    for e in error.errors:
        text = e.text()
        if text and not re.match(r"(Could not create|Currently, we can't)", text, re.I):
            return text
    return error.message
