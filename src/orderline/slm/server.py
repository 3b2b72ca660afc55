"""``orderline serve-slm``: the local backend behind the OpenAI-compatible completions API subset
that the vLLM client uses, so the client is tested against a real server process on a CPU.

Routes: ``GET /health``, ``GET /v1/models``, ``POST /v1/completions`` (``model``, ``prompt``,
``max_tokens``, ``structured_outputs.regex`` or ``guided_regex``; greedy decoding). Models are served by
name: each adapter name, plus ``base``.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

from orderline.slm.base import SlmBusyError, SlmRequest, SlmTimeoutError
from orderline.slm.grammar import RegexConstraint
from orderline.slm.local import LocalBackend

MAX_PROMPT_CHARS = 8000


class StructuredOutputs(BaseModel):
    regex: str | None = None


class CompletionRequest(BaseModel):
    model: str
    prompt: str = Field(max_length=MAX_PROMPT_CHARS)
    max_tokens: int = Field(default=24, ge=1, le=256)
    temperature: float = 0.0
    logprobs: int | None = None
    stop: list[str] | str | None = None
    structured_outputs: StructuredOutputs | None = None
    guided_regex: str | None = None
    timeout_s: float = Field(default=30.0, gt=0, le=120)


class Drill(BaseModel):
    delay_ms: int = Field(ge=0, le=60_000)


def create_slm_app(
    backends: dict[str, LocalBackend], default: str, delay_ms: int = 0, drills: bool = False
) -> FastAPI:
    """An app serving ``backends`` by model name.

    ``delay_ms`` delays every answer (a slow or overloaded server); with ``drills`` the delay can be
    changed at run time through ``POST /drill`` (fault drills and tests; off by default).
    """
    app = FastAPI(title="Orderline SLM (OpenAI-compatible subset)")
    state = {"delay_ms": delay_ms}

    if drills:

        @app.post("/drill")
        def drill(body: Drill) -> dict[str, int]:
            state["delay_ms"] = body.delay_ms
            return state

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/models")
    def models() -> dict[str, Any]:
        return {
            "object": "list",
            "data": [{"id": name, "object": "model", "owned_by": "orderline"} for name in backends],
        }

    @app.post("/v1/completions")
    def completions(body: CompletionRequest) -> dict[str, Any]:
        backend = backends.get(body.model) or (backends[default] if body.model in ("", "default") else None)
        if backend is None:
            raise HTTPException(404, f"model {body.model!r} is not served (have: {', '.join(backends)})")
        pattern = (body.structured_outputs.regex if body.structured_outputs else None) or body.guided_regex
        if not pattern:
            raise HTTPException(400, "structured_outputs.regex is required: answers are always constrained")
        try:
            constraint = RegexConstraint(pattern)
            constraint.compiled  # noqa: B018 - compile now to report a bad pattern as a 400
        except Exception as exc:
            raise HTTPException(400, f"bad regex: {exc}") from exc
        request = SlmRequest(
            prompt=body.prompt, grammar=constraint, max_tokens=body.max_tokens, timeout_s=body.timeout_s
        )
        if state["delay_ms"]:
            time.sleep(
                state["delay_ms"] / 1000
            )  # fault drill (--delay-ms): a slow or overloaded model server
        try:
            result = backend.complete_sync(request, deadline=time.monotonic() + body.timeout_s)
        except SlmBusyError as exc:
            raise HTTPException(503, str(exc)) from exc
        except SlmTimeoutError as exc:
            raise HTTPException(504, str(exc)) from exc
        return {
            "id": f"cmpl-{uuid.uuid4().hex[:16]}",
            "object": "text_completion",
            "created": int(time.time()),
            "model": body.model,
            "choices": [{"index": 0, "text": result.text, "finish_reason": "stop", "logprobs": None}],
            "usage": {"prompt_tokens": 0, "completion_tokens": result.tokens, "total_tokens": result.tokens},
            "orderline": {"confidence": result.confidence, "latency_ms": round(result.latency_ms, 2)},
        }

    return app
