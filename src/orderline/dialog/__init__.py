"""One conversation: understanding -> order state machine -> reply (text here; voice later)."""

from orderline.dialog.session import TextSession, Turn

__all__ = ["TextSession", "Turn"]
