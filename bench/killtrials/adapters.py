"""The three HTTP connectors under kill trials: their sandbox, the company table that points
a ledger at it, what a write looks like on the wire, the records a trial syncs, and how many
remote objects each record became (exactly once means one)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

from ledgersync import Ledger, Record
from ledgersync.testing import sample_records

COMPANY = "harbor"


class HttpConnector(Protocol):
    name: str
    #: The connector's secrets, handed to the process under trial in its environment.
    env: Mapping[str, str]
    two_stage: bool

    def new_sandbox(self) -> Any: ...
    def asgi(self, sandbox: Any) -> Any: ...
    def company_table(self, sandbox: Any, base_url: str) -> str: ...
    def is_write(self, method: str, path: str, body: bytes) -> bool: ...
    def records(self) -> list[Record]: ...
    def prepare(self, ledger: Ledger, sandbox: Any) -> None: ...
    def count(self, sandbox: Any, kind: str, mms_id: str) -> int: ...
    def settle(self, ledger: Ledger, sandbox: Any) -> None: ...


def _toml(table: Mapping[str, Any]) -> str:
    lines = []
    for key, value in table.items():
        if isinstance(value, bool):
            lines.append(f"{key} = {'true' if value else 'false'}")
        elif isinstance(value, int | float):
            lines.append(f"{key} = {value}")
        else:
            lines.append(f'{key} = "{value}"')
    return "\n".join(lines) + "\n"


class Qbo:
    name = "qbo"
    env: Mapping[str, str] = {}
    two_stage = False

    def new_sandbox(self) -> Any:
        from ledgersync_qbo.sandbox import Sandbox

        return Sandbox()

    def asgi(self, sandbox: Any) -> Any:
        return sandbox.create_app()

    def company_table(self, sandbox: Any, base_url: str) -> str:
        from ledgersync_qbo.testing import sandbox_settings

        return _toml({**sandbox_settings(sandbox, base_url), "timeout_seconds": 5.0})

    def is_write(self, method: str, path: str, body: bytes) -> bool:
        return method == "POST" and "/v3/company/" in path and not path.endswith("/query")

    def records(self) -> list[Record]:
        return sample_records()

    def prepare(self, ledger: Ledger, sandbox: Any) -> None:
        from ledgersync_qbo.testing import SAMPLE_MAPPINGS, connect_sandbox

        for (kind, mms_id), remote in SAMPLE_MAPPINGS.items():
            ledger.map(COMPANY, kind, mms_id, remote)
        connect_sandbox(ledger, COMPANY, sandbox)

    def count(self, sandbox: Any, kind: str, mms_id: str) -> int:
        from ledgersync_qbo.testing import SandboxProbe

        return SandboxProbe(sandbox, self.records()).count(kind, mms_id)

    def settle(self, ledger: Ledger, sandbox: Any) -> None:
        return None


#: Sage's reference data the connector links without writing (as its contract test maps).
SAGE_MAPPINGS = {("gl_account", "4000"): "4000", ("gl_account", "4100"): "4100",
                 ("gl_account", "1000"): "1000", ("item", "SLIP-30"): "4100",
                 ("item", "DUES"): "4000", ("tax_rate", "TAX-6.25"): "2200",
                 ("terms", "NET30"): "NET30"}
_SAGE_WRITE = re.compile(rb"<(create|update|delete)>")


class Sage:
    name = "sage"
    env: Mapping[str, str] = {"SAGE_SENDER_PASSWORD": "sender-pass",
                              "SAGE_USER_PASSWORD": "user-pass"}
    two_stage = False

    def new_sandbox(self) -> Any:
        from ledgersync_sage.sandbox import Sandbox

        return Sandbox()

    def asgi(self, sandbox: Any) -> Any:
        from ledgersync_sage.sandbox.server import create_app

        return create_app(sandbox)

    def company_table(self, sandbox: Any, base_url: str) -> str:
        from ledgersync_sage.sandbox import XML_PATH

        return _toml({
            "sender_id": "ls_sender", "sender_password": "env:SAGE_SENDER_PASSWORD",
            "company_id": "HARBORCLUB", "user_id": "mms_api_user",
            "user_password": "env:SAGE_USER_PASSWORD", "ar_account": "1200",
            "tax_payable_account": "2200", "undeposited_funds_account": "1499",
            "endpoint_url": f"{base_url}{XML_PATH}", "timeout_seconds": 5.0,
        })

    def is_write(self, method: str, path: str, body: bytes) -> bool:
        return _SAGE_WRITE.search(body) is not None

    def records(self) -> list[Record]:
        from ledgersync_sage.connector import SageConnector

        return [r for r in sample_records() if r.kind in SageConnector.supported_kinds
                and r.kind not in ("item", "tax_rate", "terms")]

    def prepare(self, ledger: Ledger, sandbox: Any) -> None:
        for (kind, mms_id), remote in SAGE_MAPPINGS.items():
            ledger.map(COMPANY, kind, mms_id, remote)

    def count(self, sandbox: Any, kind: str, mms_id: str) -> int:
        return int(sandbox.count(kind, mms_id))

    def settle(self, ledger: Ledger, sandbox: Any) -> None:
        return None


_LEGACY_WRITE = re.compile(rb"<(\w+:)?(Add|Mod|Del|Revert)[\s>]")


class Legacy:
    """The two-stage path: the intermediary takes the write; the desktop's Sync Manager runs
    between the stages (``settle``)."""

    name = "quickbooks_legacy"
    env: Mapping[str, str] = {}
    two_stage = True

    def new_sandbox(self) -> Any:
        from ledgersync_quickbooks_legacy.testing import seeded_sandbox

        return seeded_sandbox()

    def asgi(self, sandbox: Any) -> Any:
        return sandbox.asgi

    def company_table(self, sandbox: Any, base_url: str) -> str:
        from ledgersync_quickbooks_legacy.testing import sandbox_settings

        return _toml({**sandbox_settings(sandbox, f"{base_url}/sb"), "timeout_seconds": 5.0})

    def is_write(self, method: str, path: str, body: bytes) -> bool:
        return method == "POST" and _LEGACY_WRITE.search(body) is not None

    def records(self) -> list[Record]:
        from ledgersync_quickbooks_legacy.objects import OBJECT_TYPES

        return [r for r in sample_records() if r.kind in OBJECT_TYPES]

    def prepare(self, ledger: Ledger, sandbox: Any) -> None:
        from ledgersync_quickbooks_legacy.testing import connect_sandbox, map_reference_data

        map_reference_data(ledger, COMPANY)
        connect_sandbox(ledger, COMPANY, sandbox)

    def count(self, sandbox: Any, kind: str, mms_id: str) -> int:
        from ledgersync_quickbooks_legacy.objects import OBJECT_TYPES, reference_of

        record = next(r for r in self.records() if (r.kind, r.mms_id) == (kind, mms_id))
        wanted = (OBJECT_TYPES.get(kind), reference_of(record))
        return sum(1 for o in sandbox.cloud.objects.values() if (o.kind, o.reference) == wanted)

    def settle(self, ledger: Ledger, sandbox: Any) -> None:
        sandbox.run_desktop()
        ledger.confirm_staged(COMPANY)


CONNECTORS: dict[str, type[Qbo] | type[Sage] | type[Legacy]] = {
    "qbo": Qbo, "sage": Sage, "quickbooks_legacy": Legacy}
