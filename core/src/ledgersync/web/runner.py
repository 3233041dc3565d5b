""""Run now" from the page: open the run, and work it in a background thread of the server
(push connectors), one thread per company at a time, so the page answers at once."""

from __future__ import annotations

import logging
import threading

from .._ledger_api import Ledger

log = logging.getLogger(__name__)


class RunLauncher:
    def __init__(self, ledger: Ledger, *, enabled: bool) -> None:
        self.ledger = ledger
        self.enabled = enabled
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        # One run at a time from the page: the ledger's scheduler is shared by the threads.
        self._work_lock = threading.Lock()

    def run_now(self, company: str, *, actor: str) -> str:
        """Open a run for ``company`` and start working it; returns what happened, in words."""
        run_id = self.ledger.run_now(company)
        self.ledger.note(company, f"run now asked for by {actor} on the page", level="info",
                         actor=actor, run_id=run_id)
        opened = f"run {run_id} opened" if run_id is not None else \
            "a run was already open"
        if self.ledger.connector(company).mode != "push":
            return f"{company}: {opened}; it runs when the accounting side next connects"
        if not self.enabled:
            return f"{company}: {opened}; a worker (`ledgersync worker`) will work it"
        with self._lock:
            busy = self._threads.get(company)
            if busy is not None and busy.is_alive():
                return f"{company}: {opened}; the page is already working it"
            thread = threading.Thread(target=self._work, args=(company,),
                                      name=f"page-run-{company}", daemon=True)
            self._threads[company] = thread
            thread.start()
        return f"{company}: {opened} and started"

    def _work(self, company: str) -> None:
        try:
            with self._work_lock:
                self.ledger.run_pending(companies=[company])
        except Exception:  # a thread's failure must not vanish: log it, the items keep theirs
            log.exception("the run of %s started from the page failed", company)

    def busy(self, company: str) -> bool:
        with self._lock:
            thread = self._threads.get(company)
        return thread is not None and thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the runs started here (tests, shutdown)."""
        with self._lock:
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(timeout)
