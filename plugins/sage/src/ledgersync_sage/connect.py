"""`ledgersync connect` for Intacct: sign in and say exactly which part is wrong."""

from __future__ import annotations

from ledgersync import ConnectorError

from .errors import IntacctFailure
from .functions import query
from .gateway import XmlGateway
from .rest import RestClient
from .settings import SageSettings


def check_rest(client: RestClient, settings: SageSettings) -> str:
    """Get a token and read one account over the REST API."""
    try:
        accounts = client.count("general-ledger/account")
    except IntacctFailure as failure:
        remedy = ("Check client_id and client_secret (the Sage App Registry), that the "
                  "company authorised ledgersync's sender ID, and entity_id"
                  if failure.level == "authentication" else
                  "Check api_base_url and the network, then try again")
        raise ConnectorError(f"the REST API sign-in failed: {failure.message}",
                             code=failure.code, remedy=remedy, sent=False) from None
    entity = f", entity {settings.entity_id}" if settings.entity_id else ", top level"
    return (f"Sage Intacct (REST): company {settings.company_id}{entity}, {accounts} GL "
            f"accounts ({client.base})")


def check(gateway: XmlGateway, settings: SageSettings) -> str:
    """Sign in (getAPISession) and read the company's session; one line on success, else a
    ConnectorError naming the layer at fault: sender, user login, entity."""
    try:
        gateway.forget_session()
        if settings.use_session:
            gateway.session()
        accounts = gateway.one(query("ls-check", "GLACCOUNT", ["ACCOUNTNO"], pagesize=1),
                               unique_id=False).count("totalcount")
    except IntacctFailure as failure:
        raise ConnectorError(_which_part(failure, settings), code=failure.code,
                             remedy=_remedy(failure, settings), sent=False) from None
    entity = f", entity {settings.entity_id}" if settings.entity_id else ", top level"
    return (f"Sage Intacct: company {settings.company_id} as {settings.user_id}{entity}, "
            f"{accounts} GL accounts (sender {settings.sender_id}, {gateway.endpoint})")


def _which_part(failure: IntacctFailure, settings: SageSettings) -> str:
    text = failure.details().lower()
    if "sender" in text or "web services authorization" in text:
        return (f"the sender ID {settings.sender_id!r} is not authorised by Intacct company "
                f"{settings.company_id!r}: {failure.message}")
    if failure.level == "control":
        return f"the sender credentials were refused: {failure.message}"
    if failure.level == "authentication":
        if settings.entity_id and ("location" in text or "entity" in text):
            return f"the entity {settings.entity_id!r} was refused: {failure.message}"
        return (f"the user login {settings.user_id!r} at company {settings.company_id!r} was "
                f"refused: {failure.message}")
    return f"Intacct could not be reached or answered oddly: {failure.message}"


def _remedy(failure: IntacctFailure, settings: SageSettings) -> str:
    text = failure.details().lower()
    if "sender" in text or "web services authorization" in text:
        return ("Ask the company's Intacct administrator to add the sender ID under Company > "
                "Setup > Company > Security > Web Services authorizations")
    if failure.level == "control":
        return "Check sender_id and sender_password (ledgersync's Web Services licence)"
    if failure.level == "authentication":
        return ("Check user_id, user_password, company_id and entity_id; the user should be a "
                "Web Services user with General Ledger rights")
    return "Check endpoint_url and the network, then try again"
