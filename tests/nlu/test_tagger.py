from __future__ import annotations

from orderline.core.text import normalize
from orderline.nlu.matcher import RuleMatcher
from orderline.nlu.tagger import uncovered
from orderline.nlu.vocab import Kind


def test_segmentation_prefers_the_reading_that_explains_most_words(pizza_matcher: RuleMatcher) -> None:
    tags = pizza_matcher.tagger.tag(normalize("but please do not add any thin crust"))
    kinds = [t.kind for t in tags]
    assert Kind.YES not in kinds  # "please do" must not swallow "do not add any"
    assert Kind.NEG in kinds


def test_longest_menu_phrase_wins(pizza_matcher: RuleMatcher) -> None:
    tags = pizza_matcher.tagger.tag(normalize("roasted red peppers"))
    assert [(t.kind, t.value) for t in tags] == [(Kind.OPTION, "roasted_red_peppers")]


def test_words_split_by_asr_are_run_together(burger_matcher: RuleMatcher) -> None:
    tags = burger_matcher.tagger.tag(normalize("a cheese burger"))
    assert any(t.has(Kind.ITEM) and t.value == "cheeseburger" for t in tags)


def test_uncovered_ignores_filler_words(pizza_matcher: RuleMatcher) -> None:
    tokens = normalize("hi there i would like a large pizza with glorp please")
    tags = pizza_matcher.tagger.tag(tokens)
    assert [" ".join(tokens[a:b]) for a, b in uncovered(tokens, tags)] == ["glorp"]
