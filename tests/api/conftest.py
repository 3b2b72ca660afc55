"""The server fixture: the product's default configuration, started once per test session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from server_process import Server, server_env


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The product's default: hybrid understanding (tier 1 + the bundled SLM), embedded Redis."""
    data = tmp_path_factory.mktemp("server")
    running = Server(data, server_env(data)).start()
    yield running
    running.stop()
