"""``[companies.NAME.qbo]``: the settings of one QuickBooks Online company.

Only ``realm_id``, ``client_id`` and ``client_secret`` are required; everything else has the
value a typical US club needs. `ledgersync config check` names any missing or mistyped key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

#: The OpenID discovery documents intuit-oauth knows by name (intuitlib/config.py).
DISCOVERY_URLS = {
    "sandbox": "https://developer.intuit.com/.well-known/openid_sandbox_configuration/",
    "production": "https://developer.intuit.com/.well-known/openid_configuration/",
}
#: The Accounting API hosts of the two named environments.
API_BASE_URLS = {
    "sandbox": "https://sandbox-quickbooks.api.intuit.com",
    "production": "https://quickbooks.api.intuit.com",
}
_ALIASES = {"sand": "sandbox", "prod": "production"}

MATCH_RULES = ("account_number", "email", "display_name")
REFUND_STYLES = ("journal_entry", "refund_receipt")


def _positive(_instance: Any, attribute: attrs.Attribute[Any], value: float) -> None:
    if value <= 0:
        raise ValueError(f"{attribute.name} must be greater than zero, got {value}")


def _batch_items(_instance: Any, _attribute: attrs.Attribute[Any], value: int) -> None:
    # QBO recommends at most 30 operations per batch request; more is fault 1040.
    if not 1 <= value <= 30:
        raise ValueError(f"batch_items must be between 1 and 30, got {value}")


def _match_by(_instance: Any, _attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
    unknown = [rule for rule in value if rule not in MATCH_RULES]
    if unknown:
        raise ValueError(f"match_by: unknown rule(s) {', '.join(unknown)}; "
                         f"use {', '.join(MATCH_RULES)}")


def _refund_style(_instance: Any, _attribute: attrs.Attribute[Any], value: str) -> None:
    if value not in REFUND_STYLES:
        raise ValueError(f"refund_style must be one of {', '.join(REFUND_STYLES)}")


@attrs.frozen(kw_only=True)
class QboSettings:
    """The QBO connector's keys. Secrets may be written ``"env:NAME"``.

    ``environment`` is ``sandbox``, ``production`` or the URL of an OpenID discovery document
    (as ``intuit-oauth`` accepts); with a URL, ``api_base_url`` says where the API is.
    """

    realm_id: str
    client_id: str
    client_secret: str
    environment: str = "sandbox"
    redirect_uri: str = "http://localhost:8725/callback"
    api_base_url: str | None = None
    #: Seconds before any HTTP call gives up (QBO itself stops at 120 s).
    timeout_seconds: float = attrs.field(default=30.0, validator=_positive)
    #: Seconds a whole request may take, its answer read in full: a server trickling bytes
    #: never trips ``timeout_seconds`` (per read). QBO stops processing at 120 s.
    request_deadline_seconds: float = attrs.field(default=150.0, validator=_positive)
    minor_version: int = 75
    #: Operations per batch request (QBO: at most 30).
    batch_items: int = attrs.field(default=30, validator=_batch_items)
    #: Batch requests a minute for the company, shared by all workers (QBO: 40 per app).
    batches_per_minute: int = attrs.field(default=40, validator=_positive)
    #: How a new member finds an existing customer, in order; never guessing between two.
    match_by: tuple[str, ...] = attrs.field(default=MATCH_RULES, validator=_match_by)
    #: The Customer field that holds the member's account number (QBO has none of its own),
    #: e.g. "ResaleNum"; when unset, the ``account_number`` rule is skipped.
    account_number_field: str | None = None
    #: Sales tax codes of a US company without automated sales tax.
    taxable_code: str = "TAX"
    non_taxable_code: str = "NON"
    home_currency: str = "USD"
    #: MMS payment method (e.g. "card") -> QuickBooks PaymentMethod id.
    payment_methods: Mapping[str, str] = attrs.field(factory=dict)
    #: MMS journal-line dimension values -> QuickBooks Class / Department ids.
    classes: Mapping[str, str] = attrs.field(factory=dict)
    departments: Mapping[str, str] = attrs.field(factory=dict)
    #: Refunds as an A/R journal entry (ties out with the MMS) or as a RefundReceipt.
    refund_style: str = attrs.field(default="journal_entry", validator=_refund_style)
    #: The Item a RefundReceipt line uses (refund_style = "refund_receipt").
    refund_item_id: str | None = None
    #: The Accounts Receivable account; found by type when unset.
    ar_account_id: str | None = None
    #: Apply a credit memo to the invoice the MMS applied it to (a zero-amount Payment).
    apply_credit_memos: bool = True

    def __attrs_post_init__(self) -> None:
        if self.environment_name is None and not self.api_base_url:
            raise ValueError("api_base_url is required when environment is a discovery URL")
        if self.refund_style == "refund_receipt" and not self.refund_item_id:
            raise ValueError('refund_style "refund_receipt" needs refund_item_id')

    @property
    def environment_name(self) -> str | None:
        """``sandbox`` or ``production``; None when ``environment`` is a discovery URL."""
        name = _ALIASES.get(self.environment.lower(), self.environment.lower())
        return name if name in DISCOVERY_URLS else None

    @property
    def discovery_url(self) -> str:
        name = self.environment_name
        return DISCOVERY_URLS[name] if name else self.environment

    @property
    def api_base(self) -> str:
        if self.api_base_url:
            return self.api_base_url.rstrip("/")
        name = self.environment_name
        assert name is not None  # checked in __attrs_post_init__
        return API_BASE_URLS[name]
