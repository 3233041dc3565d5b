"""What to do about a failed export: the vocabulary shared by connectors, hooks and the engine."""

from __future__ import annotations

import enum

import attrs


class Action(enum.StrEnum):
    """How the engine reacts to a failure.

    ``RETRY``          transient (5xx, timeout before sending, busy): capped exponential backoff.
    ``THROTTLE``       the remote asked us to slow down: wait ``retry_after`` without spending an
                       attempt, and hold the whole company back for that long.
    ``REFRESH_AUTH``   the access token expired: refresh it and retry at once.
    ``REREAD``         stale version token (SyncToken, EditSequence): re-read and retry at once.
    ``LINK_EXISTING``  the record already exists remotely (duplicate): link to ``external_id``.
    ``IN_DOUBT``       the request may have been applied (timeout after sending): look it up
                       before anything is sent again.
    ``NEEDS_PERSON``   nothing will change until a person acts: status ``error`` with a remedy.
    ``PAUSE_COMPANY``  authorisation lost or subscription lapsed: pause the company, keep items.
    """

    RETRY = "retry"
    THROTTLE = "throttle"
    REFRESH_AUTH = "refresh_auth"
    REREAD = "reread"
    LINK_EXISTING = "link_existing"
    IN_DOUBT = "in_doubt"
    NEEDS_PERSON = "needs_person"
    PAUSE_COMPANY = "pause_company"


@attrs.frozen(kw_only=True)
class Resolution:
    """A connector's (or a policy plugin's) decision about one failure.

    ``message`` says what happened in plain words, ``remedy`` what a person should do (required
    for ``NEEDS_PERSON`` and ``PAUSE_COMPANY``), ``code`` keeps the native error code.
    """

    action: Action
    message: str
    code: str | None = None
    remedy: str | None = None
    retry_after: float | None = None
    external_id: str | None = None
    version_token: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.action in (Action.NEEDS_PERSON, Action.PAUSE_COMPANY) and not self.remedy:
            raise ValueError(f"a {self.action.value} resolution needs a remedy for the user")
        if self.action is Action.LINK_EXISTING and not self.external_id:
            raise ValueError("a link_existing resolution needs the external_id to link to")


class Vote(enum.StrEnum):
    """A plugin's go/no-go vote on one transaction."""

    GO = "go"
    NO_GO = "no_go"


@attrs.frozen
class GoNoGo:
    """A vote with its reason; any ``NO_GO`` wins and its reason is shown to the user."""

    vote: Vote
    reason: str

    @classmethod
    def no_go(cls, reason: str) -> GoNoGo:
        return cls(Vote.NO_GO, reason)

    @classmethod
    def go(cls, reason: str = "") -> GoNoGo:
        return cls(Vote.GO, reason)
