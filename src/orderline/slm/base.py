"""What every SLM backend offers: complete one prompt under a grammar, within a deadline.

Backends: :mod:`orderline.slm.local` (in-process, CPU) and :mod:`orderline.slm.vllm` (HTTP client of an
OpenAI-compatible server: vLLM on a GPU, or ``orderline serve-slm``). Callers talk to the Protocol only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from orderline.slm.grammar import Constraint


class SlmError(Exception):
    """A backend could not answer (down, too slow, invalid reply)."""


class SlmTimeoutError(SlmError):
    """The answer did not come within the request's deadline."""


class SlmUnavailableError(SlmError):
    """The backend is down or its circuit breaker is open."""


class SlmBusyError(SlmError):
    """The backend was busy with other calls until too late to start this one; nothing was run.

    Not a timeout: the model is not slow, it is oversubscribed (the call's outcome is ``busy``).
    """


@dataclass(frozen=True)
class SlmRequest:
    """One completion.

    Attributes:
        prompt: the full prompt text (the backend adds nothing but its fixed prefix, if any).
        grammar: what the answer may be; decoding follows it, so the answer always parses.
        model: which adapter/model to use (per restaurant brand); ``None``: the backend's default.
        max_tokens: a hard cap on answer tokens (DSL answers are short).
        timeout_s: the deadline for this call, measured from when it is asked (``complete`` is called), so
            time spent waiting for a busy model counts.
    """

    prompt: str
    grammar: Constraint
    model: str | None = None
    max_tokens: int = 24
    timeout_s: float = 1.0


@dataclass(frozen=True)
class SlmResult:
    text: str
    model: str
    confidence: float
    latency_ms: float
    tokens: int = 0


class SlmBackend(Protocol):
    """Anything that completes prompts under a grammar."""

    @property
    def name(self) -> str: ...

    async def complete(self, request: SlmRequest) -> SlmResult: ...

    async def aclose(self) -> None: ...
