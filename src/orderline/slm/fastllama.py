"""A lean decoder for Llama-family checkpoints (SmolLM2 is one) on the CPU.

Per decoding step the transformers forward spends most of its time in Python dispatch across 30 layers
(about 38 ms for a 135M model on 2 cores); the arithmetic is a few milliseconds. This module runs the same
weights with fused projections and a preallocated KV cache. :func:`check_against` compares its logits
with the transformers model, so a checkpoint it does not fit is never used silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812

from orderline.slm.kernels import Kernel, pair_name


class Dense:
    """``x @ w.T`` with ``w`` stored in its kernel's dtype (bf16 halves memory traffic), result in fp32."""

    def __init__(self, w: torch.Tensor, dtype: torch.dtype) -> None:
        self.w = w.detach().to(dtype).contiguous()

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.w.dtype == torch.float32:
            return x @ self.w.T
        return (x.to(self.w.dtype) @ self.w.T).float()

    def rows(self, index: torch.Tensor) -> Dense:
        """Rows ``index`` in fp32 (a few hundred: fp32 logits without bf16 rounding cost nothing)."""
        return Dense(self.w[index], torch.float32)


PACK_BATCH = 64
"""The batch size oneDNN packs fp32 weights for; measured best over 1-90 token passes (2 cores, AVX2)."""


class PackedDense:
    """fp32 ``x @ w.T`` through oneDNN with the weights packed once for its kernel's layout.

    A plain fp32 matmul repacks the weights on every call: with 1-60 token passes that is most of the work.
    30 layers of SmolLM2-135M on 2 AVX2 cores: 9 tokens 57 -> 22 ms, 24 tokens 84 -> 36, 58 tokens 112 -> 73.
    """

    def __init__(self, w: torch.Tensor) -> None:
        self.packed = torch.ops.mkldnn._reorder_linear_weight(w.detach().float().contiguous(), PACK_BATCH)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = torch.ops.mkldnn._linear_pointwise(x, self.packed, None, "none", [], "")
        return out

    @staticmethod
    def available() -> bool:
        available = torch.backends.mkldnn.is_available()  # type: ignore[no-untyped-call]
        return bool(available) and hasattr(torch.ops.mkldnn, "_linear_pointwise")


class Int8:
    """Per-output-channel int8 weights (symmetric, scale = max |w| / 127), bf16 activations."""

    def __init__(self, w: torch.Tensor) -> None:
        w = w.detach().float()
        scale = w.abs().amax(dim=1).clamp(min=1e-8) / 127.0
        self.q = (w / scale[:, None]).round().clamp(-127, 127).to(torch.int8).contiguous()
        self.scale = scale.to(torch.bfloat16).contiguous()

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = torch.ops.aten._weight_int8pack_mm(x.to(torch.bfloat16), self.q, self.scale)
        return out.float()

    def rows(self, index: torch.Tensor) -> Dense:
        """Rows ``index`` dequantised to fp32."""
        return Dense(self.q[index].float() * self.scale[index].float()[:, None], torch.float32)


Linear = Dense | PackedDense | Int8
Layer = tuple[torch.Tensor, Linear, Linear, torch.Tensor, Linear, Linear]
"""(input norm, fused q/k/v, output projection, post-attention norm, fused gate/up, down)."""
STEP_TOKENS = 8
"""A pass of at most this many tokens is a decoding step (one token, or a few the grammar forces)."""


def head_linear(w: torch.Tensor, kernel: Kernel) -> Dense | Int8:
    """A matmul whose rows can be taken (the LM head)."""
    if kernel is Kernel.INT8:
        return Int8(w)
    return Dense(w, torch.bfloat16 if kernel is Kernel.BF16 else torch.float32)


def linear(w: torch.Tensor, kernel: Kernel) -> Linear:
    """A layer's matmul: fp32 weights are packed for oneDNN where it is there."""
    if kernel is Kernel.FP32 and PackedDense.available():
        return PackedDense(w)
    return head_linear(w, kernel)


