"""The machine a benchmark ran on, for every report: a faster CPU's figure is not ours."""

from __future__ import annotations

import os
import platform
from pathlib import Path

_FLAGS_OF_INTEREST = (
    "avx",
    "avx2",
    "fma",
    "f16c",
    "avx512f",
    "avx512_bf16",
    "avx512_vnni",
    "amx_bf16",
    "amx_int8",
    "avx_vnni",
)
_ISA_VARIABLES = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "CT2_FORCE_CPU_ISA")


def _cpuinfo() -> tuple[str, set[str]]:
    model: str = platform.processor() or platform.machine()
    flags: set[str] = set()
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return model, flags
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and value.strip():
            model = value.strip()
        elif key in ("flags", "Features") and not flags:
            flags = set(value.split())
    return model, flags


def machine_info() -> dict[str, object]:
    """CPU model, the SIMD flags that decide kernel speed, cores, and any ISA caps in the environment."""
    model, flags = _cpuinfo()
    return {
        "cpu_model": model,
        "cpu_flags": [f for f in _FLAGS_OF_INTEREST if f in flags],
        "cores": os.cpu_count(),
        "machine": platform.machine(),
        "isa_caps": {v: os.environ[v] for v in _ISA_VARIABLES if v in os.environ},
    }
