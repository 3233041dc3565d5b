"""A kill switch in front of a sandbox: an ASGI middleware that counts the writes reaching the
remote and SIGKILLs the process under trial at the chosen one, either before the remote sees
it (nothing applied) or after the remote applied it (the answer is never sent).

The sandbox behind it is swapped per trial (``target``), so one loopback server serves every
trial of a campaign.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]
IsWrite = Callable[[str, str, bytes], bool]

BEFORE_WRITE = "before_write"
AFTER_WRITE = "after_write"
#: Any request, reads included (a lookup, a token refresh, a query), before it is answered.
ANY_REQUEST = "any_request"


class KillSwitch:
    def __init__(self, is_write: IsWrite) -> None:
        self.is_write = is_write
        self.target: App | None = None
        self._lock = threading.Lock()
        self.victim: int | None = None
        self.kill_at = 0
        self.when = BEFORE_WRITE
        self.writes = 0
        self.requests = 0
        self.fired = False

    def arm(self, victim: int, kill_at: int, when: str) -> None:
        with self._lock:
            self.victim, self.kill_at, self.when = victim, kill_at, when
            self.writes = 0
            self.requests = 0
            self.fired = False

    def disarm(self) -> None:
        with self._lock:
            self.victim = None

    def _fire(self) -> None:
        with self._lock:
            victim, self.victim = self.victim, None
            if victim is None:
                return
            self.fired = True
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:  # it finished on its own meanwhile
            self.fired = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        target = self.target
        assert target is not None, "no sandbox behind the kill switch"
        if scope["type"] != "http":
            await target(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        hit = False
        with self._lock:
            self.requests += 1
            if self.is_write(scope["method"], scope["path"], body):
                self.writes += 1
                hit = self.when != ANY_REQUEST and self.writes == self.kill_at
            if self.when == ANY_REQUEST:
                hit = self.requests == self.kill_at
            hit = hit and self.victim is not None
        if hit and self.when in (BEFORE_WRITE, ANY_REQUEST):
            self._fire()
            return  # the client is dead; nothing reached the remote
        if not hit:
            await target(scope, replay, send)
            return
        answer: list[Message] = []

        async def hold(message: Message) -> None:
            answer.append(message)

        await target(scope, replay, hold)  # the remote applies the write ...
        self._fire()  # ... and the process that sent it dies before it hears the answer
