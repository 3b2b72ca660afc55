"""Model cards for trained adapters: what data, how many steps, which seed, what scores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CARD = "README.md"
META = "card.json"


def write_card(out: Path, info: dict[str, Any]) -> Path:
    """Write ``card.json`` (machine-readable) and ``README.md`` (for people) into an adapter folder."""
    out.mkdir(parents=True, exist_ok=True)
    (out / META).write_text(json.dumps(info, indent=2, sort_keys=True, default=str) + "\n")
    lines = [f"# {info.get('name', out.name)}", "", info.get("summary", ""), ""]
    for title, key in (
        ("Base model", "base"),
        ("Training", "training"),
        ("Data", "data"),
        ("Evaluation", "eval"),
    ):
        value = info.get(key)
        if not value:
            continue
        lines += [f"## {title}", ""]
        if isinstance(value, dict):
            lines += [f"- **{k}**: {_fmt(v)}" for k, v in value.items()]
        else:
            lines.append(str(value))
        lines.append("")
    lines += ["## Use", "", info.get("usage", ""), ""]
    path = out / CARD
    path.write_text("\n".join(lines))
    return path


def read_card(out: Path) -> dict[str, Any]:
    path = out / META
    return json.loads(path.read_text()) if path.is_file() else {}


def update_card(out: Path, key: str, value: Any) -> Path:
    info = read_card(out)
    info[key] = value
    return write_card(out, info)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)
