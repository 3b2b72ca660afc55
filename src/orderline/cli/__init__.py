"""The ``orderline`` command: chat, bench, menu checks (and, later, serve, train, eval)."""

from orderline.cli.app import app

__all__ = ["app"]
