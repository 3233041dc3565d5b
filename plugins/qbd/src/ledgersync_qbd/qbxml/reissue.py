"""A changed refund: qbXML 13.0 has no ARRefundCreditCardMod (nor a Mod for the check that
refunds an overpayment), so the refund is written anew and the old one deleted.

Exactly once, in this order, for one sync item:

1. **find**: look the new refund up first (RefNumber; ours = our ExternalGUID and not the old
   TxnID): a session that died after step 3 left it there, and it is not written twice.
2. **remove**: ``TxnDelRq`` of the old TxnID; "not found" (3120) means it is gone already.
   The old refund goes first because it holds the credit the new one draws on (a refund of a
   whole credit memo could not be written beside it).
3. **write**: ``ARRefundCreditCardAddRq`` (or ``CheckAddRq``) for the MMS's current version,
   unless step 1 found it; only then does the item record the new TxnID.

The item stays unfinished until step 3 is confirmed: a session cut off after step 2 gives it
back, and the next one starts again at step 1 (nothing found), step 2 (3120: already gone)
and step 3. So the sequence never ends with two refunds, nor with none unless QuickBooks
refuses the new one, which is an error on the item with QuickBooks' reason.
"""

from __future__ import annotations

import attrs

from ledgersync import ExportRequest, Operation

from .model import BuildContext, Write
from .refs import Element, sub
from .transactions import build_refund, txn_type_of

STAGES = ("find", "remove", "write")


def is_reissue(request: ExportRequest) -> bool:
    return request.operation is Operation.UPDATE and request.kind == "refund"


def build_reissue(request: ExportRequest, ctx: BuildContext) -> Write:
    """The new refund's Add, its finder excluding the old TxnID, and the old one's delete."""
    old = request.external_id
    new = build_refund(attrs.evolve(request, operation=Operation.CREATE), ctx)
    assert new.finder is not None
    removal = Element("TxnDelRq")
    sub(removal, "TxnDelType", txn_type_of(request.record))
    sub(removal, "TxnID", old or "")
    return attrs.evolve(new, finder=attrs.evolve(new.finder, exclude_id=old), then=removal)
