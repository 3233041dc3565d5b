"""The connector contract kit: one test class every connector distribution runs against its
sandbox.

The kit is a pytest plugin (the ``pytest11`` entry point ``ledgersync``, see
:mod:`ledgersync.testing.plugin`): installing ``ledgersync`` is enough for pytest to
parametrize the inherited tests. Subclass :class:`ConnectorContract` in your connector's tests
and provide the fixtures marked "you provide"; pytest collects the inherited tests::

    from ledgersync.testing import ConnectorContract, ErrorCase

    class TestMyConnector(ConnectorContract):
        connector_class = MyConnector
        error_cases = [ErrorCase(MyApiError(429), Action.THROTTLE), ...]

        @pytest.fixture
        def settings(self, tmp_path):           # you provide: [companies.NAME.<connector>]
            return {"folder": str(tmp_path / "books")}

        @pytest.fixture
        def remote(self, settings):             # you provide: look into the remote system
            return MyProbe(settings["folder"])  # count(kind, mms_id) -> int, see RemoteProbe

        @pytest.fixture
        def check_mentions(self, settings):     # you provide: what check() must report
            return settings["folder"]

Two-stage connectors provide :meth:`ConnectorContract.settle` (the accounting system takes
in what was staged); the kit then also checks two-phase completion.

Pull-mode connectors (the remote side asks for work) override :meth:`ConnectorContract.sync`
to drive their remote's simulator, and prove in-doubt recovery in their own end-to-end tests.

Optional fixtures: ``mappings`` (remote ids of reference data your connector maps instead of
creating, e.g. QBO accounts), ``records`` (defaults to :func:`sample_records`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar, Protocol

import attrs
import pytest

from .._config import CompanyConfig, Config, check_config
from .._connector import (
    Connector,
    CustomerMatch,
    ExportRequest,
    ExportResult,
    Operation,
    PushConnector,
    StagedResult,
)
from .._engine.filters import ItemFilter
from .._engine.statuses import Status
from .._errors import ConnectorError
from .._ledger_api import Ledger
from .._plugins import connector_plugin
from .._records import RECORD_TYPES, Member, Record
from .._resolution import Action
from .samples import sample_records

COMPANY = "contract"


class RemoteProbe(Protocol):
    """How the kit looks into the remote system (your sandbox).

    Optional, for connectors that match members to existing customers (override
    ``map_customer``): ``add_customer(member) -> str`` creates a remote customer, outside
    ledgersync, that the connector's matching rule matches to ``member``, and returns its
    remote id; a second call creates a second such candidate.
    """

    def count(self, kind: str, mms_id: str) -> int:
        """How many remote records exist for this MMS record (exactly-once means 1)."""


@attrs.frozen
class ErrorCase:
    """A native failure of your remote system and the resolution it must be classified as;
    ``id`` names the case in the test report."""

    error: Exception
    action: Action
    id: str = ""

    def label(self, index: int) -> str:
        """The test id: ``id``, else the error type and its native code."""
        if self.id:
            return self.id
        code = getattr(self.error, "code", None)
        return f"{type(self.error).__name__}-{code if code is not None else index}"


def _dependencies(record: Record, records: list[Record]) -> list[Record]:
    """``record`` and every record of ``records`` it depends on, transitively."""
    by_key = {(r.kind, r.mms_id): r for r in records}
    chosen: dict[tuple[str, str], Record] = {}
    todo = [record]
    while todo:
        current = todo.pop()
        if (current.kind, current.mms_id) in chosen:
            continue
        chosen[(current.kind, current.mms_id)] = current
        todo.extend(by_key[(ref.kind, ref.mms_id)] for ref in current.references()
                    if (ref.kind, ref.mms_id) in by_key)
    return list(chosen.values())


class ConnectorContract:
    """Inherited tests every connector must pass. See the module docstring for the fixtures."""

    connector_class: ClassVar[type[Connector]]
    #: Native failures and their expected resolution; document every error your remote has.
    error_cases: ClassVar[list[ErrorCase]] = []
    #: True when exporting twice with the same idempotency key replays instead of writing.
    replays_idempotency_keys: ClassVar[bool] = True
    #: False for a remote that has no void (the two-stage QuickBooks Desktop path): the kit
    #: then skips the void test; say in the connector's README how voids are done instead.
    voids_records: ClassVar[bool] = True

    # -- fixtures you provide or may override ------------------------------------------------

    @pytest.fixture
    def settings(self) -> Mapping[str, Any]:
        pytest.fail("provide a `settings` fixture: the connector's config table")

    @pytest.fixture
    def remote(self) -> RemoteProbe:
        pytest.fail("provide a `remote` fixture with count(kind, mms_id)")

    @pytest.fixture
    def check_mentions(self) -> str:
        pytest.fail("provide a `check_mentions` fixture: text that check() reports only when it "
                    "really reached the remote (its company name, its folder, its user)")

    @pytest.fixture
    def error_case(self) -> ErrorCase:
        # The kit's pytest plugin parametrizes this from ``error_cases``; without the plugin
        # this fixture is what runs.
        pytest.fail("the contract kit's pytest plugin is not loaded: install ledgersync (its "
                    "pytest11 entry point) or run pytest with `-p ledgersync.testing.plugin`")

    @pytest.fixture
    def mappings(self) -> Mapping[tuple[str, str], str]:
        return {}

    @pytest.fixture
    def records(self) -> list[Record]:
        supported = self.connector_class.supported_kinds
        return [r for r in sample_records() if r.kind in supported]

    # -- the kit's own fixtures ----------------------------------------------------------------

    def make_ledger(
        self, tmp_path: Path, settings: Mapping[str, Any], mappings: Mapping[tuple[str, str], str],
        **company: Any,
    ) -> Ledger:
        cls = self.connector_class
        config = Config(
            ledger_url=f"sqlite:///{tmp_path / 'contract-ledger.db'}",
            companies={COMPANY: CompanyConfig(name=COMPANY, connector=cls.name,
                                              settings=dict(settings), **company)},
        )
        ledger = Ledger(config, plugins=[connector_plugin(cls)], load_entrypoints=False)
        for (kind, mms_id), external_id in mappings.items():
            ledger.map(COMPANY, kind, mms_id, external_id, actor="contract-kit")
        return ledger

    @pytest.fixture
    def ledger(
        self, tmp_path: Path, settings: Mapping[str, Any], mappings: Mapping[tuple[str, str], str]
    ) -> Iterator[Ledger]:
        ledger = self.make_ledger(tmp_path, settings, mappings)
        yield ledger
        ledger.close()

    @pytest.fixture
    def connector(self, ledger: Ledger) -> Connector:
        return ledger.connector(COMPANY)

    def sync(self, ledger: Ledger) -> int:
        """Sync the company until nothing is due; returns how many items were processed.

        Push-mode connectors need nothing more. A pull-mode connector overrides this to let
        its remote side (or its simulator) ask for the work, e.g. run Web Connector sessions.
        A two-stage connector alternates stage one with :meth:`settle` (the accounting
        system's own step) and stage two (``ledger.confirm_staged``) until nothing waits.
        """
        processed = ledger.sync(COMPANY).processed
        if not self.connector_class.two_stage:
            return processed
        for _ in range(20):  # dependents released by a confirmation go out in the next round
            staged = ledger.status_counts(COMPANY).get((COMPANY, Status.STAGED.value), 0)
            if not staged:
                break
            self.settle(ledger)
            ledger.confirm_staged(COMPANY)
            processed += ledger.sync(COMPANY).processed
        return processed

    def settle(self, ledger: Ledger) -> None:
        """Two-stage connectors: let the accounting system take in what was staged (e.g. run
        the sandbox's desktop sync)."""
        pytest.fail("a two-stage connector's contract test provides settle()")

    def request_for(self, ledger: Ledger, record: Record, key: str = "contract-key-1",
                    mappings: Mapping[tuple[str, str], str] | None = None) -> ExportRequest:
        """An export request with every reference resolved: from ``mappings``, or from the
        items already synced."""
        refs: dict[tuple[str, str], str] = {}
        for ref in record.references():
            if mappings and (ref.kind, ref.mms_id) in mappings:
                refs[(ref.kind, ref.mms_id)] = mappings[(ref.kind, ref.mms_id)]
                continue
            linked = [i for i in ledger.items(ItemFilter(company=COMPANY, kind=ref.kind,
                                                         mms_id=ref.mms_id))
                      if i.external_id]
            if linked:
                refs[(ref.kind, ref.mms_id)] = linked[0].external_id or ""
        return ExportRequest(item_id=0, company=COMPANY, kind=record.kind,
                             operation=Operation.CREATE, record=record, idempotency_key=key,
                             attempt=1, references=refs)

    @staticmethod
    def _push(connector: Connector) -> PushConnector[Any]:
        """The connector as a push connector; skips the test for a pull-mode one."""
        if not isinstance(connector, PushConnector):
            pytest.skip("pull-mode connectors are driven by their remote's sessions; their "
                        "direct export paths are proven in their own end-to-end tests")
        return connector

    def _statuses(self, ledger: Ledger) -> dict[tuple[str, str, str], str]:
        return {(i.kind, i.mms_id, i.operation): i.status for i in ledger.items(limit=None)}

    def _transaction(self, records: list[Record]) -> Record:
        chosen = next((r for r in records if r.kind == "invoice"), None) or next(
            (r for r in records if hasattr(r, "voided") and hasattr(r, "memo")), None)
        if chosen is None:
            pytest.skip("the connector exports no transactions: nothing to update or void")
        return chosen

    def _customer_probe(self, connector: Connector, remote: RemoteProbe) -> Any:
        if type(connector).map_customer is Connector.map_customer:
            pytest.skip("the connector does not match members to existing customers "
                        "(Connector.map_customer is not overridden)")
        add = getattr(remote, "add_customer", None)
        if add is None:
            pytest.skip("the remote probe has no add_customer(member): the kit cannot seed "
                        "customers to match")
        return add

    def _member(self, records: list[Record]) -> Member:
        member = next((r for r in records if isinstance(r, Member)), None)
        if member is None:
            pytest.skip("the connector does not export members")
        return member

    # -- the contract ----------------------------------------------------------------------------

    def test_connector_declares_itself(self) -> None:
        cls = self.connector_class
        assert cls.name
        assert cls.name == cls.name.lower()
        assert cls.display_name
        assert cls.supported_kinds, "a connector exports at least one kind"
        assert cls.supported_kinds <= set(RECORD_TYPES), "unknown record kinds declared"
        assert attrs.has(cls.settings_type), "settings_type must be an attrs class"

    def test_settings_are_valid_and_missing_keys_are_named(
        self, settings: Mapping[str, Any]
    ) -> None:
        cls = self.connector_class
        good = Config(ledger_url="sqlite://", companies={COMPANY: CompanyConfig(
            name=COMPANY, connector=cls.name, settings=dict(settings))})
        assert check_config(good, {cls.name: cls.settings_type}) == []
        required = [a.name for a in attrs.fields(cls.settings_type)
                    if a.default is attrs.NOTHING]
        if required:
            broken = dict(settings)
            broken.pop(required[0])
            bad = Config(ledger_url="sqlite://", companies={COMPANY: CompanyConfig(
                name=COMPANY, connector=cls.name, settings=broken)})
            problems = check_config(bad, {cls.name: cls.settings_type})
            assert any(f"companies.{COMPANY}.{cls.name}.{required[0]}" in p for p in problems)

    def test_check_describes_the_connection(self, connector: Connector,
                                            check_mentions: str) -> None:
        description = connector.check()
        assert isinstance(description, str)
        assert description.strip()
        assert "\n" not in description.strip(), "check() answers in one line"
        assert check_mentions in description, (
            f"check() must report what it reached ({check_mentions!r}), not a canned answer")

    def test_every_supported_kind_is_exported_exactly_once(
        self, ledger: Ledger, records: list[Record], remote: RemoteProbe
    ) -> None:
        ledger.record(records)
        self.sync(ledger)
        statuses = {(i.kind, i.mms_id): i.status for i in ledger.items(limit=None)}
        assert statuses == {(r.kind, r.mms_id): Status.SYNCED.value for r in records}
        for record in records:
            assert remote.count(record.kind, record.mms_id) == 1, record

    def test_recording_and_syncing_again_writes_nothing_new(
        self, ledger: Ledger, records: list[Record], remote: RemoteProbe
    ) -> None:
        ledger.record(records)
        self.sync(ledger)
        summary = ledger.record(records)
        assert summary["unchanged"] == len(records)
        assert self.sync(ledger) == 0
        assert all(remote.count(r.kind, r.mms_id) == 1 for r in records)

    def test_the_same_idempotency_key_never_writes_twice(
        self, ledger: Ledger, connector: Connector, records: list[Record], remote: RemoteProbe
    ) -> None:
        push = self._push(connector)
        if not self.replays_idempotency_keys:
            pytest.skip("this remote has no request-level idempotency; lookup covers retries")
        member = next((r for r in records if r.kind == "member"), None)
        if member is None:
            pytest.skip("the connector does not export members")
        request = self.request_for(ledger, member)
        first = push.export(request)
        second = push.export(request)
        assert _remote_id(second) == _remote_id(first)
        assert remote.count(member.kind, member.mms_id) == 1

    def test_dependencies_are_exported_first(
        self, ledger: Ledger, records: list[Record]
    ) -> None:
        ledger.record(records)  # the samples list the invoice before its member
        self.sync(ledger)
        by_key = {(i.kind, i.mms_id): i for i in ledger.items(limit=None)}
        for record in records:
            item = by_key[(record.kind, record.mms_id)]
            events = ledger.history(item.id)
            synced_at = next(e.at for e in events if e.to_status == Status.SYNCED.value)
            for ref in record.references():
                dep = by_key.get((ref.kind, ref.mms_id))
                if dep is None:
                    continue  # mapped, not exported
                dep_synced = next(e.at for e in ledger.history(dep.id)
                                  if e.to_status == Status.SYNCED.value)
                assert dep_synced <= synced_at, (record.kind, ref)

    def test_lookup_finds_what_an_interrupted_export_wrote(
        self, ledger: Ledger, connector: Connector, records: list[Record], remote: RemoteProbe
    ) -> None:
        push = self._push(connector)
        member = next((r for r in records if r.kind == "member"), records[0])
        request = self.request_for(ledger, member, key="contract-lookup")
        assert push.lookup(request) is None
        written = push.export(request)
        found = push.lookup(request)
        assert found is not None
        assert _remote_id(found) == _remote_id(written)
        assert remote.count(member.kind, member.mms_id) == 1

    def test_error_cases_are_declared(self) -> None:
        assert self.error_cases, (
            "declare error_cases: every documented native error and its resolution")

    def test_native_error_is_classified(
        self, connector: Connector, ledger: Ledger, records: list[Record], error_case: ErrorCase
    ) -> None:
        request = self.request_for(ledger, records[0])
        resolution = connector.classify_error(error_case.error, request)
        assert resolution.action is error_case.action
        assert resolution.message
        if error_case.action in (Action.NEEDS_PERSON, Action.PAUSE_COMPANY):
            assert resolution.remedy, "a person needs a remedy in plain words"

    def test_export_batch_answers_every_request_in_order(
        self, ledger: Ledger, connector: Connector, records: list[Record],
        mappings: Mapping[tuple[str, str], str], remote: RemoteProbe,
    ) -> None:
        push = self._push(connector)
        ready = [r for r in records
                 if all((ref.kind, ref.mms_id) in mappings for ref in r.references())]
        assert ready, "no sample record can be exported without its dependencies"
        size = max(2, type(push).batch_size)
        requests = [self.request_for(ledger, record, key=f"contract-batch-{n}",
                                     mappings=mappings)
                    for n, record in enumerate(ready[:size])]
        results = list(push.export_batch(requests))
        assert len(results) == len(requests)
        failed = [(q.describe(), r) for q, r in zip(requests, results, strict=True)
                  if not isinstance(r, ExportResult | StagedResult)]
        assert failed == []
        for request in requests:
            assert remote.count(request.kind, request.record.mms_id) == 1, request.describe()
        if self.replays_idempotency_keys:
            again = list(push.export_batch(requests))
            assert [_remote_id(r) for r in again] == [_remote_id(r) for r in results]
            for request in requests:
                assert remote.count(request.kind, request.record.mms_id) == 1

    def test_a_changed_record_updates_the_remote_one(
        self, ledger: Ledger, records: list[Record], remote: RemoteProbe
    ) -> None:
        record = self._transaction(records)
        ledger.record(_dependencies(record, records))
        self.sync(ledger)
        changed: Record = attrs.evolve(record, memo="changed after export (contract kit)")  # type: ignore[call-arg]  # _transaction() chose a record with a memo
        assert ledger.record([changed])["updated"] == 1
        self.sync(ledger)
        statuses = self._statuses(ledger)
        assert statuses[(record.kind, record.mms_id, Operation.UPDATE.value)] == "synced"
        assert set(statuses.values()) == {Status.SYNCED.value}
        items = ledger.items(ItemFilter(company=COMPANY, kind=record.kind,
                                        mms_id=record.mms_id), limit=None)
        assert len({i.external_id for i in items}) == 1, "the update wrote another record"
        assert remote.count(record.kind, record.mms_id) == 1

    def test_a_voided_record_voids_the_remote_one(
        self, ledger: Ledger, records: list[Record], remote: RemoteProbe
    ) -> None:
        if not self.voids_records:
            pytest.skip("the connector's remote cannot void (voids_records = False); its void "
                        "items need a person, with a remedy")
        record = self._transaction(records)
        ledger.record(_dependencies(record, records))
        self.sync(ledger)
        voided_record: Record = attrs.evolve(record, voided=True)  # type: ignore[call-arg]  # a transaction
        assert ledger.record([voided_record])["voided"] == 1
        self.sync(ledger)
        statuses = self._statuses(ledger)
        assert statuses[(record.kind, record.mms_id, Operation.VOID.value)] == "synced"
        assert set(statuses.values()) == {Status.SYNCED.value}
        assert remote.count(record.kind, record.mms_id) == 1, "a void keeps the record"
        voided = getattr(remote, "is_voided", None)
        if voided is not None:
            assert voided(record.kind, record.mms_id)

    def test_map_customer_links_the_one_matching_customer(
        self, connector: Connector, records: list[Record], remote: RemoteProbe
    ) -> None:
        add_customer = self._customer_probe(connector, remote)
        member = self._member(records)
        remote_id = add_customer(member)
        match = connector.map_customer(member)
        assert isinstance(match, CustomerMatch)
        assert match.external_id == remote_id
        assert match.matched_by

    def test_map_customer_never_guesses_between_two_candidates(
        self, connector: Connector, records: list[Record], remote: RemoteProbe
    ) -> None:
        add_customer = self._customer_probe(connector, remote)
        member = self._member(records)
        add_customer(member)
        add_customer(member)
        with pytest.raises(ConnectorError) as raised:
            connector.map_customer(member)
        assert raised.value.remedy, "say how to settle the tie"

    def test_map_customer_creates_when_nothing_matches(
        self, connector: Connector, records: list[Record], remote: RemoteProbe
    ) -> None:
        self._customer_probe(connector, remote)
        assert connector.map_customer(self._member(records)) is None

    def test_no_go_records_are_never_exported(
        self, tmp_path: Path, settings: Mapping[str, Any],
        mappings: Mapping[tuple[str, str], str], records: list[Record], remote: RemoteProbe,
    ) -> None:
        ledger = self.make_ledger(tmp_path, settings, mappings,
                                  in_sync_date=dt.date(2100, 1, 1))
        try:
            ledger.record(records)
            self.sync(ledger)
            for record in records:
                if record.document_date() is not None:
                    assert remote.count(record.kind, record.mms_id) == 0, record
            dated = [i for i in ledger.items(limit=None) if i.document_date is not None]
            assert dated
            assert all(i.status == Status.NO_GO.value for i in dated)
        finally:
            ledger.close()

    # -- reconciliation (connectors that answer the books' side) --------------------------------

    def test_books_transactions_list_every_synced_transaction_and_tie_out(
        self, ledger: Ledger, records: list[Record]
    ) -> None:
        if self.connector_class.books_transactions is Connector.books_transactions:
            pytest.skip("the connector does not list the books' transactions "
                        "(Connector.books_transactions is not overridden)")
        ledger.record(records)
        self.sync(ledger)
        try:
            listed = ledger.connector(COMPANY).books_transactions(None)
        except ConnectorError as exc:
            pytest.skip(f"the books' transactions are not readable here: {exc.message}")
        found = {(t.kind, t.remote_id) for t in listed}
        receivable = {"invoice", "payment", "credit_memo", "refund"}
        synced = {(i.kind, i.external_id) for i in ledger.items(limit=None)
                  if i.kind in receivable and i.external_id}
        assert synced, "the sample records hold receivable transactions"
        assert synced <= found, f"not listed: {sorted(synced - found)}"
        report = ledger.reconcile(COMPANY)
        assert report.source == "transactions"
        assert report.ties_out, [(c.member_id, c.difference, c.explanations)
                                 for c in report.mismatches]

    # -- two-phase completion (two-stage connectors only) ---------------------------------------

    def test_staged_records_wait_for_the_confirmation(
        self, ledger: Ledger, records: list[Record]
    ) -> None:
        if not self.connector_class.two_stage:
            pytest.skip("the connector writes in one stage")
        ledger.record(records)
        ledger.sync(COMPANY)
        items = ledger.items(limit=None)
        staged = [i for i in items if i.status == Status.STAGED.value]
        assert staged, "stage one stages what it wrote"
        assert not [i for i in items if i.status == Status.SYNCED.value and i.kind in {
            s.kind for s in staged}], "nothing is synced before the accounting system confirms"
        assert all(i.external_id is None for i in staged)
        sections = ledger.runs(company=COMPANY, limit=1)[0].sections
        assert sum(s.staged for s in sections) == len(staged)
        assert sum(s.ok for s in sections) == 0

    def test_confirmation_links_the_accounting_systems_id(
        self, ledger: Ledger, records: list[Record], remote: RemoteProbe
    ) -> None:
        if not self.connector_class.two_stage:
            pytest.skip("the connector writes in one stage")
        ledger.record(records)
        self.sync(ledger)
        for item in ledger.items(limit=None):
            assert item.status == Status.SYNCED.value, item
            assert item.external_id
        for record in records:
            assert remote.count(record.kind, record.mms_id) == 1, record


def _remote_id(result: object) -> object:
    """The remote's id of a result (the intermediary's while staged); anything else as is."""
    if isinstance(result, StagedResult):
        return result.intermediary_id
    return result.external_id if isinstance(result, ExportResult) else result
