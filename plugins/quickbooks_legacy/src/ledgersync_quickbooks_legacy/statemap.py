"""What each status-query answer means for a staged item: one outcome and a remedy in plain
words for every documented state code (1-9) and message code (10-250).

The message code decides first where it names a failure or a loss (it is the more specific of
the two: 210 arrives with state 7 but means the record was orphaned); otherwise the state code
decides. An undocumented code keeps the item staged, flagged with the codes for a person.
"""

from __future__ import annotations

import attrs

from ledgersync import ConfirmOutcome

from .codes import MESSAGES, STATES

_OPEN = ("Make sure QuickBooks is open on the desktop with Sync Manager running and signed "
         "in; the record goes across at its next sync")


@attrs.frozen(kw_only=True)
class Meaning:
    outcome: ConfirmOutcome
    words: str
    remedy: str | None = None


#: Message codes that decide the outcome whatever the state code says.
BY_MESSAGE: dict[int, Meaning] = {
    50: Meaning(outcome=ConfirmOutcome.REJECTED,
                words="QuickBooks refused the write-back; the record is not in the company file",
                remedy="Read the desktop's message, correct the record in the MMS (or its "
                       "mapping), then requeue it"),
    60: Meaning(outcome=ConfirmOutcome.REJECTED,
                words="the intermediary could not take the add or change",
                remedy="Correct the record in the MMS as the message says, then requeue it"),
    80: Meaning(outcome=ConfirmOutcome.REJECTED,
                words="the write-back failed and the cloud copy was reverted to its prior state",
                remedy="Read the desktop's message, correct the record, then requeue it"),
    90: Meaning(outcome=ConfirmOutcome.ORPHANED,
                words="the record was deleted from the cloud copy and will not reach QuickBooks",
                remedy="Requeue it to send it again, unless it was deleted on purpose (then "
                       "mark it no-go)"),
    100: Meaning(outcome=ConfirmOutcome.STAGED,
                 words="Sync Manager could not talk to QuickBooks; it will try again",
                 remedy=_OPEN),
    130: Meaning(outcome=ConfirmOutcome.STAGED,
                 words="an upload from QuickBooks to the cloud failed; the desktop retries it",
                 remedy=_OPEN),
    200: Meaning(outcome=ConfirmOutcome.CONFLICT,
                 words="the record lost its link to QuickBooks (missing external account id)",
                 remedy="Open the record in the cloud copy, check it against QuickBooks, save it "
                        "again there, then requeue it"),
    210: Meaning(outcome=ConfirmOutcome.ORPHANED,
                 words="the record had synced but QuickBooks no longer has it (the company file "
                       "was restored from an older backup)",
                 remedy="Requeue it: ledgersync sends it again under a new request id, once"),
    220: Meaning(outcome=ConfirmOutcome.CONFLICT,
                 words="the write-back was stuck and Sync Manager gave up on it",
                 remedy="Check in QuickBooks whether it arrived; if not, requeue it (it is sent "
                        "again as a change of the same cloud record)"),
    230: Meaning(outcome=ConfirmOutcome.CONFLICT,
                 words="the write-back was stuck and was rolled back; QuickBooks does not have it",
                 remedy="Requeue it once Sync Manager runs again"),
    240: Meaning(outcome=ConfirmOutcome.CONFLICT,
                 words="Sync Manager could not confirm the write-back (acknowledgement failed)",
                 remedy="Check in QuickBooks whether it arrived; fix the record in the cloud copy "
                        "if needed, then requeue it"),
    250: Meaning(outcome=ConfirmOutcome.CONFLICT,
                 words="Sync Manager rolled back this and every earlier unsynced record",
                 remedy="Requeue the rolled-back records once Sync Manager runs again"),
}

#: The state code's meaning when the message code does not decide.
BY_STATE: dict[int, Meaning] = {
    1: Meaning(outcome=ConfirmOutcome.SYNCED, words="in QuickBooks and synchronized"),
    2: Meaning(outcome=ConfirmOutcome.STAGED,
               words="created in QuickBooks, not yet synchronized to the cloud", remedy=_OPEN),
    3: Meaning(outcome=ConfirmOutcome.STAGED,
               words="changed in QuickBooks, not yet synchronized to the cloud", remedy=_OPEN),
    4: Meaning(outcome=ConfirmOutcome.STAGED,
               words="in the cloud copy, waiting for the desktop's sync", remedy=_OPEN),
    5: Meaning(outcome=ConfirmOutcome.STAGED,
               words="changed in the cloud copy, waiting for the desktop's sync", remedy=_OPEN),
    6: Meaning(outcome=ConfirmOutcome.STAGED,
               words="being written into QuickBooks (no acknowledgement yet)", remedy=_OPEN),
    7: Meaning(outcome=ConfirmOutcome.CONFLICT, words="the record has a conflict",
               remedy="Fix the record in the cloud copy (or correct it in the MMS), then "
                      "requeue it"),
    8: Meaning(outcome=ConfirmOutcome.SYNCED,
               words="written into QuickBooks and acknowledged (netted)"),
    9: Meaning(outcome=ConfirmOutcome.REJECTED,
               words="QuickBooks cannot take this record (bad record or unsupported operation)",
               remedy="Correct the record in the MMS as the message says, then requeue it"),
}

#: Message codes that only report progress or success: the state code decides.
PROGRESS = frozenset({10, 20, 30, 40, 70, 110, 120})


def meaning(state_code: int, message_code: int | None) -> Meaning:
    """The outcome of one status row. A success message never overrides a failed state."""
    if message_code in BY_MESSAGE:
        found = BY_MESSAGE[message_code]
        # 100/130 are transient only while nothing failed: with state 7 or 9 the state rules.
        if found.outcome is not ConfirmOutcome.STAGED or state_code not in (7, 9):
            return found
    if state_code in BY_STATE:
        return BY_STATE[state_code]
    return Meaning(
        outcome=ConfirmOutcome.STAGED,
        words=f"an undocumented status (state {state_code}, message {message_code})",
        remedy="Check the record in the cloud copy and in QuickBooks; tell the ledgersync "
               "maintainers which codes you saw")


def describe(state_code: int, message_code: int | None) -> str:
    """The codes with the path's own descriptions, for messages and logs."""
    state = STATES.get(state_code, "undocumented")
    message = MESSAGES.get(message_code, "undocumented") if message_code is not None else "-"
    return f"state {state_code} ({state}), message {message_code} ({message})"
