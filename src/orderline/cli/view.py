"""Rich rendering of orders and turns for the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from orderline.menu.schema import Menu
from orderline.order.describe import describe_line
from orderline.order.pricing import line_total, money, totals
from orderline.order.state import Order


def order_table(order: Order, menu: Menu) -> Table:
    table = Table(title=f"Order — {order.state.value.replace('_', ' ')}", title_justify="left", expand=False)
    table.add_column("#", justify="right")
    table.add_column("Item")
    table.add_column("Source", style="dim")
    table.add_column("Price", justify="right")
    for n, line in enumerate(order.lines, 1):
        source = line.provenance[-1] if line.provenance else None
        origin = f"{source.source.value}:{source.name} {source.confidence:.2f}" if source else ""
        table.add_row(str(n), describe_line(line, menu), origin, money(line_total(line, menu), menu.currency))
    t = totals(order, menu)
    table.add_section()
    table.add_row("", "Subtotal", "", money(t.subtotal_cents, menu.currency))
    table.add_row("", f"Tax ({menu.tax_rate:.2%})", "", money(t.tax_cents, menu.currency))
    table.add_row("", "[bold]Total[/bold]", "", f"[bold]{money(t.total_cents, menu.currency)}[/bold]")
    return table


def print_order(console: Console, order: Order, menu: Menu) -> None:
    console.print(order_table(order, menu))
