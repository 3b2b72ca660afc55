"""``bench load --serve``: ``orderline serve --demo`` in a subprocess on a free loopback port, with a fresh
data folder (embedded Redis, the demo stores and their keys) and the demo phone line switched on."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx

_KEEP = ("ORDERLINE_NLU", "ORDERLINE_HOME")
"""Settings the caller may choose for the local server; the rest of ORDERLINE_* and REDIS_URL are dropped
so that the server is the embedded default."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalServer:
    """``with LocalServer() as server: server.url, server.keys, server.auth_token, server.pid``."""

    def __init__(self, timeout_s: float = 300.0) -> None:
        self.timeout_s = timeout_s
        self.port = _free_port()
        self.auth_token = secrets.token_hex(16)
        self._tmp = tempfile.TemporaryDirectory(prefix="orderline-load-")
        self.data_dir = Path(self._tmp.name)
        self.proc: subprocess.Popen[bytes] | None = None
        self.keys: dict[str, str] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    @property
    def log(self) -> Path:
        return self.data_dir / "server.log"

    def __enter__(self) -> LocalServer:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERLINE_") and k != "REDIS_URL"}
        env.update({k: os.environ[k] for k in _KEEP if k in os.environ})
        env.update(
            {
                "ORDERLINE_DATA_DIR": str(self.data_dir),
                "ORDERLINE_DEMO_TWILIO_TOKEN": self.auth_token,
                "ORDERLINE_LOG_FORMAT": "json",
                "HF_HUB_OFFLINE": "1",
            }
        )
        command = [sys.executable, "-m", "orderline.cli.app", "serve", "--demo"]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        keys = self.data_dir / "demo-keys.json"  # written once the server is ready
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._cleanup()
                raise RuntimeError(f"the server exited {self.proc.returncode}: {self._tail()}")
            if keys.is_file():
                try:
                    if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                        self.keys = json.loads(keys.read_text())
                        return self
                except (httpx.TransportError, json.JSONDecodeError):
                    pass
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError(f"the server was not ready in {self.timeout_s:.0f} s")

    def _tail(self, n: int = 2000) -> str:
        return self.log.read_bytes()[-n:].decode(errors="replace") if self.log.is_file() else ""

    def _cleanup(self) -> None:
        self._tmp.cleanup()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self._cleanup()
