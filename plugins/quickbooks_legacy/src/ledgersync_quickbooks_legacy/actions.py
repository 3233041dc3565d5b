"""What a person does in the cloud copy through ledgersync: release a draft, delete an object
(only drafts, or objects created here that failed to sync), revert an object to its last
synchronized version (only objects that synced once); and the customers' open balances."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

from ledgersync import ConnectorError

from .client import LegacyClient
from .codes import RESOURCES
from .exporter import request_id
from .settings import LegacySettings
from .xmlio import XSI_TYPE, q, sub, text

ACTIONS = {"release": "Mod", "delete": "Del", "revert": "Revert"}


def cloud_action(client: LegacyClient, settings: LegacySettings, action: str, kind: str,
                 ng_id: str, key: str) -> str:
    """Apply ``action`` to one cloud object; ``key`` makes its request id (a retry replays)."""
    query = ET.Element(q(f"{kind}Query"))
    sub(sub(query, f"{kind}IdSet"), "Id", ng_id, idDomain="NG")
    found = next(iter(client.post(RESOURCES[kind], query).iter(q(kind))), None)
    if found is None:
        raise ConnectorError(f"{kind} {ng_id} is not in the cloud copy", code="missing",
                             remedy="Check the id with `ledgersync items --status staged`")
    envelope = ET.Element(q(ACTIONS[action]), RequestId=request_id(key, action))
    sub(envelope, "OfferingId", "ipp")
    sub(envelope, "ExternalRealmId", settings.realm_id)
    obj = ET.SubElement(envelope, q("Object"), {XSI_TYPE: kind})
    sub(obj, "Id", ng_id, idDomain="NG")
    sub(obj, "SyncToken", text(found, "SyncToken") or "1")
    if action == "release":  # the same content, no longer a draft
        obj.extend(c for c in found if c.tag not in (
            q("Id"), q("SyncToken"), q("Synchronized"), q("Draft"), q("ExternalKey"),
            q("OpenBalance")))
    answer = client.post(RESOURCES[kind], envelope)
    ident = answer.find(f"{q('Success')}/{q('ObjectRef')}/{q('Id')}")
    return (ident.text or ng_id).strip() if ident is not None else ng_id


def open_balances(client: LegacyClient) -> dict[str, Decimal]:
    """Open balance per QuickBooks customer id (customers the desktop has)."""
    query = ET.Element(q("CustomerQuery"))
    sub(query, "SynchronizedFilter", "Synchronized")
    sub(query, "IncludeFinancialIndicator", "true")
    balances: dict[str, Decimal] = {}
    for customer in client.post(RESOURCES["Customer"], query).iter(q("Customer")):
        ident = customer.find(q("Id"))
        amount = text(customer.find(q("OpenBalance")), "Amount")
        if ident is not None and ident.get("idDomain") == "QB" and amount is not None:
            balances[(ident.text or "").strip()] = Decimal(amount)
    return balances


def company_name(client: LegacyClient) -> str:
    """The company's registered name, from the intermediary's company metadata."""
    answer = client.post("companymetadata", ET.Element(q("CompanyMetaDataQuery")))
    meta = answer.find(q("CompanyMetaData"))
    return text(meta, "QBNRegisteredCompanyName") or "(unnamed company)"
