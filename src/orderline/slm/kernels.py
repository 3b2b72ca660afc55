"""Which matmul kernel the CPU decoder uses, chosen once at start-up from what the CPU can do natively.

bf16 weights halve memory traffic, but only CPUs with bf16 instructions (``avx512_bf16``, ``amx_bf16``;
``bf16`` on aarch64) compute in bf16 natively. Elsewhere bf16 is emulated: on an AVX2-only AMD EPYC a call
took p50 1,132 ms / p95 1,760 ms (issue #14), and the prompt prefill is where it hurts most. fp32 weights are
fast everywhere. Measured on 2 threads with the SmolLM2-135M shapes (30 layers, ms per pass):

==========================  =============  ===========  ===============  ==============
capability                  decode fp32    decode bf16  decode int8      prefill 48 tok
==========================  =============  ===========  ===============  ==============
AVX512 + AMX (native bf16)  8.2            11.7         3.9              fp32 47, bf16 20, int8 69
AVX2 (capped by env)        8.0            7.5          5.0              fp32 46, bf16 312, int8 111
==========================  =============  ===========  ===============  ==============

A call is one prefill of a few dozen tokens plus about five decoding steps. The two phases want different
kernels: prefill is compute-bound (bf16 where it is native, fp32 elsewhere), a decoding step streams every
weight from memory once, so int8 weights (per output channel, through ``aten._weight_int8pack_mm``) win
wherever memory bandwidth is modest, and by most on the slowest machines. ``auto`` takes both: the prefill
kernel for passes over the prompt and int8 for decoding steps (two weight sets, about +110 MB).

On a 2-vCPU AMD EPYC under the AVX2 caps, in one process alternating the two (a 46-token prompt, then
decoding steps): fp32 prefill 100 ms with oneDNN-packed weights, a step 24.5 ms in fp32 and 14.0 ms with
int8 weights. ``orderline bench slm`` (200 calls), old and new code run alternately on the same noisy VM:
fp32 throughout p50 489 / p95 979 and 458 / 871 ms; fp32-packed prompt with int8 steps 309 / 594 and
329 / 582 ms (the new code also stopped zeroing KV caches and runs every call on the model's own thread).
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass, field
from enum import StrEnum

from orderline.core.cpu import REPORTED_FLAGS, read_cpuinfo

KERNEL_ENV = "ORDERLINE_SLM_KERNEL"
"""auto (default: the prefill kernel below, int8 decoding steps) | bf16 | fp32 | int8 (one kernel for both)."""

_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
_AARCH64_BF16_FLAGS = frozenset({"bf16", "svebf16"})
_INT8_DOT_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8", "asimddp", "i8mm"})
# oneDNN's ISA ladder up to the first level with bf16 instructions (ONEDNN_MAX_CPU_ISA caps it).
_ONEDNN_BELOW_BF16 = frozenset(
    {"SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX512_CORE", "AVX512_CORE_VNNI"}
)


class Kernel(StrEnum):
    BF16 = "bf16"
    FP32 = "fp32"
    INT8 = "int8"


@dataclass(frozen=True)
class CpuIsa:
    """What the CPU offers and what the environment lets the libraries use.

    Attributes:
        model: the CPU model name (``/proc/cpuinfo``).
        machine: ``x86_64``, ``aarch64``, ...
        flags: the CPU's feature flags.
        capability: torch's vector capability (``AVX512``, ``AVX2``, ``DEFAULT``); ``ATEN_CPU_CAPABILITY``
            lowers it.
        caps: ISA caps set in the environment (``ATEN_CPU_CAPABILITY``, ``ONEDNN_MAX_CPU_ISA``).
    """

    model: str
    machine: str
    flags: frozenset[str]
    capability: str
    caps: dict[str, str] = field(default_factory=dict)

    @property
    def native_bf16(self) -> bool:
        """bf16 arithmetic in hardware and not capped away by the environment."""
        onednn = self.caps.get("ONEDNN_MAX_CPU_ISA", self.caps.get("DNNL_MAX_CPU_ISA", "")).upper()
        if onednn in _ONEDNN_BELOW_BF16:
            return False
        if self.machine in ("aarch64", "arm64"):
            return bool(self.flags & _AARCH64_BF16_FLAGS)
        return bool(self.flags & _BF16_FLAGS) and self.capability.upper().startswith("AVX512")

    @property
    def int8_dot(self) -> bool:
        """int8 dot-product instructions (VNNI, AMX-INT8, aarch64 dotprod/i8mm)."""
        return bool(self.flags & _INT8_DOT_FLAGS)

    def to_json(self) -> dict[str, object]:
        return {
            "cpu_model": self.model,
            "machine": self.machine,
            "torch_capability": self.capability,
            "flags": [f for f in REPORTED_FLAGS if f in self.flags],
            "native_bf16": self.native_bf16,
            "int8_dot": self.int8_dot,
            "isa_caps": dict(self.caps),
        }


def pair_name(prefill: Kernel, step: Kernel) -> str:
    """``fp32``, or ``fp32/int8`` (prefill/steps) when the steps run another kernel."""
    return prefill.value if step is prefill else f"{prefill.value}/{step.value}"


@dataclass(frozen=True)
class KernelChoice:
    """``kernel`` runs the prompt (prefill); ``step`` the decoding steps (default: the same)."""

    kernel: Kernel
    reason: str
    isa: CpuIsa
    step: Kernel | None = None

    @property
    def step_kernel(self) -> Kernel:
        return self.step or self.kernel

    @property
    def name(self) -> str:
        return pair_name(self.kernel, self.step_kernel)

    def to_json(self) -> dict[str, object]:
        return {
            "kernel": self.name,
            "prefill_kernel": self.kernel.value,
            "step_kernel": self.step_kernel.value,
            "reason": self.reason,
            **self.isa.to_json(),
        }


def detect() -> CpuIsa:
    """The running CPU, as torch and the environment see it."""
    import torch

    model, flags = read_cpuinfo()
    names = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA")
    caps = {v: os.environ[v] for v in names if os.environ.get(v)}
    return CpuIsa(model, platform.machine(), flags, torch.backends.cpu.get_cpu_capability(), caps)


def int8_available() -> bool:
    import torch

    return hasattr(torch.ops.aten, "_weight_int8pack_mm")


def choose_kernel(isa: CpuIsa | None = None, override: str | None = None) -> KernelChoice:
    """The kernel for this CPU: ``override`` (else ``$ORDERLINE_SLM_KERNEL``) unless ``auto``.

    Raises:
        ValueError: an unknown override name.
    """
    isa = isa or detect()
    wanted = (override if override is not None else os.environ.get(KERNEL_ENV, "auto")).strip().lower()
    if wanted in ("", "auto"):
        step = Kernel.INT8 if int8_available() else None
        steps = "; int8 weights for decoding steps" if step else ""
        if isa.native_bf16:
            return KernelChoice(Kernel.BF16, f"auto: native bf16{steps}", isa, step)
        return KernelChoice(Kernel.FP32, f"auto: no native bf16{steps}", isa, step)
    try:
        kernel = Kernel(wanted)
    except ValueError:
        options = ", ".join(["auto", *(k.value for k in Kernel)])
        raise ValueError(f"{KERNEL_ENV}={wanted!r}: expected one of {options}") from None
    if kernel is Kernel.INT8 and not int8_available():
        return KernelChoice(Kernel.FP32, "int8 asked for; this torch has no int8 weight kernel", isa)
    return KernelChoice(kernel, f"{KERNEL_ENV}={wanted}", isa)
