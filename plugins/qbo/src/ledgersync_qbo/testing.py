"""Helpers for testing against the QBO sandbox: settings that point a company at a sandbox,
tokens without the browser, the sample records' reference data, and a probe that counts what
the sandbox holds for an MMS record (the contract kit's ``remote``), and a :class:`Bookkeeper`
who changes the books by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from ledgersync import Ledger, Member, Record

from .connector import QboConnector
from .mapping import display_name, entity_of, has_marker
from .oauth import Tokens
from .sandbox import Sandbox
from .sandbox.seed import default_seed
from .settings import QboSettings

#: `ledgersync.testing.sample_records()` reference data mapped to :func:`sample_seed` ids.
SAMPLE_MAPPINGS = {
    ("gl_account", "4000"): "79", ("gl_account", "4100"): "80", ("gl_account", "1000"): "35",
    ("tax_rate", "TAX-6.25"): "6", ("terms", "NET30"): "3",
}


def sample_seed() -> dict[str, tuple[dict[str, Any], ...]]:
    """The default sandbox company, which has the samples' 6.25 % sales tax code (id 6)."""
    return {k: tuple(v) for k, v in default_seed().items()}


def sandbox_settings(sandbox: Sandbox, base_url: str, **extra: Any) -> dict[str, Any]:
    """A ``[companies.NAME.qbo]`` table for a sandbox served at ``base_url``."""
    return {"realm_id": sandbox.default_realm_id, "client_id": sandbox.config.client_id,
            "client_secret": sandbox.config.client_secret,
            "environment": f"{base_url}/.well-known/openid_configuration",
            "api_base_url": base_url, **extra}


def connect_sandbox(ledger: Ledger, company: str, sandbox: Sandbox) -> Tokens:
    """Store sandbox-issued tokens for ``company``, as `ledgersync connect` would."""
    connector = ledger.connector(company)
    assert isinstance(connector, QboConnector)
    tokens = Tokens.from_response(sandbox.issue_tokens(), connector.context.utcnow(),
                                  sandbox.default_realm_id)
    connector.tokens.store(tokens)
    return tokens


class SandboxProbe:
    """How many sandbox objects stand for an MMS record (exactly once means 1): customers and
    items by name, transactions by their ``mms:<kind>:<id>`` note."""

    def __init__(self, sandbox: Sandbox, records: Iterable[Record],
                 settings: QboSettings | None = None) -> None:
        self.sandbox = sandbox
        self.records = {(r.kind, r.mms_id): r for r in records}
        self.settings = settings

    def objects(self, kind: str, mms_id: str) -> list[dict[str, Any]]:
        record = self.records.get((kind, mms_id))
        if kind == "member":
            name = display_name(record) if isinstance(record, Member) else None
            return [o for o in self.sandbox.objects("Customer") if o.get("DisplayName") == name]
        if kind == "item":
            name = getattr(record, "name", None)
            return [o for o in self.sandbox.objects("Item") if o.get("Name") == name]
        entity = entity_of(kind, self.settings) if self.settings else (
            "JournalEntry" if kind == "refund" else entity_of(kind, _DEFAULTS))
        return [o for o in self.sandbox.objects(entity) if has_marker(o, kind, mms_id)]

    def count(self, kind: str, mms_id: str) -> int:
        return len(self.objects(kind, mms_id))

    def add_customer(self, member: Member) -> str:
        """A customer entered in QuickBooks by hand, with the member's e-mail (the default
        ``match_by`` finds it); a second call adds a second one under another name."""
        taken = {o.get("DisplayName") for o in self.sandbox.objects("Customer")}
        number = 1
        while (name := f"{member.display_name} (entered by hand {number})") in taken:
            number += 1
        created = self.sandbox.company().write("Customer", {
            "DisplayName": name, "PrimaryEmailAddr": {"Address": member.email}})
        return str(created["Id"])


_DEFAULTS = QboSettings(realm_id="0", client_id="-", client_secret="-")


