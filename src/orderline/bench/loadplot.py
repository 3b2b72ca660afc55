"""The ``bench load`` plot: p50/p95 end of speech -> first reply audio against concurrent sessions."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def write_load_plot(path: Path, levels: list[dict[str, Any]], limit_ms: float, title: str) -> Path:
    """One PNG (matplotlib, Agg): p50 and p95 per level, and the ``limit_ms`` line the knee is judged by."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in levels if r["turns_measured"]]
    x = [r["sessions"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(x, [r["first_audio_ms"]["p50"] for r in rows], "o-", label="p50", color="#3b7dd8")
    ax.plot(x, [r["first_audio_ms"]["p95"] for r in rows], "s-", label="p95", color="#d8873b")
    ax.axhline(limit_ms, color="#c62828", linestyle="--", label=f"{limit_ms / 1000:.1f} s")
    ax.set_xlabel("concurrent sessions (phone calls + lanes)")
    ax.set_ylabel("end of speech -> first reply audio (ms)")
    ax.set_title(title, fontsize=9)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
