"""A complete ledgersync connector in one file: "folder books".

The accounting system here is a folder: each exported record becomes a JSON document named by
its remote id, as some bookkeeping tools import files. It shows everything a connector does:

- declare itself (name, kinds, a typed settings class: `ledgersync config check` names every
  missing key),
- export a record with the idempotency key, so a retry never writes twice,
- look a record up after a crash, by the MMS reference it stored remotely,
- match a member to a customer entered in the books by hand, never guessing between two,
- classify native errors into resolutions with a remedy in plain words,
- register through the ``ledgersync_connectors`` hook.

Package it with this in your ``pyproject.toml``::

    [project.entry-points.ledgersync]
    folderbooks = "ledgersync_folderbooks"

and prove it with the contract kit (``tests/test_contract.py`` beside this file).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import ClassVar

import attrs

from ledgersync import (
    Action,
    Connector,
    ConnectorError,
    CustomerMatch,
    ExportRequest,
    ExportResult,
    Member,
    Operation,
    PushConnector,
    Resolution,
    hookimpl,
    record_to_json,
)


@attrs.frozen(kw_only=True)
class FolderBooksSettings:
    """``[companies.NAME.folderbooks]``: where the books live."""

    folder: str


class FolderBooksError(ConnectorError):
    """The native error of this "system": a code and a message."""


class FolderBooksConnector(PushConnector[FolderBooksSettings]):
    name: ClassVar[str] = "folderbooks"
    display_name: ClassVar[str] = "Folder books"
    supported_kinds: ClassVar[frozenset[str]] = frozenset(
        {"member", "gl_account", "tax_rate", "terms", "item", "invoice", "payment",
         "credit_memo", "refund", "journal_entry"}
    )
    settings_type: ClassVar[type[FolderBooksSettings]] = FolderBooksSettings

    @property
    def folder(self) -> Path:
        path = Path(self.settings.folder)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _write(self, name: str, data: dict[str, object]) -> None:
        # Write-then-rename: a crash never leaves half a document behind.
        fd, tmp = tempfile.mkstemp(dir=self.folder)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, sort_keys=True)
        os.replace(tmp, self.folder / name)

    def export(self, request: ExportRequest) -> ExportResult:
        # The same idempotency key returns the first answer: a retry after a timeout or a
        # crash replays instead of writing a duplicate.
        receipt = self.folder / f"key-{request.idempotency_key}.json"
        if receipt.exists():
            remote_id = json.loads(receipt.read_text(encoding="utf-8"))["remote_id"]
            return ExportResult(external_id=remote_id)
        if request.operation is Operation.CREATE:
            remote_id = f"{request.kind}-{request.record.mms_id}"
            if (self.folder / f"{remote_id}.json").exists():
                raise FolderBooksError(f"{remote_id} exists", code="DUPLICATE")
        else:
            remote_id = request.external_id or ""
            if not (self.folder / f"{remote_id}.json").exists():
                raise FolderBooksError(f"{remote_id} was deleted", code="NOT_FOUND")
        document = {
            "mms_ref": [request.kind, request.record.mms_id],  # what lookup searches by
            "voided": request.operation is Operation.VOID,
            "record": record_to_json(request.record),
            "references": {f"{k}:{m}": v for (k, m), v in request.references.items()},
        }
        self._write(f"{remote_id}.json", document)
        self._write(receipt.name, {"remote_id": remote_id})
        return ExportResult(external_id=remote_id)

    def lookup(self, request: ExportRequest) -> ExportResult | None:
        remote_id = f"{request.kind}-{request.record.mms_id}"
        if (self.folder / f"{remote_id}.json").exists():
            return ExportResult(external_id=remote_id)
        return None

    def map_customer(self, member: Member) -> CustomerMatch | None:
        # Customers entered in the books by hand are customer-*.json documents. Match by
        # e-mail; two matches are a question for a person, never a guess.
        if not member.email:
            return None
        wanted = member.email.casefold()
        found = [path for path in sorted(self.folder.glob("customer-*.json"))
                 if str(json.loads(path.read_text(encoding="utf-8")).get("email", "")).casefold()
                 == wanted]
        if len(found) > 1:
            raise FolderBooksError(
                f"member {member.mms_id!r} matches {len(found)} customers by e-mail: "
                f"{', '.join(path.stem for path in found)}", code="AMBIGUOUS",
                remedy="Merge the duplicate customers in the books, or give one another "
                       "e-mail; then requeue the member")
        if not found:
            return None
        document = json.loads(found[0].read_text(encoding="utf-8"))
        return CustomerMatch(external_id=found[0].stem,
                             display_name=str(document.get("display_name", found[0].stem)),
                             matched_by="email")

    def classify_error(self, error: Exception, request: ExportRequest) -> Resolution:
        code = getattr(error, "code", None)
        if code == "DUPLICATE":
            found = self.lookup(request)
            if found is not None:
                return Resolution(action=Action.LINK_EXISTING, code=code, message=str(error),
                                  external_id=found.external_id)
        if code == "AMBIGUOUS":
            return Resolution(action=Action.NEEDS_PERSON, code=code, message=str(error),
                              remedy=getattr(error, "remedy", None) or "Merge the duplicates")
        if code == "NOT_FOUND":
            return Resolution(
                action=Action.NEEDS_PERSON, code=code,
                message=f"{request.describe()} was deleted from the books",
                remedy="Run `ledgersync unlink` on it so the next run creates it again",
            )
        if isinstance(error, OSError):
            return Resolution(action=Action.RETRY, message=f"the folder is not writable: {error}")
        # Anything unexpected may have been written: look it up before sending again.
        return Resolution(action=Action.IN_DOUBT, message=f"unexpected failure: {error}")

    def check(self) -> str:
        return f"{self.display_name} in {self.folder}"


@hookimpl
def ledgersync_connectors() -> list[type[Connector]]:
    return [FolderBooksConnector]
