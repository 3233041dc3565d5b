"""A local stand-in for Sage Intacct: the XML gateway and the REST API (in memory).

    from ledgersync_sage.sandbox import Sandbox, run_in_thread

    sandbox = Sandbox()
    client = httpx.Client(transport=sandbox.transport())          # in process
    with run_in_thread(sandbox) as url: ...                        # over loopback HTTP

``Sandbox.inject(kind, match=...)`` makes the next matching request fail (see
:mod:`ledgersync_sage.sandbox.faults`); ``sandbox.company()`` is the company's books.
The HTTP server needs the ``sandbox`` extra (starlette, uvicorn): import it from
:mod:`ledgersync_sage.sandbox.server`.
"""

from .books import Books, Refusal
from .faults import Fault
from .gateway import Gateway, GatewayConfig
from .rest import RestApi, RestConfig
from .sandbox import XML_PATH, Sandbox, SandboxConfig, harbor_books

__all__ = ["XML_PATH", "Books", "Fault", "Gateway", "GatewayConfig", "Refusal", "RestApi",
           "RestConfig", "Sandbox", "SandboxConfig", "harbor_books"]
