"""Core vocabulary shared by every layer: commands, events, provenance, errors."""
