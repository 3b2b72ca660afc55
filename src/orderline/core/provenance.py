"""Where an order change came from: a rule or a model, which one, how sure, how long it took."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Source(StrEnum):
    """Who proposed a command."""

    RULE = "rule"
    MODEL = "model"
    CREW = "crew"
    SYSTEM = "system"


class Provenance(BaseModel):
    """Attached to every command and to every order line it creates or changes."""

    model_config = ConfigDict(frozen=True)

    source: Source = Source.RULE
    name: str = "tier1"
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    latency_ms: float = Field(default=0.0, ge=0.0)
    span: str = ""


RULE = Provenance()
SYSTEM = Provenance(source=Source.SYSTEM, name="system")
