"""Orderline: a hybrid voice-ordering engine for restaurants.

A deterministic order state machine owns the order; understanding is done by a deterministic menu
matcher first and a small language model only at named call points.
"""

__version__ = "0.1.0"
