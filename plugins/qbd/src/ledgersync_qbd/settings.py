"""``[companies.NAME.qbd]``: one Web Connector user per company and how its books are written.

Only ``username`` is required. The password is either ``password = "env:NAME"`` here or, better,
stored as a slow hash with `ledgersync qbd set-password COMPANY` (then nothing secret is in the
config file at all).
"""

from __future__ import annotations

from typing import Any

import attrs


def _positive(low: float, high: float) -> Any:
    def check(_instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
        if not low <= value <= high:
            raise ValueError(f"{attribute.name} must be between {low:g} and {high:g}, "
                             f"got {value:g}")

    return check


def _format(_instance: object, _attribute: attrs.Attribute[Any], value: str) -> None:
    # Catch a typo in the template when the config is checked, not at the first member.
    try:
        value.format_map(_Probe())
    except (KeyError, ValueError, IndexError) as exc:
        raise ValueError(f"customer_name {value!r} is not a valid template ({exc}); use "
                         "fields {display_name}, {account_number}, {mms_id}, {first_name}, "
                         "{last_name}, {company_name}") from None


class _Probe(dict[str, str]):
    FIELDS = ("display_name", "account_number", "mms_id", "first_name", "last_name",
              "company_name")

    def __missing__(self, key: str) -> str:
        if key not in self.FIELDS:
            raise KeyError(key)
        return "x"


@attrs.frozen(kw_only=True)
class QbdSettings:
    """The company's Web Connector user and qbXML choices."""

    #: The Web Connector user name (the .qwc's UserName); unique across companies.
    username: str
    #: ``env:NAME``; leave out and use `ledgersync qbd set-password COMPANY` instead.
    password: str | None = attrs.field(default=None, repr=False)
    #: Company file path the Web Connector should open; "" = the file already open.
    company_file: str = ""
    #: Requests per message set (per sendRequestXML round trip).
    message_set_size: int = attrs.field(default=25, validator=_positive(1, 500))
    #: How long items stay claimed by a session while QuickBooks works on them.
    lease_seconds: float = attrs.field(default=900.0, validator=_positive(30, 86400))
    #: A ticket expires after this long without a call.
    ticket_ttl_seconds: float = attrs.field(default=1800.0, validator=_positive(10, 86400))
    #: Another session of the company that called within this many seconds is live: answer
    #: ``busy``. An older one is taken as dead, and the new session recovers its work.
    busy_seconds: float = attrs.field(default=120.0, validator=_positive(0, 86400))
    #: The customer Name (at most 41 characters in QuickBooks).
    customer_name: str = attrs.field(default="{display_name}", validator=_format)
    #: Match new members to customers already in QuickBooks (from the last list read) by
    #: "account_number", "name", or "none".
    match_customers_by: str = attrs.field(
        default="account_number",
        validator=attrs.validators.in_(("account_number", "name", "none")))
    #: Sales tax code put on every item line: ledgersync writes tax as explicit lines of the
    #: mapped sales-tax item, so QuickBooks must not add its own on top.
    non_taxable_code: str = "Non"
    #: Accounts-receivable account (FullName or ListID); QuickBooks' default when empty.
    ar_account: str | None = None
    #: Item used for invoice lines that name only a GL account (the account overrides it).
    default_item: str | None = None
    #: MMS payment method -> QuickBooks payment method FullName (e.g. card = "Visa").
    payment_methods: dict[str, str] = attrs.field(factory=dict)
    #: The company file's home currency; records in another currency need a person.
    currency: str = "USD"
    #: Minutes between drift checks (records changed or deleted in QuickBooks after sync),
    #: run in the next Web Connector session once due; 0 = only when asked
    #: (`ledgersync qbd drift COMPANY`).
    drift_minutes: int = attrs.field(default=1440, validator=_positive(0, 525600))
    #: Highest qbXML version to speak (the host's highest is used when lower).
    max_qbxml_version: str = "13.0"
