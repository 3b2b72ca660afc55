"""Sessions, order streams, availability and API keys (Protocols in ``base``; Redis in ``redis``)."""
