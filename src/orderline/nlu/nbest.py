"""Choose among a recogniser's n-best hypotheses the one the menu explains best.

Whisper's beam often holds the right words a rank or two down: "pizza with hand and bacon" first,
"pizza with ham and bacon" second. Tier 1 (the deterministic matcher) reads every hypothesis against the
current order; each is scored by its mean token log-probability minus ``UNKNOWN_PENALTY`` per content
word no rule explains (half that per word matched only approximately). The best score wins, the
recogniser's order breaking ties, so an utterance tier 1 explains in every hypothesis keeps the top one.

When a clarifying question is pending ("small, medium or large?") and no hypothesis is explained, a short
hypothesis that sounds like exactly one of the choices ("media") is taken as that choice
(:func:`snap_to_answer`): a closed question has few possible answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from orderline.asr.base import Alternative
from orderline.core.text import normalize
from orderline.nlu.coverage import Coverage
from orderline.nlu.matcher import RuleMatcher
from orderline.order.state import Order

SNAP_MIN_RATIO = 70.0
"""Least rapidfuzz ratio (0-100) between a short hypothesis and a choice for :func:`snap_to_answer`."""
SNAP_MAX_WORDS = 3
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
    return rank_hypotheses(alternatives, rules, order)[0]


def snap_to_answer(alternatives: Sequence[Alternative], answers: Sequence[str]) -> tuple[int, str] | None:
    """(rank, choice): the one choice of a pending question that a short hypothesis sounds like, if exactly
    one does; the first such hypothesis wins.

    Each hypothesis of at most ``SNAP_MAX_WORDS`` words is compared (normalised) with each answer; the
    best ratio must reach ``SNAP_MIN_RATIO`` and no other answer may come within 10 points of it.
    """
    choices = [(a, " ".join(normalize(a))) for a in answers]
    for rank, alternative in enumerate(alternatives):
        heard = " ".join(normalize(alternative.text))
        if not heard or len(heard.split()) > SNAP_MAX_WORDS:
            continue
        scored = sorted(((fuzz.ratio(heard, c), a) for a, c in choices if c), reverse=True)
        if not scored or scored[0][0] < SNAP_MIN_RATIO:
            continue
        if len(scored) > 1 and scored[1][0] >= scored[0][0] - 10:
            continue
        return rank, scored[0][1]
    return None
