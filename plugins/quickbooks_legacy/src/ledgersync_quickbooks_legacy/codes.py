"""The status query's state and message codes, as the path documented them (see the
README's sources: quickeebooks' sync_status_response.rb paraphrasing Intuit's SyncStatus page).
Facts only; what each means for a sync item is in :mod:`~ledgersync_quickbooks_legacy.statemap`.
"""

from __future__ import annotations

#: StateCode -> StateDesc.
STATES: dict[int, str] = {
    1: "Synchronized",
    2: "Source record created",
    3: "Source record modified",
    4: "Next Gen record created",
    5: "Next Gen record modified",
    6: "Next Gen to Source, no ack",
    7: "Record has conflict",
    8: "Record netted with QB",
    9: "Record has conflict, unrecoverable",
}

#: MessageCode -> MessageDesc.
MESSAGES: dict[int, str] = {
    10: "ADD success",
    20: "MOD success",
    30: "QBXML sent to desktop",
    40: "WRTB success",
    50: "WRTB error",
    60: "ADD MOD error",
    70: "MBL Netter success using QB SDK ext_ack_id",
    80: "Auto_Revert",
    90: "DEL success",
    100: "Generic QB SDK communication failure",
    110: "Upload ADD success",
    120: "Upload MOD success",
    130: "Upload error",
    200: "Missing ExtAcctId with state 1, forced to 7",
    210: "Orphaned state 8, forced to 7",
    220: "Stuck in state 6, forced to 7",
    230: "Stuck in state 6, rolled back to prior state",
    240: "Sync Manager failed validation (ack error), forced to 7",
    250: "State rollback of all prior objects",
}

#: Object types of the QuickBooks Desktop flavour this connector writes, by URL resource.
RESOURCES: dict[str, str] = {
    "Customer": "customer",
    "Item": "item",
    "Invoice": "invoice",
    "Payment": "payment",
    "CreditMemo": "creditmemo",
    "JournalEntry": "journalentry",
    "SalesOrder": "salesorder",
}
#: Types the sandbox answers queries for without writing them (reference payload 09).
QUERY_ONLY: dict[str, str] = {"Check": "check", "CompanyMetaData": "companymetadata"}
