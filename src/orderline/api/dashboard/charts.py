"""Small server-side SVG charts (no script, no CDN): bars per label, one colour per series."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = ("#2563eb", "#f59e0b", "#10b981", "#ef4444")
W, H = 560, 236
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 28, 52


def _nice(value: float) -> float:
    if value <= 0:
        return 1.0
    step = 10 ** (len(str(int(value))) - 1)
    return float((int(value / step) + 1) * step)


def bars(
    title: str, labels: Sequence[str], series: dict[str, Sequence[float]], unit: str = "", every: int = 1
) -> str:
    """Grouped bars: ``series`` name -> one value per label. ``every``: print every n-th label."""
    top = _nice(max((v for values in series.values() for v in values), default=0.0))
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    n = max(len(labels), 1)
    group = plot_w / n
    width = max(group * 0.8 / max(len(series), 1), 1.0)
    out = [
        f'<svg viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title)}" class="chart">',
        f'<text x="{LEFT}" y="16" class="chart-title">{escape(title)}</text>',
    ]
    for i in range(5):
        y = TOP + plot_h * i / 4
        value = top * (4 - i) / 4
        out.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        out.append(f'<text x="{LEFT - 4}" y="{y + 4:.1f}" class="axis" text-anchor="end">{value:g}</text>')
    for s, (name, values) in enumerate(series.items()):
        colour = PALETTE[s % len(PALETTE)]
        for i, value in enumerate(values):
            h = plot_h * value / top
            x = LEFT + group * i + group * 0.1 + width * s
            out.append(
                f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{width:.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{escape(labels[i])} {escape(name)}: {value:g}{unit}</title></rect>'
            )
        lx = LEFT + 90 * s  # the legend under the axis labels
        out.append(f'<rect x="{lx}" y="{H - 14}" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="{lx + 14}" y="{H - 5}" class="axis">{escape(name)}</text>')
    for i, label in enumerate(labels):
        if i % every == 0:
            x = LEFT + group * (i + 0.5)
            out.append(
                f'<text x="{x:.1f}" y="{H - 18}" class="axis" text-anchor="middle">{escape(label)}</text>'
            )
    if unit:
        out.append(f'<text x="4" y="{TOP - 8}" class="axis">{escape(unit.strip())}</text>')
    out.append("</svg>")
    return "".join(out)
