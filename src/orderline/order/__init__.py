"""The order: immutable state, the pure state machine, pricing and reply templates. No I/O."""

from orderline.order.machine import new_order, transition
from orderline.order.state import DialogState, ModifierChoice, Order, OrderLine, SlotFill

__all__ = ["DialogState", "ModifierChoice", "Order", "OrderLine", "SlotFill", "new_order", "transition"]
