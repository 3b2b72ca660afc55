"""Clients that talk to a running server the way a lane or a phone line would, and measure from outside."""
