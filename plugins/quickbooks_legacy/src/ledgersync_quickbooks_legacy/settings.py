"""``[companies.NAME.quickbooks_legacy]``: the settings of one two-stage company.

The consumer key and secret are the app's (``"env:NAME"`` keeps them out of the file); the
access token and secret come from connecting and live encrypted in the ledger's secret store
(`ledgersync quickbooks_legacy connect`), never in the config.
"""

from __future__ import annotations

from typing import Any

import attrs

#: The intermediary's base URL (reference: ``https://services.intuit.com/sb/<resource>/v2/<realm>``).
DEFAULT_BASE_URL = "https://services.intuit.com/sb"
DEFAULT_RECONNECT_URL = "https://appcenter.intuit.com/api/v1/connection/reconnect"


def _positive(_instance: Any, attribute: attrs.Attribute[Any], value: float) -> None:
    if value <= 0:
        raise ValueError(f"{attribute.name} must be greater than zero, got {value}")


def _batch(_instance: Any, attribute: attrs.Attribute[Any], value: int) -> None:
    if not 1 <= value <= 500:
        raise ValueError(f"{attribute.name} must be between 1 and 500, got {value}")


@attrs.frozen(kw_only=True)
class LegacySettings:
    """The two-stage connector's keys. Secrets may be written ``"env:NAME"``."""

    realm_id: str
    consumer_key: str
    consumer_secret: str
    base_url: str = DEFAULT_BASE_URL
    reconnect_url: str = DEFAULT_RECONNECT_URL
    #: Seconds to connect, and for each read of an answer.
    timeout_seconds: float = attrs.field(default=30.0, validator=_positive)
    #: Seconds a whole request may take, its answer read in full: a server trickling bytes
    #: never trips ``timeout_seconds`` (per read). Past it the request timed out (in doubt).
    request_deadline_seconds: float = attrs.field(default=120.0, validator=_positive)
    #: A record in write-back (state 6) longer than this is flagged for a person.
    writeback_stall_minutes: float = attrs.field(default=240.0, validator=_positive)
    #: NG ids per status query.
    status_batch: int = attrs.field(default=100, validator=_batch)
    #: Write new records as drafts: they stay in the cloud copy until released
    #: (`ledgersync quickbooks_legacy release-drafts`).
    send_as_draft: bool = False
    #: The QuickBooks Accounts Receivable account (its QB id), for refunds, which go to the
    #: desktop as journal entries against the member's receivable.
    ar_account_id: str | None = None

    @property
    def base(self) -> str:
        return self.base_url.rstrip("/")
