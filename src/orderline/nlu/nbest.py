"""Choose among a recogniser's n-best hypotheses the one the menu explains best.

Whisper's beam often holds the right words a rank or two down: "pizza with hand and bacon" first,
"pizza with ham and bacon" second. Tier 1 (the deterministic matcher) reads every hypothesis against the
current order; each is scored by its mean token log-probability minus ``UNKNOWN_PENALTY`` per content
word no rule explains (half that per word matched only approximately). The best score wins, the
recogniser's order breaking ties, so an utterance tier 1 explains in every hypothesis keeps the top one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from orderline.asr.base import Alternative
from orderline.nlu.coverage import Coverage
from orderline.nlu.matcher import RuleMatcher
from orderline.order.state import Order

UNKNOWN_PENALTY = 1.0
"""Score lost per unexplained content word; a mean log-probability gap between beam hypotheses is
rarely above 0.3, so an explained word outweighs the recogniser's preference."""


@dataclass(frozen=True, slots=True)
class Ranked:
    """One hypothesis with what tier 1 made of it."""

    rank: int
    alternative: Alternative
    unexplained: float
    score: float


def unexplained(coverage: Coverage) -> float:
    """Content words tier 1 could not place: unknown words count 1, approximate matches 1/2."""
    return sum(s.end - s.start for s in coverage.unknown) + 0.5 * sum(s.end - s.start for s in coverage.fuzzy)


def rank_hypotheses(alternatives: Sequence[Alternative], rules: RuleMatcher, order: Order) -> list[Ranked]:
    """Every hypothesis scored against ``order``, best first (stable: ties keep the recogniser's order)."""
    ranked = []
    for rank, alternative in enumerate(alternatives):
        missing = unexplained(rules.understand(alternative.text, order).coverage)
        ranked.append(Ranked(rank, alternative, missing, alternative.avg_logprob - UNKNOWN_PENALTY * missing))
    return sorted(ranked, key=lambda r: (-r.score, r.rank))


def choose_hypothesis(alternatives: Sequence[Alternative], rules: RuleMatcher, order: Order) -> Ranked | None:
    """The best-scoring hypothesis, or None when there are none."""
    if not alternatives:
        return None
    if len(alternatives) == 1:
        return Ranked(0, alternatives[0], 0.0, alternatives[0].avg_logprob)
    return rank_hypotheses(alternatives, rules, order)[0]
