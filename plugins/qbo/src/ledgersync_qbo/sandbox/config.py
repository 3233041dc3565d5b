"""Sandbox configuration (all knobs have QBO's documented defaults)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .seed import default_seed

__all__ = ["DEFAULT_REALM_ID", "SandboxConfig"]

DEFAULT_REALM_ID = "9341452123456789"


@dataclass(frozen=True)
class SandboxConfig:
    # companies
    realm_ids: tuple[str, ...] = (DEFAULT_REALM_ID,)
    auto_create_realms: bool = True       # an unknown realm id in a URL gets a seeded company
    seed: Mapping[str, tuple[Mapping[str, Any], ...]] = field(default_factory=default_seed)
    first_generated_id: int = 1001        # ids of created objects start here (or above seeds)
    timezone: str = "America/Los_Angeles"  # company time zone for MetaData and TxnDate
    user_id: str = "9130355221134566"      # MetaData.LastModifiedByRef

    # company preferences and books
    closing_date: date | None = None      # books closed on/before this date -> 6210
    # QBO has also been seen answering closed books with 5010 "Account Period Closed"
    # (python-quickbooks issue #208): "5010" makes the sandbox answer that way.
    closed_period_code: str = "6210"
    custom_txn_numbers: bool = True       # Preferences.SalesFormsPrefs.CustomTxnNumbers
    warn_duplicate_doc_numbers: bool = True  # duplicate DocNumber -> 6140
    duplicate_doc_number_entities: frozenset[str] = frozenset({"Invoice"})
    default_due_days: int = 30            # DueDate when neither the txn nor customer has terms
    default_deposit_account_id: str = "4"  # Payment without DepositToAccountRef -> Undeposited

    # OAuth
    require_auth: bool = True
    client_id: str = "sandbox-client-id"
    client_secret: str = "sandbox-client-secret"
    redirect_uris: tuple[str, ...] = ()   # empty: any redirect_uri is accepted
    access_token_ttl: float = 3600.0
    refresh_token_ttl: float = 8_726_400.0      # x_refresh_token_expires_in
    refresh_token_hard_ttl: float = 157_680_000.0  # five years
    refresh_token_grace: float = 0.0      # Intuit keeps old refresh tokens 24 h; strict here

    # limits
    requests_per_minute: int = 500        # per realm
    max_concurrent: int = 10              # per realm
    batch_requests_per_minute: int = 40   # per realm
    max_batch_items: int = 30
    max_query_results: int = 1000
    default_query_results: int = 100
    cdc_max_days: int = 30
    cdc_max_objects: int = 1000
    throttle_retry_after: int | None = None  # QBO sending Retry-After is unconfirmed: off
    requestid_max_length: int = 50
    # QBO answers a repeated requestid with the answer it gave the first time, faults
    # included; with this on, an injected fault answer is stored and replayed that way too.
    replay_injected_faults: bool = False

    # behaviour
    default_minor_version: int = 75       # no minorversion (or 1-74) -> 75 since 2025-08-01
    latency: float = 0.0                  # seconds to await in every API request
