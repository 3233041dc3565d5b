"""The mission hooks as policy plugins use them: handle_error, export wrappers, map_customer."""

from __future__ import annotations

import attrs

from ledgersync import Action, ConnectorError, CustomerMatch, Resolution, hookimpl


class EscalateTransient:
    """A policy: this company wants a person on every transient failure, no retries."""

    @hookimpl
    def ledgersync_handle_error(self, error, resolution):
        if resolution.action is Action.RETRY:
            return Resolution(action=Action.NEEDS_PERSON, code=resolution.code,
                              message=f"escalated: {resolution.message}",
                              remedy="Call the bookkeeper, then requeue")
        return None


class Notifier:
    """Observes every failure decision without changing it."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []

    @hookimpl
    def ledgersync_handle_error(self, company, request, error, resolution):
        self.seen.append((company.name, request.describe(), resolution.action.value))


def test_a_handle_error_hook_can_override_the_connectors_resolution(world, rec):
    ledger = world.open(plugins=(EscalateTransient(),))
    ledger.record([rec.member()])
    world.fail_next(ledger, "transient")

    ledger.sync("harbor")

    failed = world.item(ledger, "member", "M1")
    assert (failed.status, failed.attempts) == ("error", 1)
    assert failed.error_message == "escalated: the books are busy"
    assert failed.error_remedy == "Call the bookkeeper, then requeue"


def test_a_handle_error_hook_can_observe_without_changing_the_outcome(world, rec):
    notifier = Notifier()
    ledger = world.open(plugins=(notifier,))
    ledger.record([rec.member()])
    world.fail_next(ledger, "transient")

    ledger.sync("harbor")

    assert notifier.seen == [("harbor", "member 'M1'", "retry")]
    assert world.item(ledger, "member", "M1").status == "retry_wait"


class AddWarning:
    """Wraps every export: observes the request and adds a warning to the result."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []

    @hookimpl(wrapper=True)
    def ledgersync_export(self, request):
        self.requests.append((request.kind, request.operation.value))
        result = yield
        return attrs.evolve(result, warnings=(*result.warnings, "memo trimmed to 4000 chars"))


def test_an_export_wrapper_observes_and_adjusts_the_result(world, rec, books):
    wrapper = AddWarning()
    ledger = world.open(plugins=(wrapper,))
    ledger.record([rec.member(), rec.invoice()])

    ledger.sync("harbor")

    assert wrapper.requests == [("member", "create"), ("invoice", "create")]
    synced = world.item(ledger, "invoice", "I1")
    assert (synced.status, synced.reason) == ("synced", "memo trimmed to 4000 chars")
    [run] = ledger.runs()
    assert {s.kind: (s.ok, s.warning) for s in run.sections} == {"member": (0, 1),
                                                                 "invoice": (0, 1)}
    assert books.write_counts() == {("member", "M1", "create"): 1, ("invoice", "I1", "create"): 1}


class RefuseLargeInvoices:
    """A wrapper may also refuse: its error goes through handle_error like any other."""

    @hookimpl(wrapper=True)
    def ledgersync_export(self, request):
        if request.kind == "invoice" and request.record.total() > 1000:
            raise ConnectorError("over the approval limit", code="limit")
        return (yield)

    @hookimpl
    def ledgersync_handle_error(self, error):
        if isinstance(error, ConnectorError) and error.code == "limit":
            return Resolution(action=Action.NEEDS_PERSON, code="limit", message=str(error),
                              remedy="Get it approved, then requeue")
        return None


def test_an_export_wrapper_can_refuse_before_anything_is_written(world, rec, books):
    ledger = world.open(plugins=(RefuseLargeInvoices(),))
    ledger.record([rec.member(), rec.invoice("I1", amount="5000.00"), rec.invoice("I2")])

    ledger.sync("harbor")

    refused = world.item(ledger, "invoice", "I1")
    assert (refused.status, refused.error_code) == ("error", "limit")
    assert world.item(ledger, "invoice", "I2").status == "synced"
    assert ("invoice", "I1", "create") not in books.write_counts()


class MatchByEmail:
    def __init__(self, existing: dict[str, str]) -> None:
        self.existing = existing

    @hookimpl
    def ledgersync_map_customer(self, member, connector):
        found = self.existing.get(member.email or "")
        if found is None:
            return None
        return CustomerMatch(external_id=found, display_name=member.display_name,
                             matched_by="email")


def test_map_customer_links_a_member_to_an_existing_customer_without_a_write(world, rec, books):
    ledger = world.open(plugins=(MatchByEmail({"ann@example.org": "cust-77"}),))
    ledger.record([rec.member("M1", email="ann@example.org"),
                   rec.member("M2", name="Bob", email="bob@example.org"),
                   rec.invoice("I1", "M1")])

    ledger.sync("harbor")

    matched = world.item(ledger, "member", "M1")
    assert (matched.status, matched.external_id) == ("synced", "cust-77")
    assert "matched to existing customer 'Ann Sailor' by email" in \
        ledger.history(matched.id)[-1].reason
    assert books.write_counts() == {("member", "M2", "create"): 1,
                                    ("invoice", "I1", "create"): 1}
    assert books.body("invoice", "I1")["member_id"] == "M1"
