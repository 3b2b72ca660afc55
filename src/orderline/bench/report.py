"""Plots and a small HTML page for ``orderline eval`` (people would rather look than read)."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any


def write_plots(
    out: Path, synth: dict[str, Any], latencies: list[float], pizza: dict[str, Any] | None
) -> Path:
    """One PNG: synthetic exact match per kind, PIZZA exact match per category, SLM latency histogram."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = 3 if pizza else 2
    fig, axes = plt.subplots(1, panels, figsize=(5 * panels, 4))
    kinds = synth.get("by_kind", {})
    axes[0].bar(list(kinds), [v["exact_match"] for v in kinds.values()], color="#3b7dd8")
    axes[0].set_ylim(0, 1)
    axes[0].set_title(f"synthetic held-out: exact {synth.get('exact_match', 0):.1%}")
    axes[1].hist(latencies, bins=30, color="#d8873b")
    axes[1].set_title("SLM call latency (ms)")
    axes[1].set_xlabel("ms")
    if pizza:
        cats = pizza.get("by_category", {})
        axes[2].barh(list(cats), [v["exact_match"] or 0 for v in cats.values()], color="#4caf50")
        axes[2].set_xlim(0, 1)
        axes[2].set_title(f"PIZZA dev hybrid: {pizza.get('exact_match', 0):.1%}")
    fig.tight_layout()
    path = out / "eval.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_html(out: Path, summary: dict[str, Any], png: Path) -> Path:
    synth = summary.get("synthetic", {})
    rows = "".join(
        f"<tr><td>{html.escape(c['expected'])}</td><td>{html.escape(c['predicted'])}</td><td>{c['count']}</td></tr>"
        for c in synth.get("confusion", [])
    )
    fails = "".join(
        f"<tr><td>{html.escape(f['say'])}</td><td>{html.escape(f['expected'])}</td><td>{html.escape(f['got'])}</td></tr>"
        for f in synth.get("failures", [])
    )
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>Orderline SLM evaluation</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}}td,th{{border:1px solid #ccc;padding:4px 8px}}
table{{border-collapse:collapse;margin:1em 0}}pre{{background:#f6f6f6;padding:1em}}</style></head><body>
<h1>Orderline SLM evaluation</h1><img src="{png.name}" alt="plots" style="max-width:100%">
<h2>Summary</h2><pre>{html.escape(json.dumps({k: v for k, v in summary.items() if k != "synthetic"}, indent=2))}</pre>
<h2>Synthetic held-out split</h2><pre>{html.escape(json.dumps({k: v for k, v in synth.items() if k not in ("confusion", "failures")}, indent=2))}</pre>
<h2>Modifier confusions (expected → predicted)</h2><table><tr><th>expected</th><th>predicted</th><th>count</th></tr>{rows}</table>
<h2>Failures (first 30)</h2><table><tr><th>say</th><th>expected</th><th>got</th></tr>{fails}</table>
</body></html>"""
    path = out / "eval.html"
    path.write_text(page, encoding="utf-8")
    return path
