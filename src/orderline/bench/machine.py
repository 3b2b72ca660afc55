"""The machine a benchmark ran on, for every report: a faster CPU's figure is not ours."""

from __future__ import annotations

import os
import platform

from orderline.core.cpu import REPORTED_FLAGS, read_cpuinfo

_ISA_VARIABLES = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "CT2_FORCE_CPU_ISA")


def machine_info() -> dict[str, object]:
    """CPU model, the SIMD flags that decide kernel speed, cores, and any ISA caps in the environment."""
    model, flags = read_cpuinfo()
    return {
        "cpu_model": model,
        "cpu_flags": [f for f in REPORTED_FLAGS if f in flags],
        "cores": os.cpu_count(),
        "machine": platform.machine(),
        "isa_caps": {v: os.environ[v] for v in _ISA_VARIABLES if v in os.environ},
    }
