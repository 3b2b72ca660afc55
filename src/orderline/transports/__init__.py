"""Live voice over the wire: the async voice runner and the transports that feed it (lane, phone)."""
