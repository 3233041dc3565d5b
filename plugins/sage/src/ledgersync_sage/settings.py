"""``[companies.NAME.sage]``: the settings of one Sage Intacct company.

Credentials come in two layers: the *sender* (ledgersync's Web Services licence, which each
company must authorise) and the *user* of the company. Secrets may be written ``"env:NAME"``.
The posting map says where MMS transactions land: the A/R account, tax payable, undeposited
funds; income accounts come from each MMS item's income account (or `ledgersync map item`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

XML_ENDPOINT = "https://api.intacct.com/ia/xml/xmlgw.phtml"
REST_BASE_URL = "https://api.intacct.com/ia/api/v1"

#: MMS dimension names and the GLENTRY field each fills; a company adds its
#: custom dimensions (``GLDIM...`` fields) in ``dimension_fields``.
STANDARD_DIMENSIONS = {
    "location": "LOCATION", "department": "DEPARTMENT", "class": "CLASSID",
    "project": "PROJECTID", "customer": "CUSTOMERID", "vendor": "VENDORID",
    "employee": "EMPLOYEEID", "item": "ITEMID", "task": "TASKID", "contract": "CONTRACTID",
    "warehouse": "WAREHOUSEID",
}
APIS = ("xml", "rest")
STATES = ("posted", "draft")


def _positive(_instance: Any, attribute: attrs.Attribute[Any], value: float) -> None:
    if value <= 0:
        raise ValueError(f"{attribute.name} must be greater than zero, got {value}")


def _one_of(choices: tuple[str, ...]) -> Any:
    def check(_instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
        if value not in choices:
            raise ValueError(f"{attribute.name} must be one of {', '.join(choices)}, "
                             f"got {value!r}")
    return check


def _functions(_instance: Any, _attribute: attrs.Attribute[Any], value: int) -> None:
    # Keep a request well below the gateway's size limits; each function is one journal entry.
    if not 1 <= value <= 100:
        raise ValueError(f"functions_per_request must be between 1 and 100, got {value}")


def _dimension_fields(_instance: Any, _attribute: attrs.Attribute[Any],
                      value: Mapping[str, str]) -> None:
    for name, field in value.items():
        if not field or not field.replace("_", "").isalnum() or field != field.upper():
            raise ValueError(f"dimension_fields.{name}: {field!r} is not a GLENTRY field name "
                             "(upper case, e.g. GLDIMFUND)")


@attrs.frozen(kw_only=True)
class SageSettings:
    """The Sage Intacct connector's keys."""

    company_id: str
    #: The Intacct account number of accounts receivable (the posting map's A/R side).
    ar_account: str
    api: str = attrs.field(default="xml", validator=_one_of(APIS))
    #: XML gateway: the sender (ledgersync's Web Services licence) and the company's user.
    sender_id: str | None = None
    sender_password: str | None = None
    user_id: str | None = None
    user_password: str | None = None
    #: REST API: the OAuth 2.0 client from the Sage App Registry.
    client_id: str | None = None
    client_secret: str | None = None
    #: REST: "client_credentials", or "authorization_code" (after `ledgersync sage authorize`,
    #: tokens refreshed with the stored refresh token).
    oauth_grant: str = attrs.field(default="client_credentials",
                                   validator=_one_of(("client_credentials",
                                                      "authorization_code")))
    api_base_url: str = REST_BASE_URL
    #: Multi-entity: the entity (location id) to sign in to; empty = top level.
    entity_id: str | None = None
    endpoint_url: str = XML_ENDPOINT
    #: Sign in once with getAPISession and use its session id (else log in on every request).
    use_session: bool = True
    #: Renew the session when less than this many seconds of it are left.
    session_renew_seconds: float = attrs.field(default=300.0, validator=_positive)
    #: Seconds to connect, and for each read of an answer.
    timeout_seconds: float = attrs.field(default=60.0, validator=_positive)
    #: Seconds a whole request may take, its answer read in full: a server trickling bytes
    #: never trips ``timeout_seconds`` (per read). Past it the request timed out (in doubt).
    request_deadline_seconds: float = attrs.field(default=150.0, validator=_positive)
    journal: str = "GJ"
    state: str = attrs.field(default="posted", validator=_one_of(STATES))
    #: Where payments without a deposit account go, and tax when a rate is not mapped.
    undeposited_funds_account: str | None = None
    tax_payable_account: str | None = None
    #: Create members as Intacct customers and tag A/R lines with their CUSTOMERID.
    create_customers: bool = True
    customer_id_prefix: str = ""
    #: Extra MMS dimension names -> GLENTRY field (custom dimensions such as GLDIMFUND).
    dimension_fields: Mapping[str, str] = attrs.field(factory=dict, validator=_dimension_fields)
    #: Per dimension, MMS value -> Intacct id. A dimension with a table here accepts only the
    #: values in it; a dimension without one passes MMS values through unchanged.
    dimension_values: Mapping[str, Mapping[str, str]] = attrs.field(factory=dict)
    #: Values for lines that carry none of that dimension (e.g. location in multi-entity).
    default_dimensions: Mapping[str, str] = attrs.field(factory=dict)
    #: Journal entries sent in one request (each its own function; none depends on another).
    functions_per_request: int = attrs.field(default=20, validator=_functions)
    #: Prefix of the REFERENCENO ledgersync writes (and queries after a doubt).
    reference_prefix: str = "LS"

    def __attrs_post_init__(self) -> None:
        needed = (("sender_id", "sender_password", "user_id", "user_password")
                  if self.api == "xml" else ("client_id", "client_secret"))
        missing = [name for name in needed if not getattr(self, name)]
        if missing:
            raise ValueError(f"api = \"{self.api}\" needs {', '.join(missing)}")
        for name in (*self.dimension_values, *self.default_dimensions):
            if name not in self.all_dimension_fields:
                raise ValueError(f"dimension {name!r} has no GLENTRY field: add "
                                 f"dimension_fields.{name} = \"GLDIM...\"")

    @property
    def all_dimension_fields(self) -> dict[str, str]:
        return {**STANDARD_DIMENSIONS, **self.dimension_fields}
