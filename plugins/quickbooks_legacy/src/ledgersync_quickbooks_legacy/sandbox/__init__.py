"""The sandbox of the two-stage path: the cloud intermediary (stage one, IDS v2 style) and a
simulated desktop sync (stage two) on a clock the tests control, in-process
(:meth:`Sandbox.transport`) or on loopback (:class:`LoopbackServer`)."""

from .clock import Clock
from .desktop import Desktop
from .intermediary import SANDBOX_CODES, Intermediary
from .server import LoopbackServer
from .service import RENEWAL_WINDOW, TOKEN_LIFETIME, Sandbox

__all__ = ["RENEWAL_WINDOW", "SANDBOX_CODES", "TOKEN_LIFETIME", "Clock", "Desktop",
           "Intermediary", "LoopbackServer", "Sandbox"]