@dataclass
class KvCache:
    k: list[torch.Tensor]
    v: list[torch.Tensor]
    length: int = 0

    def clone(self) -> KvCache:
        """A copy holding the first ``length`` positions (the rest is never read, so it is not copied)."""
        n = self.length

        def copy(tensors: list[torch.Tensor]) -> list[torch.Tensor]:
            out = [torch.empty_like(t) for t in tensors]
            for dst, src in zip(out, tensors, strict=True):
                dst[:, :n] = src[:, :n]
            return out

        return KvCache(copy(self.k), copy(self.v), n)

    def span(self, start: int, end: int) -> KvSpan:
        """A compact copy of positions ``start`` to ``end``."""
        if not 0 <= start <= end <= self.length:
            raise ValueError(f"positions {start}-{end} are not in a cache of {self.length}")
        k = [t[:, start:end].clone() for t in self.k]
        return KvSpan(k, [t[:, start:end].clone() for t in self.v], start)

    def put(self, span: KvSpan) -> None:
        """Write ``span`` at its positions; the cache then ends where the span does.

        Raises:
            ValueError: the span does not start where this cache ends.
        """
        if span.start != self.length:
            raise ValueError(f"span starts at {span.start}, the cache ends at {self.length}")
        end = span.start + span.length
        for dst, src in zip(self.k + self.v, span.k + span.v, strict=True):
            dst[:, span.start : end] = src
        self.length = end


@dataclass(frozen=True)
class KvSpan:
    """Keys and values of positions ``start`` to ``start + length`` of a cache, stored compactly."""

    k: list[torch.Tensor]
    v: list[torch.Tensor]
    start: int

    @property
    def length(self) -> int:
        return int(self.k[0].shape[1]) if self.k else 0


