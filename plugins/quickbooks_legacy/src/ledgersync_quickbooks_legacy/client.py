"""The HTTP client of the intermediary: signed POSTs of IDS v2 bodies, every answer checked
for ``RestResponse/Error`` whatever its HTTP status (as the path's clients did)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx

from ledgersync.http import send_within

from .errors import LegacyError
from .oauth import CredentialStore, OAuth1Signer
from .settings import LegacySettings
from .xmlio import XmlError, dumps, parse, q, text


class LegacyClient:
    def __init__(self, settings: LegacySettings, credentials: CredentialStore,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        self.credentials = credentials
        self.transport = transport
        self._http: httpx.Client | None = None
        #: Requests made since the counter was last read (for the engine's request budget).
        self.requests = 0

    def _client(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(
                transport=self.transport, timeout=self.settings.timeout_seconds,
                auth=OAuth1Signer(self.settings, self.credentials.load()),
                headers={"Content-Type": "application/xml"})
        return self._http

    def post(self, resource: str, body: ET.Element) -> ET.Element:
        """POST ``body`` to ``<base>/<resource>/v2/<realm>``; the parsed RestResponse."""
        url = f"{self.settings.base}/{resource}/v2/{self.settings.realm_id}"
        self.requests += 1
        response = send_within(self._client(), "POST", url, content=dumps(body),
                               deadline_seconds=self.settings.request_deadline_seconds)
        try:
            root = parse(response.content)
        except XmlError as exc:
            raise LegacyError(f"the intermediary answered HTTP {response.status_code} without "
                              f"an IDS response ({exc})", code=f"http-{response.status_code}",
                              sent=True) from None
        error = root.find(q("Error"))
        if error is not None:
            code = text(error, "ErrorCode") or ""
            raise LegacyError(f"error {code}: {text(error, 'ErrorDesc') or ''}", code=code,
                              request_name=text(error, "RequestName"))
        if response.status_code >= 400:
            raise LegacyError(f"the intermediary answered HTTP {response.status_code}",
                              code=f"http-{response.status_code}")
        return root

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
