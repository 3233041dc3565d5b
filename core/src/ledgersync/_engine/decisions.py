"""What a resolution does to an item: link, throttle the company, pause it, look the record up
before the next attempt, retry with backoff, or ask a person. Outcomes are recorded through
:class:`~.completion.Completion`.
"""

from __future__ import annotations

import datetime as dt

import attrs
import sqlalchemy as sa

from .._connector import ExportRequest, ExportResult, Operation
from .._ledger.schema import companies
from .._resolution import Action, Resolution
from . import items
from .backoff import backoff_seconds
from .claims import ClaimedItem
from .completion import Completion, Outcome
from .context import EngineContext
from .outage import is_outage
from .statuses import Status


class Decisions:
    def __init__(self, ctx: EngineContext, completion: Completion) -> None:
        self.ctx = ctx
        self.completion = completion

    def apply(self, item: ClaimedItem, request: ExportRequest | None,
              resolution: Resolution) -> Outcome:
        """Record what ``resolution`` means for the item (``request``: what was being sent,
        None when the item never got that far)."""
        now = self.ctx.now()
        action = resolution.action
        finish = self.completion.finish
        if action is Action.LINK_EXISTING:
            assert resolution.external_id is not None
            return self.completion.synced(
                item,
                ExportResult(external_id=resolution.external_id,
                             version_token=resolution.version_token),
                reason=f"linked to the existing remote record: {resolution.message}",
            )
        if action is Action.THROTTLE:
            wait = resolution.retry_after if resolution.retry_after is not None else 60.0
            until = now + dt.timedelta(seconds=wait)
            with self.ctx.engine.begin() as conn:
                conn.execute(
                    sa.update(companies).where(companies.c.name == item.company)
                    .values(throttled_until=until, updated_at=now)
                )
            return finish(
                item, Status.RETRY_WAIT, level="warning", stop_company=True,
                reason=f"throttled: waiting {wait:g} s ({resolution.message})",
                values={"attempts": item.attempts - 1, "next_attempt_at": until},
                code=resolution.code,
            )
        if action is Action.PAUSE_COMPANY:
            with self.ctx.engine.begin() as conn:
                conn.execute(
                    sa.update(companies).where(companies.c.name == item.company).values(
                        paused_reason=resolution.message, paused_remedy=resolution.remedy,
                        paused_at=now, updated_at=now,
                    )
                )
            status = Status.IN_DOUBT if item.needs_lookup else Status.PENDING
            return finish(
                item, status, level="error", stop_company=True,
                reason=f"company paused: {resolution.message}",
                values={"attempts": item.attempts - 1, "next_attempt_at": now},
                code=resolution.code,
            )
        if is_outage(resolution):
            return self._outage(item, resolution, now)
        if action is Action.IN_DOUBT:
            if item.attempts >= self.ctx.settings.max_attempts:
                # Still no answer: a person decides; the next attempt still looks it up first.
                return self.error(item, attrs.evolve(
                    resolution, action=Action.NEEDS_PERSON,
                    message=f"{resolution.message}; still unknown after {item.attempts} "
                    "attempts whether the accounting system "
                    + ("has it" if item.operation == Operation.CREATE.value
                       else f"applied the {item.operation}"),
                    remedy=in_doubt_remedy(item, request),
                ))
            delay = self._backoff(item.attempts)
            return finish(
                item, Status.IN_DOUBT, level="warning",
                reason=f"{resolution.message}; will look it up before sending again",
                values={"needs_lookup": True,
                        "next_attempt_at": now + dt.timedelta(seconds=delay)},
                code=resolution.code,
            )
        if action in (Action.RETRY, Action.REFRESH_AUTH, Action.REREAD):
            if item.attempts >= self.ctx.settings.max_attempts:
                return self.error(item, attrs.evolve(
                    resolution, action=Action.NEEDS_PERSON,
                    message=f"{resolution.message} (gave up after {item.attempts} attempts)",
                    remedy=resolution.remedy
                    or "Check the accounting system is reachable, then requeue the item",
                ))
            delay = self._backoff(item.attempts)
            return finish(
                item, Status.RETRY_WAIT, level="warning",
                reason=f"{resolution.message}; retry in {delay:.0f} s",
                values={"next_attempt_at": now + dt.timedelta(seconds=delay),
                        "error_code": resolution.code, "error_message": resolution.message},
                code=resolution.code,
            )
        return self.error(item, resolution)

    def _outage(self, item: ClaimedItem, resolution: Resolution, now: dt.datetime) -> Outcome:
        """The system did not answer: no attempt spent; after a few in a row the company backs
        off as a whole (see ``outage.py``)."""
        backoff = self.completion.outages.failed(item.company, resolution.message)
        values: dict[str, object] = {"attempts": item.attempts - 1}
        if resolution.action is Action.IN_DOUBT:
            status, values["needs_lookup"] = Status.IN_DOUBT, True
            reason = f"{resolution.message}; will look it up before sending again"
        else:
            status = Status.RETRY_WAIT
            reason = resolution.message
        if backoff is None:
            values["next_attempt_at"] = now + dt.timedelta(seconds=self._backoff(1))
            return self.completion.finish(item, status, level="warning", reason=reason,
                                          values=values, code=resolution.code)
        until = now + dt.timedelta(seconds=backoff)
        values["next_attempt_at"] = until
        with self.ctx.engine.begin() as conn:
            conn.execute(sa.update(companies).where(companies.c.name == item.company)
                         .values(throttled_until=until, updated_at=now))
            items.note_company(
                conn, item.company, at=now, actor=item.lease_owner,
                reason=f"the accounting system is not answering ({resolution.message}); "
                f"the company waits {backoff:g} s before trying again (no attempts spent)")
        return self.completion.finish(
            item, status, level="warning", stop_company=True, code=resolution.code,
            reason=f"{reason}; the accounting system is unreachable, the company waits "
            f"{backoff:g} s", values=values)

    def retry_now(self, item: ClaimedItem, reason: str) -> Outcome:
        """Back to pending at once, the attempt not counted (credentials were refreshed)."""
        return self.completion.finish(
            item, Status.PENDING, level="info", reason=reason,
            values={"attempts": item.attempts - 1, "next_attempt_at": self.ctx.now()},
        )

    def error(self, item: ClaimedItem, resolution: Resolution) -> Outcome:
        """A person must act: the message and remedy are kept on the item."""
        return self.completion.finish(
            item, Status.ERROR, level="error", reason=resolution.message, code=resolution.code,
            values={"error_code": resolution.code, "error_message": resolution.message,
                    "error_remedy": resolution.remedy},
        )

    def block(self, item: ClaimedItem, reason: str) -> Outcome:
        """A dependency has no remote id yet: wait for it (no attempt spent)."""
        return self.completion.block(item, reason)

    def _backoff(self, attempt: int) -> float:
        settings = self.ctx.settings
        return backoff_seconds(
            attempt, base=settings.backoff_base_seconds, cap=settings.backoff_cap_seconds
        )


def in_doubt_remedy(item: ClaimedItem, request: ExportRequest | None) -> str:
    """What a person does about a write whose outcome stayed unknown. Only a create can be
    linked to what the accounting system holds (`ledgersync map`); an update or a void
    already has its record there, so the question is whether the change landed."""
    described = request.describe() if request is not None else (
        f"{item.kind} {item.mms_id!r}")
    if item.operation == Operation.CREATE.value:
        return (f"Check whether {described} exists in the accounting system. If it does, "
                "link it with `ledgersync map`; either way requeue it: ledgersync looks it up "
                "before sending it again")
    change = "voided" if item.operation == Operation.VOID.value else "changed as the MMS has it"
    return (f"Check in the accounting system whether {described} is {change}; either way "
            "requeue it (`ledgersync requeue`): ledgersync looks it up there and sends the "
            f"{item.operation} again only if it did not land. Linking with `ledgersync map` "
            "does not apply: the record is already linked")