class FastLlama:
    def __init__(
        self,
        model: Any,
        max_len: int = 1024,
        kernel: Kernel = Kernel.FP32,
        step_kernel: Kernel | None = None,
    ) -> None:
        """``kernel`` runs the prompt (prefill, compute-bound); ``step_kernel`` (default: the same) runs
        passes of up to :data:`STEP_TOKENS` tokens, the decoding steps, which are bound by how fast the
        weights stream from memory. With two kernels both weight sets are kept."""
        cfg = model.config
        self.n_heads = int(cfg.num_attention_heads)
        self.n_kv = int(cfg.num_key_value_heads)
        self.head_dim = int(getattr(cfg, "head_dim", None) or cfg.hidden_size // self.n_heads)
        self.eps = float(cfg.rms_norm_eps)
        self.max_len = max_len
        base = model.model
        self.embed = base.embed_tokens.weight.detach()
        self.norm = base.norm.weight.detach()
        self.kernel = kernel
        self.step_kernel = step_kernel or kernel
        self.lm_head = head_linear(model.lm_head.weight, kernel)
        self.layers = self._layers(base, kernel)
        self.step_layers = self.layers if self.step_kernel is kernel else self._layers(base, self.step_kernel)
        theta = float(getattr(cfg, "rope_theta", None) or cfg.rope_parameters["rope_theta"])
        inv = 1.0 / (theta ** (torch.arange(0, self.head_dim, 2, dtype=torch.float32) / self.head_dim))
        freqs = torch.outer(torch.arange(max_len, dtype=torch.float32), inv)
        emb = torch.cat([freqs, freqs], dim=-1)
        self.cos, self.sin = emb.cos(), emb.sin()
        self.inter = int(cfg.intermediate_size)

    @staticmethod
    def _layers(base: Any, kernel: Kernel) -> list[Layer]:
        layers: list[Layer] = []
        for layer in base.layers:
            att, mlp = layer.self_attn, layer.mlp
            qkv = torch.cat([att.q_proj.weight, att.k_proj.weight, att.v_proj.weight]).detach()
            gate_up = torch.cat([mlp.gate_proj.weight, mlp.up_proj.weight]).detach()
            layers.append(
                (
                    layer.input_layernorm.weight.detach(),
                    linear(qkv, kernel),
                    linear(att.o_proj.weight, kernel),
                    layer.post_attention_layernorm.weight.detach(),
                    linear(gate_up, kernel),
                    linear(mlp.down_proj.weight, kernel),
                )
            )
        return layers

    @property
    def name(self) -> str:
        return pair_name(self.kernel, self.step_kernel)

    def new_cache(self) -> KvCache:
        """An empty cache. Positions past ``length`` are never read, so its memory is not cleared: zeroing
        the 47 MB of a 1,024-position cache cost about 45 ms a call on a 2-core EPYC, a third of a call."""
        shape = (self.n_kv, self.max_len, self.head_dim)
        n = len(self.layers)
        return KvCache([torch.empty(shape) for _ in range(n)], [torch.empty(shape) for _ in range(n)])

    def _rms(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * w

    @staticmethod
    def _rot(x: torch.Tensor) -> torch.Tensor:
        half = x.shape[-1] // 2
        return torch.cat([-x[..., half:], x[..., :half]], dim=-1)

    @torch.inference_mode()
    def forward(
        self, ids: list[int], cache: KvCache, head: Dense | None = None, prompt: bool = False
    ) -> torch.Tensor:
        """Logits after the last of ``ids`` (appended to ``cache``).

        ``head`` (rows of :meth:`head_rows`) computes only those tokens' logits instead of the whole
        vocabulary's: the LM head is the largest matmul of a decoding step. ``prompt`` runs the prefill
        kernel however few the tokens (a prompt is computed alike whether or not part of it was cached).
        """
        return (head or self.lm_head)(self._rms(self.extend(ids, cache, prompt), self.norm))[0]

    @torch.inference_mode()
    def extend(self, ids: list[int], cache: KvCache, prompt: bool = False) -> torch.Tensor:
        """Append ``ids`` to ``cache``; the last position's hidden state (no logits)."""
        t, p = len(ids), cache.length
        if p + t > self.max_len:
            raise ValueError("prompt longer than the decoder's cache")
        h = self.embed[torch.tensor(ids)]
        cos, sin = self.cos[p : p + t], self.sin[p : p + t]
        nq, nk, d = self.n_heads, self.n_kv, self.head_dim
        mask = None
        if t > 1:
            mask = torch.ones(t, p + t, dtype=torch.bool).tril(diagonal=p)
        layers = self.step_layers if t <= STEP_TOKENS and not prompt else self.layers
        for k_layer, (ln1, qkv_w, o_w, ln2, gu_w, down_w) in enumerate(layers):
            x = self._rms(h, ln1)
            qkv = qkv_w(x)
            q = qkv[:, : nq * d].view(t, nq, d).transpose(0, 1)
            k = qkv[:, nq * d : (nq + nk) * d].view(t, nk, d).transpose(0, 1)
            v = qkv[:, (nq + nk) * d :].view(t, nk, d).transpose(0, 1)
            q = q * cos + self._rot(q) * sin
            k = k * cos + self._rot(k) * sin
            cache.k[k_layer][:, p : p + t] = k
            cache.v[k_layer][:, p : p + t] = v
            keys, values = cache.k[k_layer][:, : p + t], cache.v[k_layer][:, : p + t]
            att = F.scaled_dot_product_attention(
                q.unsqueeze(0), keys.unsqueeze(0), values.unsqueeze(0), attn_mask=mask, enable_gqa=True
            )[0]
            h = h + o_w(att.transpose(0, 1).reshape(t, nq * d))
            x = self._rms(h, ln2)
            gu = gu_w(x)
            h = h + down_w(F.silu(gu[:, : self.inter]) * gu[:, self.inter :])
        cache.length = p + t
        last: torch.Tensor = h[-1:]
        return last

    def head_rows(self, tokens: torch.Tensor) -> Dense:
        """The LM head restricted to ``tokens``, in fp32 (logit ``k`` of its output is ``tokens[k]``'s)."""
        return self.lm_head.rows(tokens)


TOLERANCE = {Kernel.FP32: 0.01, Kernel.BF16: 0.75, Kernel.INT8: 3.0}
"""Largest logit difference from transformers (fp32) accepted per kernel. Measured on two call prompts with
the merged adapter: fp32 3e-5, bf16 0.25-0.40, int8 (per-channel weights, bf16 activations) 1.3-1.8. The
most likely token must agree in every case."""


def check_against(model: Any, fast: FastLlama, tokens: list[int], tol: float | None = None) -> float:
    """Largest absolute logit difference against transformers on ``tokens``.

    Prefill, then two single-token steps (both paths of :meth:`FastLlama.forward`, with both kernels).

    Raises:
        ValueError: the difference exceeds ``tol`` (default: the kernel's :data:`TOLERANCE`) or the most
            likely next token differs at a step.
    """
    tol = max(TOLERANCE[fast.kernel], TOLERANCE[fast.step_kernel]) if tol is None else tol
    with torch.inference_mode():
        ref = model(input_ids=torch.tensor([tokens])).logits[0, -3:]
    cache = fast.new_cache()
    ours = torch.stack(
        [
            fast.forward(tokens[:-2], cache),
            fast.forward(tokens[-2:-1], cache),
            fast.forward(tokens[-1:], cache),
        ]
    )
    diff = float((ref - ours).abs().max())
    if diff > tol:
        raise ValueError(f"fast decoder ({fast.name}) disagrees with transformers by {diff:.4f} > {tol}")
    if not torch.equal(ref.argmax(-1), ours.argmax(-1)):
        raise ValueError(f"fast decoder ({fast.name}) picks other tokens than transformers")
    return diff
