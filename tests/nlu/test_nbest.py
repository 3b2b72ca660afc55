"""nlu.nbest: the n-best hypothesis the menu explains best is acted on; ties keep the recogniser's order."""

from __future__ import annotations

import pytest

from orderline.asr.base import Alternative
from orderline.nlu.matcher import RuleMatcher
from orderline.nlu.nbest import choose_hypothesis, rank_hypotheses, snap_to_answer
from orderline.order.state import Order


def test_a_lower_ranked_hypothesis_with_menu_words_wins(pizza_matcher: RuleMatcher) -> None:
    heard = (
        Alternative("a large pizza with hand and bacon", -0.20),
        Alternative("a large pizza with ham and bacon", -0.35),
    )
    chosen = choose_hypothesis(heard, pizza_matcher, Order())
    assert chosen is not None
    assert chosen.rank == 1
    assert chosen.alternative.text.endswith("ham and bacon")
    assert chosen.unexplained == 0


def test_when_all_are_explained_the_recognisers_best_stays(pizza_matcher: RuleMatcher) -> None:
    heard = (
        Alternative("a large pizza with mushrooms", -0.30),
        Alternative("a large pizza with mushroom", -0.31),
        Alternative("large pizza with mushrooms", -0.30),
    )
    ranked = rank_hypotheses(heard, pizza_matcher, Order())
    assert ranked[0].rank == 0
    assert all(r.unexplained == 0 for r in ranked)


def test_no_or_one_hypothesis(pizza_matcher: RuleMatcher) -> None:
    assert choose_hypothesis((), pizza_matcher, Order()) is None
    only = choose_hypothesis((Alternative("a pizza with hand", -0.2),), pizza_matcher, Order())
    assert only is not None and only.rank == 0
    assert only.unexplained > 0  # a lone hypothesis is still read by tier 1 (the snap relies on it)


@pytest.mark.parametrize(
    ("heard", "answer"),
    [("media.", "medium"), ("Large.", "large"), ("mall", "small"), ("a coke please", None), ("no", None)],
)
def test_a_short_answer_snaps_to_the_one_choice_it_sounds_like(heard: str, answer: str | None) -> None:
    snapped = snap_to_answer((Alternative(heard, -0.2),), ("small", "medium", "large"))
    assert snapped == (None if answer is None else (0, answer))


def test_the_first_hypothesis_that_sounds_like_a_choice_gives_the_rank() -> None:
    heard = (Alternative("a coke please", -0.1), Alternative("media", -0.3))
    assert snap_to_answer(heard, ("small", "medium", "large")) == (1, "medium")


def test_no_snap_when_two_choices_sound_alike() -> None:
    assert snap_to_answer((Alternative("latte", -0.2),), ("latte", "lattes")) is None
