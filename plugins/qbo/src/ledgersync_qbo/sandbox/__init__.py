"""A local stand-in for QuickBooks Online Accounting API v3 (ASGI, in memory).

Public API::

    from ledgersync_qbo.sandbox import Sandbox, SandboxConfig, SandboxTransport, create_app

    sandbox = Sandbox(SandboxConfig())
    client = httpx.Client(transport=SandboxTransport(sandbox), base_url="http://qbo.test",
                          headers=sandbox.auth_headers())
    client.post(f"/v3/company/{sandbox.default_realm_id}/invoice?minorversion=75", json=...)

``create_app(config)`` returns the Starlette app (its state is ``app.state.sandbox``);
``run_in_thread(app_or_sandbox)`` serves it on loopback with uvicorn and yields the base URL.
"""

from .app import create_app
from .clock import Clock, ManualClock, SystemClock
from .config import DEFAULT_REALM_ID, SandboxConfig
from .faults import FaultError, QBOFault
from .injection import Injection
from .sandbox import MinorVersionUse, Sandbox, WriteRecord
from .server import run_in_thread, serve
from .transport import SandboxTransport

__all__ = [
    "DEFAULT_REALM_ID",
    "Clock",
    "FaultError",
    "Injection",
    "ManualClock",
    "MinorVersionUse",
    "QBOFault",
    "Sandbox",
    "SandboxConfig",
    "SandboxTransport",
    "SystemClock",
    "WriteRecord",
    "create_app",
    "run_in_thread",
    "serve",
]
