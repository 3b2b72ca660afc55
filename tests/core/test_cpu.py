"""/proc/cpuinfo reading: the model name and flags on x86 and aarch64."""

from __future__ import annotations

from orderline.core.cpu import REPORTED_FLAGS, read_cpuinfo


def test_x86_and_aarch64_cpuinfo() -> None:
    x86 = "processor\t: 0\nmodel name\t: AMD EPYC 7B12\nflags\t\t: fpu avx avx2 fma\n\nprocessor\t: 1\nflags\t: fpu\n"
    assert read_cpuinfo(x86) == ("AMD EPYC 7B12", frozenset({"fpu", "avx", "avx2", "fma"}))
    arm = "processor\t: 0\nFeatures\t: fp asimd bf16 i8mm\nModel\t: Neoverse-V1\n"
    assert read_cpuinfo(arm) == ("Neoverse-V1", frozenset({"fp", "asimd", "bf16", "i8mm"}))
    assert {"avx2", "avx512_bf16", "amx_bf16", "i8mm"} <= set(REPORTED_FLAGS)
