"""Async client of vLLM's OpenAI-compatible completions API (also spoken by ``orderline serve-slm``).

* the adapter is chosen per restaurant brand by model name (``vllm serve --enable-lora --lora-modules
  burger=models/...``; dynamic loading with ``/v1/load_lora_adapter``);
* the answer is constrained by ``structured_outputs: {"regex": ...}`` built from the menu grammar;
* every call has a deadline; transport errors and 5xx are retried with jittered exponential backoff
  while the deadline allows; a circuit breaker stops calling a server that keeps failing.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from typing import Any

import httpx

from orderline.slm.base import SlmError, SlmRequest, SlmResult, SlmTimeoutError, SlmUnavailableError
from orderline.slm.breaker import CircuitBreaker

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


class VllmBackend:
    """:class:`~orderline.slm.base.SlmBackend` over HTTP."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        retries: int = 2,
        backoff_s: float = 0.05,
        breaker: CircuitBreaker | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.retries = retries
        self.backoff_s = backoff_s
        self.breaker = breaker or CircuitBreaker()
        self._rng = rng or random.Random()
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._clients: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}

    @property
    def _client(self) -> httpx.AsyncClient:
        """The connection pool of the running event loop (a pool cannot move between loops; a command-line
        tool that calls ``asyncio.run`` per conversation gets one per run)."""
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            for old in [lp for lp in self._clients if lp.is_closed()]:
                del self._clients[old]
            client = httpx.AsyncClient(base_url=self.base_url, headers=self._headers)
            self._clients[loop] = client
        return client

    @property
    def name(self) -> str:
        return f"vllm:{self.model}"

    async def aclose(self) -> None:
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()

    def payload(self, request: SlmRequest) -> dict[str, Any]:
        return {
            "model": request.model or self.model,
            "prompt": request.prompt,
            "max_tokens": request.max_tokens,
            "temperature": 0.0,
            "logprobs": 1,
            "stop": ["\n"],
            "structured_outputs": {"regex": request.grammar.regex()},
        }

    async def complete(self, request: SlmRequest) -> SlmResult:
        if not self.breaker.allow():
            raise SlmUnavailableError(f"{self.name}: circuit open after repeated failures")
        started = time.monotonic()
        deadline = started + request.timeout_s
        attempt = 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.breaker.failure()
                raise SlmTimeoutError(f"{self.name}: no answer within {request.timeout_s:.2f} s")
            try:
                response = await self._client.post(
                    "/v1/completions", json=self.payload(request), timeout=left
                )
                if response.status_code in RETRYABLE_STATUS:
                    raise _RetryableError(f"HTTP {response.status_code}")
                if response.status_code != 200:
                    self.breaker.failure()
                    raise SlmError(f"{self.name}: HTTP {response.status_code}: {response.text[:200]}")
                result = self._result(response.json(), request, started)
            except (httpx.TimeoutException, TimeoutError) as exc:
                self.breaker.failure()
                raise SlmTimeoutError(f"{self.name}: no answer within {request.timeout_s:.2f} s") from exc
            except (httpx.TransportError, _RetryableError) as exc:
                attempt += 1
                if attempt > self.retries:
                    self.breaker.failure()
                    raise SlmUnavailableError(f"{self.name}: {type(exc).__name__}: {exc}") from exc
                pause = self.backoff_s * (2 ** (attempt - 1)) * (0.5 + self._rng.random())
                await asyncio.sleep(min(pause, max(0.0, deadline - time.monotonic())))
                continue
            self.breaker.success()
            return result

    def _result(self, body: dict[str, Any], request: SlmRequest, started: float) -> SlmResult:
        try:
            choice = body["choices"][0]
            text = str(choice["text"]).strip()
        except (KeyError, IndexError, TypeError) as exc:
            raise SlmError(f"{self.name}: malformed completion response") from exc
        logprobs = (choice.get("logprobs") or {}).get("token_logprobs") or []
        values = [float(v) for v in logprobs if v is not None]
        confidence = math.exp(sum(values) / len(values)) if values else 1.0
        extra = body.get("orderline")
        if isinstance(extra, dict) and "confidence" in extra:
            confidence = float(extra["confidence"])
        return SlmResult(
            text=text,
            model=str(body.get("model", request.model or self.model)),
            confidence=round(min(1.0, confidence), 4),
            latency_ms=(time.monotonic() - started) * 1000,
            tokens=int((body.get("usage") or {}).get("completion_tokens", len(values))),
        )


class _RetryableError(Exception):
    pass
