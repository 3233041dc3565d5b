"""`ledgersync serve` as an operator starts it: the page at / and, with the QuickBooks Desktop
plugin, the Web Connector endpoint at /qbwc beside it; with only the core, the page alone."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "ledgersync.toml"
    path.write_text(f"""[ledger]
url = "sqlite:///{tmp_path / 'ledger.db'}"

[companies.harbor]
connector = "fake"

[companies.harbor.fake]
books_path = "{tmp_path / 'books.db'}"

[companies.club]
connector = "qbd"

[companies.club.qbd]
username = "clubwc"
""", encoding="utf-8")
    path.chmod(0o600)
    return path


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[object]:
    started: list[subprocess.Popen[str]] = []

    def start(*, disable: str = "") -> str:
        port = _free_port()
        env = {**os.environ, "LEDGERSYNC_DISABLE_PLUGINS": disable}
        config = _config(tmp_path)
        if disable:  # only the core: the config may name only the core's connector
            config.write_text(config.read_text().split("[companies.club]")[0])
        subprocess.run([sys.executable, "-m", "ledgersync.cli", "--config", str(config), "db",
                        "upgrade"], check=True, env=env, capture_output=True)
        process = subprocess.Popen(
            [sys.executable, "-m", "ledgersync.cli", "--config", str(config), "serve",
             "--port", str(port), "--log-level", "warning"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/login", timeout=2)
                return url
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    out = process.stdout.read() if process.stdout else ""
                    raise AssertionError(f"serve did not start: {out}") from None
                time.sleep(0.2)

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=20)
        if process.stdout:
            process.stdout.close()


def test_serve_answers_the_page_and_the_web_connector_endpoint(serve) -> None:
    url = serve()
    assert httpx.get(f"{url}/").headers["location"] == "/login?next=/"
    login = httpx.get(f"{url}/login")
    assert 'name="username"' in login.text
    assert "frame-ancestors 'none'" in login.headers["content-security-policy"]
    wsdl = httpx.get(f"{url}/qbwc?wsdl")
    assert wsdl.status_code == 200
    assert "sendRequestXML" in wsdl.text


def test_serve_with_only_the_core_serves_the_page_alone(serve) -> None:
    url = serve(disable="qbd,qbo")
    assert 'name="password"' in httpx.get(f"{url}/login").text
    assert httpx.get(f"{url}/qbwc?wsdl").status_code == 404
