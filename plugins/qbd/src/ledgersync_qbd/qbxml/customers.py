"""Members as QuickBooks customers: CustomerAdd and CustomerMod.

Element order is the qbXML 13.0 ``CustomerAdd``/``CustomerMod`` sequence (as in
plugins/qbd/tests/data/qbxml-examples/customer_add.xml): Name, IsActive, CompanyName, FirstName,
LastName, BillAddress, Phone, Email, AccountNumber, ExternalGUID (Add only). A Mod sends only
what the MMS holds; a field the MMS emptied is left as it is in QuickBooks.
"""

from __future__ import annotations

from ledgersync import ExportRequest, Member, Operation

from ..errors import QbdValidationError
from .model import BuildContext, Finder, Write
from .refs import Element, external_guid, opt, sub
from .text import fit

NAME_MAX = 41
_ADDRESS = (("line1", "Addr1", 41), ("line2", "Addr2", 41), ("city", "City", 31),
            ("region", "State", 21), ("postal_code", "PostalCode", 13),
            ("country", "Country", 31))


class _Fields(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def customer_name(member: Member, template: str) -> str:
    """The customer Name from the ``customer_name`` template (blank fields render empty)."""
    values = _Fields(display_name=member.display_name, mms_id=member.mms_id,
                     account_number=member.account_number or "",
                     first_name=member.first_name or "", last_name=member.last_name or "",
                     company_name=member.company_name or "")
    name = " ".join(template.format_map(values).split())
    # ":" separates a job from its customer in a QuickBooks FullName ("Parent:Job").
    return name.replace(":", "-")


def build_customer(request: ExportRequest, ctx: BuildContext) -> Write:
    member = request.record
    assert isinstance(member, Member)
    warnings: list[str] = []
    what = request.describe()
    name = fit(customer_name(member, ctx.settings.customer_name), NAME_MAX, what=what,
               field="customer Name (from display_name)", identifying=True, warnings=warnings)
    if not name:
        raise QbdValidationError(f"{what}: the customer name is empty",
                                 remedy="Give the member a display name in the MMS")
    update = request.operation is Operation.UPDATE
    if request.operation is Operation.VOID:
        raise QbdValidationError(f"{what}: a customer cannot be voided",
                                 remedy="Make the member inactive in the MMS instead")
    tag = "CustomerMod" if update else "CustomerAdd"
    rq = Element(f"{tag}Rq")
    body = sub(rq, tag)
    if update:
        if not request.external_id:
            raise QbdValidationError(f"{what}: an update without the customer's ListID",
                                     remedy="Requeue the member's create item first")
        sub(body, "ListID", request.external_id)
        sub(body, "EditSequence", ctx.edit_sequence or request.version_token or "0")
    sub(body, "Name", name)
    if update or not member.active:
        sub(body, "IsActive", "true" if member.active else "false")

    def text(value: str | None, field: str, limit: int, parent: Element = body) -> None:
        if value:
            opt(parent, field, fit(value, limit, what=what, field=field, identifying=False,
                                   warnings=warnings))

    text(member.company_name, "CompanyName", 41)
    text(member.first_name, "FirstName", 25)
    text(member.last_name, "LastName", 25)
    address = member.billing_address
    if address is not None and any(getattr(address, f) for f, _, _ in _ADDRESS):
        bill = sub(body, "BillAddress")
        for attr, field, limit in _ADDRESS:
            text(getattr(address, attr), field, limit, bill)
    text(member.phone, "Phone", 21)
    text(member.email, "Email", 1023)
    account = None
    if member.account_number:
        account = fit(member.account_number, 99, what=what, field="AccountNumber",
                      identifying=True, warnings=warnings)
        sub(body, "AccountNumber", account)
    guid = external_guid(ctx.company, "member", member.mms_id)
    if not update:
        sub(body, "ExternalGUID", guid)
    finder = None if update else Finder("CustomerQueryRq", "FullName", name, guid, account)
    return Write(rq, f"{tag}Rq", finder, tuple(warnings))
