"""Intacct's failures as exceptions: the layer that failed, its errors, and whether anything
may have been applied (``sent``), so that classification never guesses."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from ledgersync import ConnectorError

#: Layers of a failure, outermost first. ``http``: no readable XML at all (5xx, HTML, a cut
#: connection); ``gateway``: a ``GW-`` error (429 throttling, invalid request).
LEVELS = ("transport", "http", "gateway", "control", "authentication", "result", "local")


@attrs.frozen(kw_only=True)
class IntacctError:
    """One ``<error>``: ``description2`` URL-decoded and without its ``[Support ID: ...]``."""

    errorno: str
    description: str = ""
    description2: str = ""
    correction: str = ""
    support_id: str | None = None

    def text(self) -> str:
        return self.description2 or self.description or self.errorno


class IntacctFailure(ConnectorError):
    """A request or one function failed at ``level`` (see :data:`LEVELS`). ``code``, when no
    Intacct error gives one: ``timeout`` or ``network`` for a transport failure (the codes the
    engine counts towards an outage of the whole company)."""

    def __init__(self, message: str, *, level: str, errors: Sequence[IntacctError] = (),
                 http_status: int | None = None, status: str | None = None,
                 controlid: str | None = None, sent: bool = True,
                 retry_after: float | None = None, code: str | None = None) -> None:
        assert level in LEVELS, level
        code = next((e.errorno for e in errors if e.errorno), code)
        if code is None and http_status is not None and level == "http":
            code = f"HTTP {http_status}"
        super().__init__(message, code=code, sent=sent, retry_after=retry_after)
        self.level = level
        self.errors = tuple(errors)
        self.http_status = http_status
        self.status = status
        self.controlid = controlid

    @classmethod
    def of(cls, level: str, errors: Sequence[IntacctError], **kwargs: object) -> IntacctFailure:
        texts = [e.text() for e in errors if e.text()]
        summary = "; ".join(dict.fromkeys(texts)) or "no error details given"
        return cls(f"Intacct {level} failure: {summary}", level=level, errors=errors,
                   **kwargs)  # type: ignore[arg-type]  # forwarded keyword arguments

    def details(self) -> str:
        """Every description2 and correction, for matching the business-logic umbrella codes."""
        return " | ".join(f"{e.description} {e.description2} {e.correction}".strip()
                          for e in self.errors)


class UnmappedError(ConnectorError):
    """An entry cannot be built: a value it needs has no Intacct counterpart (nothing sent)."""

    def __init__(self, message: str, *, remedy: str, code: str = "unmapped") -> None:
        super().__init__(message, code=code, remedy=remedy, sent=False)
