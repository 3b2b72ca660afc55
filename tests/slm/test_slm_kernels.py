"""Choosing the decoder's matmul kernel from what the CPU offers natively."""

from __future__ import annotations

import pytest

from orderline.slm.kernels import CpuIsa, Kernel, choose_kernel, int8_available, read_cpuinfo

EPYC_AVX2 = frozenset({"avx", "avx2", "fma", "f16c", "sse4_2"})
SAPPHIRE_RAPIDS = EPYC_AVX2 | {"avx512f", "avx512_bf16", "avx512_vnni", "amx_bf16", "amx_int8"}


def _isa(flags: frozenset[str], capability: str = "AVX512", machine: str = "x86_64", **caps: str) -> CpuIsa:
    return CpuIsa("test cpu", machine, flags, capability, caps)


def test_avx2_only_cpu_gets_fp32_not_emulated_bf16() -> None:
    choice = choose_kernel(_isa(EPYC_AVX2, capability="AVX2"), override="auto")
    assert choice.kernel is Kernel.FP32
    assert not choice.isa.native_bf16


@pytest.mark.skipif(not int8_available(), reason="this torch has no int8 weight kernel")
@pytest.mark.parametrize("flags", [EPYC_AVX2, SAPPHIRE_RAPIDS])
def test_auto_decodes_steps_with_int8_weights_and_prefills_with_the_fast_float_kernel(
    flags: frozenset[str],
) -> None:
    choice = choose_kernel(_isa(flags), override="auto")
    assert choice.step_kernel is Kernel.INT8
    assert choice.name == f"{choice.kernel.value}/int8"
    report = choice.to_json()
    assert (report["prefill_kernel"], report["step_kernel"]) == (choice.kernel.value, "int8")


def test_one_kernel_named_runs_both_phases() -> None:
    choice = choose_kernel(_isa(EPYC_AVX2, capability="AVX2"), override="fp32")
    assert choice.step_kernel is Kernel.FP32
    assert choice.name == "fp32"


def test_native_bf16_cpu_gets_bf16() -> None:
    assert choose_kernel(_isa(SAPPHIRE_RAPIDS), override="auto").kernel is Kernel.BF16


@pytest.mark.parametrize(
    ("capability", "caps"),
    [("AVX2", {"ATEN_CPU_CAPABILITY": "avx2"}), ("AVX512", {"ONEDNN_MAX_CPU_ISA": "AVX2"})],
)
def test_an_isa_cap_in_the_environment_turns_bf16_off(capability: str, caps: dict[str, str]) -> None:
    assert choose_kernel(_isa(SAPPHIRE_RAPIDS, capability, **caps), override="auto").kernel is Kernel.FP32


def test_aarch64_with_bf16_gets_bf16() -> None:
    isa = _isa(frozenset({"fp", "asimd", "asimddp", "bf16", "i8mm"}), capability="DEFAULT", machine="aarch64")
    assert choose_kernel(isa, override="auto").kernel is Kernel.BF16
    assert isa.int8_dot


def test_the_override_wins_and_a_bad_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    isa = _isa(EPYC_AVX2, capability="AVX2")
    assert choose_kernel(isa, override="bf16").kernel is Kernel.BF16
    assert choose_kernel(isa, override="int8").kernel is Kernel.INT8
    monkeypatch.setenv("ORDERLINE_SLM_KERNEL", "int8")
    assert choose_kernel(isa).kernel is Kernel.INT8
    with pytest.raises(ValueError, match="ORDERLINE_SLM_KERNEL"):
        choose_kernel(isa, override="fp8")


def test_report_names_kernel_cpu_and_flags() -> None:
    report = choose_kernel(_isa(EPYC_AVX2, capability="AVX2"), override="auto").to_json()
    assert report["prefill_kernel"] == "fp32"
    assert report["cpu_model"] == "test cpu"
    assert report["torch_capability"] == "AVX2"
    assert "avx2" in report["flags"]  # type: ignore[operator]
    assert "avx512_bf16" not in report["flags"]  # type: ignore[operator]


def test_cpuinfo_flags_on_x86_and_features_on_arm() -> None:
    x86 = "processor\t: 0\nmodel name\t: AMD EPYC 7B12\nflags\t\t: fpu avx avx2 fma\n\nprocessor\t: 1\n"
    assert read_cpuinfo(x86) == ("AMD EPYC 7B12", frozenset({"fpu", "avx", "avx2", "fma"}))
    arm = "processor\t: 0\nFeatures\t: fp asimd bf16 i8mm\nCPU part\t: 0xd40\n"
    assert read_cpuinfo(arm)[1] == frozenset({"fp", "asimd", "bf16", "i8mm"})
