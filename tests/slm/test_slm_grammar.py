"""Word grammars and regex constraints for constrained decoding."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from orderline.slm.grammar import Grammar, RegexConstraint

G = Grammar(
    body=frozenset({"-onions", "+mayo", "+mayo=light", "size=large"}), lead=frozenset({"line=1", "line=2"})
)
WORDS = sorted(G.body | G.lead | G.solo)


def test_prefixes() -> None:
    assert G.allows_prefix("")
    assert G.allows_prefix(" -on")
    assert G.allows_prefix("-onions +ma")
    assert G.allows_prefix("line=1 ")
    assert not G.allows_prefix("-onions  ")
    assert not G.allows_prefix("-pick")
    assert not G.allows_prefix("none ")
    assert not G.allows_prefix("+mayo +mayo=")  # an option only once


@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=5))
def test_regex_agrees_with_the_word_machine(words: list[str]) -> None:
    text = " ".join(words)
    keys = [w.lstrip("+-").split("=")[0] for w in words]
    if len(set(keys)) == len(keys):  # the regex cannot express "each option once"; the parser checks it
        assert G.accepts(text) == bool(G.pattern.fullmatch(text))
    if G.accepts(text):
        for cut in range(len(text) + 1):
            assert G.allows_prefix(text[:cut])


def test_regex_constraint_partial_matching() -> None:
    c = RegexConstraint(G.regex())
    assert c.allows_prefix(" -oni")
    assert c.accepts("-onions +mayo=light")
    assert not c.allows_prefix("+caviar")


def test_forced_characters_for_jump_forward_decoding() -> None:
    g = Grammar(body=frozenset({"+pickles", "+pickles=light", "+pickles=extra", "-onions", "+onions"}))
    assert g.forced("+pick") == "les"
    assert g.forced("-") == "onions"
    assert g.forced("+pickles ") == ""  # a new word: the model chooses
    assert g.forced("+pickles -") == "onions"
    assert g.forced("+pickles +") == "onions"  # pickles is taken, so only onions is left
