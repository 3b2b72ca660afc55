"""The real server in a subprocess (uvicorn, embedded Redis, bundled menus), and small clients for it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

_CLI = (sys.executable, "-m", "orderline.cli.app")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """``orderline serve --demo`` on a free port; its data folder outlives the process (restarts reuse it)."""

    data_dir: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 180) -> Server:
        keys = self.data_dir / "demo-keys.json"  # rewritten by the server once it is ready
        before = keys.stat().st_mtime_ns if keys.is_file() else None
        log = (self.data_dir / "server.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "orderline.cli.app", "serve", "--demo", "--port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=log,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}: {self.log_tail()}")
            if keys.is_file() and keys.stat().st_mtime_ns != before:
                try:
                    if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
            time.sleep(0.1)
        raise RuntimeError(f"server not ready in {timeout_s} s: {self.log_tail()}")

    def log_tail(self, n: int = 4000) -> str:
        return (self.data_dir / "server.log").read_bytes()[-n:].decode(errors="replace")

    def demo_key(self, store: str) -> str:
        keys: dict[str, str] = json.loads((self.data_dir / "demo-keys.json").read_text())
        return keys[store]

    def create_key(self, store: str, role: str) -> str:
        out = subprocess.run(
            [sys.executable, "-m", "orderline.cli.app", "keys", "create", "--store", store, "--role", role],
            env=self.env,
            capture_output=True,
            check=True,
            timeout=60,
        )
        return out.stdout.decode().strip()

    def create_user(self, store: str, name: str, role: str, password: str) -> None:
        """``orderline users add`` against this server's data (the same embedded Redis)."""
        subprocess.run(
            [*_CLI, "users", "add", name, "--store", store, "--role", role, "--password-stdin"],
            env=self.env,
            input=password.encode() + b"\n",
            capture_output=True,
            check=True,
            timeout=60,
        )

    def client(self, key: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> int:
        """SIGTERM: a clean shutdown; returns the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=60)


def server_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERLINE_") and k != "REDIS_URL"}
    env.update(
        {
            "ORDERLINE_DATA_DIR": str(data_dir),
            "ORDERLINE_LOG_FORMAT": "json",
            "HF_HUB_OFFLINE": "1",
            **extra,
        }
    )
    return env


def open_session(client: httpx.Client, store: str, **body: object) -> str:
    response = client.post(f"/v1/stores/{store}/sessions", json=body)
    assert response.status_code == 201, response.text
    session_id: str = response.json()["session_id"]
    return session_id


def say(client: httpx.Client, session_id: str, text: str, **headers: str) -> dict[str, object]:
    response = client.post(f"/v1/sessions/{session_id}/turns", json={"text": text}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body
