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

from orderline.slm.kernels import Kernel


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


Linear = Dense | Int8


def linear(w: torch.Tensor, kernel: Kernel) -> Linear:
    if kernel is Kernel.INT8:
        return Int8(w)
    return Dense(w, torch.bfloat16 if kernel is Kernel.BF16 else torch.float32)


@dataclass
class KvCache:
    k: list[torch.Tensor]
    v: list[torch.Tensor]
    length: int = 0

    def clone(self) -> KvCache:
        return KvCache([t.clone() for t in self.k], [t.clone() for t in self.v], self.length)


class FastLlama:
    def __init__(self, model: Any, max_len: int = 1024, kernel: Kernel = Kernel.FP32) -> None:
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
        self.lm_head = linear(model.lm_head.weight, kernel)
        self.layers: list[tuple[torch.Tensor, Linear, Linear, torch.Tensor, Linear, Linear]] = []
        for layer in base.layers:
            att, mlp = layer.self_attn, layer.mlp
            qkv = torch.cat([att.q_proj.weight, att.k_proj.weight, att.v_proj.weight]).detach()
            gate_up = torch.cat([mlp.gate_proj.weight, mlp.up_proj.weight]).detach()
            self.layers.append(
                (
                    layer.input_layernorm.weight.detach(),
                    linear(qkv, kernel),
                    linear(att.o_proj.weight, kernel),
                    layer.post_attention_layernorm.weight.detach(),
                    linear(gate_up, kernel),
                    linear(mlp.down_proj.weight, kernel),
                )
            )
        theta = float(getattr(cfg, "rope_theta", None) or cfg.rope_parameters["rope_theta"])
        inv = 1.0 / (theta ** (torch.arange(0, self.head_dim, 2, dtype=torch.float32) / self.head_dim))
        freqs = torch.outer(torch.arange(max_len, dtype=torch.float32), inv)
        emb = torch.cat([freqs, freqs], dim=-1)
        self.cos, self.sin = emb.cos(), emb.sin()
        self.inter = int(cfg.intermediate_size)

    def new_cache(self) -> KvCache:
        shape = (self.n_kv, self.max_len, self.head_dim)
        n = len(self.layers)
        return KvCache([torch.zeros(shape) for _ in range(n)], [torch.zeros(shape) for _ in range(n)])

    def _rms(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * w

    @staticmethod
    def _rot(x: torch.Tensor) -> torch.Tensor:
        half = x.shape[-1] // 2
        return torch.cat([-x[..., half:], x[..., :half]], dim=-1)

    @torch.inference_mode()
    def forward(self, ids: list[int], cache: KvCache, head: Dense | None = None) -> torch.Tensor:
        """Logits after the last of ``ids`` (appended to ``cache``).

        ``head`` (rows of :meth:`head_rows`) computes only those tokens' logits instead of the whole
        vocabulary's: the LM head is the largest matmul of a decoding step.
        """
        t, p = len(ids), cache.length
        if p + t > self.max_len:
            raise ValueError("prompt longer than the decoder's cache")
        h = self.embed[torch.tensor(ids)]
        cos, sin = self.cos[p : p + t], self.sin[p : p + t]
        nq, nk, d = self.n_heads, self.n_kv, self.head_dim
        mask = None
        if t > 1:
            mask = torch.ones(t, p + t, dtype=torch.bool).tril(diagonal=p)
        for k_layer, (ln1, qkv_w, o_w, ln2, gu_w, down_w) in enumerate(self.layers):
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
        return (head or self.lm_head)(self._rms(h[-1:], self.norm))[0]

    def head_rows(self, tokens: torch.Tensor) -> Dense:
        """The LM head restricted to ``tokens``, in fp32 (logit ``k`` of its output is ``tokens[k]``'s)."""
        return self.lm_head.rows(tokens)


TOLERANCE = {Kernel.FP32: 0.01, Kernel.BF16: 0.75, Kernel.INT8: 3.0}
"""Largest logit difference from transformers (fp32) accepted per kernel. Measured on two call prompts with
the merged adapter: fp32 3e-5, bf16 0.25-0.40, int8 (per-channel weights, bf16 activations) 1.3-1.8. The
most likely token must agree in every case."""


def check_against(model: Any, fast: FastLlama, tokens: list[int], tol: float | None = None) -> float:
    """Largest absolute logit difference against transformers on ``tokens``.

    Prefill, then two single-token steps (both paths of :meth:`FastLlama.forward`).

    Raises:
        ValueError: the difference exceeds ``tol`` (default: the kernel's :data:`TOLERANCE`) or the most
            likely next token differs at a step.
    """
    tol = TOLERANCE[fast.kernel] if tol is None else tol
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
        raise ValueError(f"fast decoder ({fast.kernel}) disagrees with transformers by {diff:.4f} > {tol}")
    if not torch.equal(ref.argmax(-1), ours.argmax(-1)):
        raise ValueError(f"fast decoder ({fast.kernel}) picks other tokens than transformers")
    return diff
