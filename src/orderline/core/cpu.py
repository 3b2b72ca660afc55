"""What the CPU is: its model name and feature flags from ``/proc/cpuinfo`` (x86 ``flags``, aarch64
``Features``). Read by the SLM's kernel choice and by every benchmark report."""

from __future__ import annotations

import platform
from pathlib import Path

REPORTED_FLAGS = (
    "avx",
    "avx2",
    "fma",
    "f16c",
    "avx512f",
    "avx512_bf16",
    "avx512_vnni",
    "avx_vnni",
    "amx_bf16",
    "amx_int8",
    "asimd",
    "asimddp",
    "i8mm",
    "bf16",
    "sve",
)
"""The flags that decide how fast the models run (SIMD width, bf16, int8 dot products)."""


def read_cpuinfo(text: str | None = None) -> tuple[str, frozenset[str]]:
    """(model name, flags) from ``/proc/cpuinfo`` (or ``text``); the platform's names where it is missing."""
    model = platform.processor() or platform.machine()
    if text is None:
        try:
            text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return model, frozenset()
    flags: frozenset[str] = frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key in ("model name", "Model", "Hardware") and value.strip():
            model = value.strip()
        elif key in ("flags", "Features") and not flags:
            flags = frozenset(value.split())
    return model, flags
