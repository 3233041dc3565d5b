"""One export request -> one qbXML write (or a refusal with a remedy, before anything is sent)."""

from __future__ import annotations

from collections.abc import Callable

from ledgersync import ExportRequest, Operation

from ..errors import QbdValidationError
from .customers import build_customer
from .model import BuildContext, Write
from .reissue import build_reissue, is_reissue
from .transactions import (
    build_credit_memo,
    build_invoice,
    build_journal_entry,
    build_payment,
    build_refund,
    build_void,
)

Builder = Callable[[ExportRequest, BuildContext], Write]

BUILDERS: dict[str, Builder] = {
    "member": build_customer,
    "invoice": build_invoice,
    "credit_memo": build_credit_memo,
    "payment": build_payment,
    "refund": build_refund,
    "journal_entry": build_journal_entry,
}
SUPPORTED_KINDS = frozenset(BUILDERS)
#: The kinds QuickBooks Desktop can change in place (CustomerMod, InvoiceMod, CreditMemoMod,
#: ReceivePaymentMod, JournalEntryMod).
UPDATABLE = frozenset({"member", "invoice", "credit_memo", "payment", "journal_entry"})


def build_write(request: ExportRequest, ctx: BuildContext) -> Write:
    """The request to send for ``request``; QbdValidationError when it cannot be sent."""
    kind = request.kind
    if kind not in BUILDERS:
        raise QbdValidationError(f"{request.describe()}: ledgersync does not write {kind} "
                                 "records to QuickBooks Desktop",
                                 remedy=f"Map the {kind} with `ledgersync map` instead")
    if request.operation is Operation.VOID and kind != "member":
        return build_void(request, ctx)
    if is_reissue(request):
        if not request.external_id:
            raise QbdValidationError(
                f"{request.describe()}: QuickBooks' TxnID of the refund is not known",
                remedy="Sync the refund's create item first, or link it with `ledgersync map`")
        return build_reissue(request, ctx)
    if request.operation is Operation.UPDATE and kind not in UPDATABLE:
        name = kind.replace("_", " ")
        raise QbdValidationError(
            f"{request.describe()} changed in the MMS after it was written; ledgersync does "
            f"not change a recorded {name} in QuickBooks Desktop",
            remedy=f"Void the {name} in the MMS and record a corrected one (both are "
            "written), or change it in QuickBooks by hand and mark this item go/cleared")
    return BUILDERS[kind](request, ctx)