class Bookkeeper:
    """What a bookkeeper does in QuickBooks by hand, sent through the sandbox's API (so every
    QBO rule applies): the causes `ledgersync reconcile` must explain, made on purpose."""

    def __init__(self, sandbox: Sandbox, realm_id: str | None = None) -> None:
        self.sandbox = sandbox
        self.realm_id = realm_id or sandbox.default_realm_id

    def _post(self, entity: str, body: dict[str, Any], **params: str) -> dict[str, Any]:
        import httpx

        from .sandbox import SandboxTransport, jsonio

        with httpx.Client(transport=SandboxTransport(self.sandbox), base_url="http://qbo",
                          headers=self.sandbox.auth_headers(self.realm_id)) as client:
            response = client.post(f"/v3/company/{self.realm_id}/{entity.lower()}",
                                   params=params, content=jsonio.dumps(body),
                                   headers={"Content-Type": "application/json"})
        answer: dict[str, Any] = jsonio.loads(response.content)
        if response.status_code != 200 or "Fault" in answer:
            raise AssertionError(f"QuickBooks refused the {entity} write: {response.text}")
        result: dict[str, Any] = answer[entity]
        return result

    def _current(self, entity: str, id_: str) -> dict[str, Any]:
        current = self.sandbox.get(entity, id_, self.realm_id)
        if current is None:
            raise AssertionError(f"{entity} {id_} is not in the sandbox")
        return current

    def _sparse(self, entity: str, id_: str, **fields: Any) -> dict[str, Any]:
        current = self._current(entity, id_)
        return self._post(entity, {"Id": id_, "SyncToken": current["SyncToken"],
                                   "sparse": True, **fields})

    def edit_invoice_amount(self, invoice_id: str, amount: Decimal) -> dict[str, Any]:
        """Rewrite the invoice as one line of its first item for ``amount`` (tax code kept)."""
        first = next(line for line in self._current("Invoice", invoice_id)["Line"]
                     if line.get("DetailType") == "SalesItemLineDetail")
        detail = first["SalesItemLineDetail"]
        return self._sparse("Invoice", invoice_id, Line=[{
            "DetailType": "SalesItemLineDetail", "Amount": amount,
            "SalesItemLineDetail": {"ItemRef": detail["ItemRef"], "Qty": 1,
                                    "UnitPrice": amount, "TaxCodeRef": detail["TaxCodeRef"]}}])

    def delete(self, entity: str, id_: str) -> None:
        current = self._current(entity, id_)
        self._post(entity, {"Id": id_, "SyncToken": current["SyncToken"]},
                   operation="delete")

    def void_invoice(self, invoice_id: str) -> dict[str, Any]:
        current = self._current("Invoice", invoice_id)
        return self._post("Invoice", {"Id": invoice_id, "SyncToken": current["SyncToken"]},
                          operation="void")

    def delete_customer(self, customer_id: str) -> list[tuple[str, str]]:
        """QBO deletes a customer by making it inactive, which it refuses while the customer
        has an open balance: so its payments, invoices and credit memos go first. Returns the
        transactions deleted."""
        deleted: list[tuple[str, str]] = []
        for entity in ("Payment", "CreditMemo", "Invoice"):
            for obj in self.sandbox.objects(entity, self.realm_id):
                if (obj.get("CustomerRef") or {}).get("value") == customer_id:
                    self.delete(entity, str(obj["Id"]))
                    deleted.append((entity, str(obj["Id"])))
        self._sparse("Customer", customer_id, Active=False)
        return deleted

    def enter_invoice(self, customer_id: str, amount: Decimal, *, txn_date: str,
                      item_id: str = "21", tax_code: str | None = None,
                      doc_number: str | None = None) -> dict[str, Any]:
        """An invoice typed into QuickBooks: no ledgersync note, no ledger link."""
        body: dict[str, Any] = {
            "CustomerRef": {"value": customer_id}, "TxnDate": txn_date,
            "Line": [{"DetailType": "SalesItemLineDetail", "Amount": amount,
                      "SalesItemLineDetail": {"ItemRef": {"value": item_id}, "Qty": 1,
                                              "UnitPrice": amount,
                                              "TaxCodeRef": {"value": "TAX" if tax_code
                                                             else "NON"}}}]}
        if tax_code:
            body["TxnTaxDetail"] = {"TxnTaxCodeRef": {"value": tax_code}}
        if doc_number:
            body["DocNumber"] = doc_number
        return self._post("Invoice", body)

    def apply_payment_to(self, payment_id: str, invoice_id: str) -> dict[str, Any]:
        """Re-apply the whole payment to another invoice of the same customer."""
        total = Decimal(str(self._current("Payment", payment_id)["TotalAmt"]))
        return self._sparse("Payment", payment_id, Line=[{
            "Amount": total, "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}]}])

    def change_tax_code(self, invoice_id: str, tax_code: str) -> dict[str, Any]:
        """Pick another sales tax code on the invoice: QBO recomputes the tax at its rate."""
        return self._sparse("Invoice", invoice_id,
                            TxnTaxDetail={"TxnTaxCodeRef": {"value": tax_code}})
