"""What tier 1 understood of an utterance, and how sure it is: the input to SLM call decisions."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from orderline.core.commands import Command


class Span(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: int
    end: int
    text: str


class Coverage(BaseModel):
    """Which words tier 1 explained.

    Attributes:
        tokens: the normalised tokens.
        unknown: content words no rule explained (spans of consecutive tokens).
        fuzzy: words matched only approximately (e.g. a mis-recognised topping).
        modifier_spans: spans that carried modifier instructions ("no onions, extra pickles").
        confidence: 1.0 when every content word matched exactly; lower with fuzzy or unknown words.
        off_menu: phrases asking for food or drink the menu does not have ("garlic knots"); they are
            answered "we don't have ...", so no model call is made for them.
    """

    model_config = ConfigDict(frozen=True)

    tokens: tuple[str, ...] = ()
    unknown: tuple[Span, ...] = ()
    fuzzy: tuple[Span, ...] = ()
    modifier_spans: tuple[Span, ...] = ()
    references: bool = False
    confidence: float = 1.0
    off_menu: tuple[Span, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.unknown


class SlmCall(BaseModel):
    """One SLM call made for an utterance (for provenance, metrics and the dashboard)."""

    model_config = ConfigDict(frozen=True)

    kind: str
    say: str
    reason: str
    model: str
    answer: str
    ok: bool
    latency_ms: float
    attempts: tuple[str, ...] = ()


class Understanding(BaseModel):
    """Commands proposed for one utterance plus the coverage report and any SLM calls made."""

    model_config = ConfigDict(frozen=True)

    text: str
    commands: tuple[Command, ...]
    coverage: Coverage
    calls: tuple[SlmCall, ...] = ()
