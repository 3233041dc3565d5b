"""Helpers for testing against the QBO sandbox: settings that point a company at a sandbox,
tokens without the browser, the sample records' reference data, and a probe that counts what
the sandbox holds for an MMS record (the contract kit's ``remote``).
"""

from __future__ import annotations

from collections.abc import Iterable
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
