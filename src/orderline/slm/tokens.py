"""Which vocabulary tokens a word grammar could ever emit, so the LM head computes only those logits.

An answer of a :class:`~orderline.slm.grammar.Grammar` is leading spaces and grammar words joined by
single spaces; every token the decoder can pick is a piece of such a string. Walking a
character trie of the vocabulary along each word (and on across a space into any next word) finds
every such token in a few thousand trie steps, instead of testing 49k pieces. The result is a superset
of what the grammar allows at any one step; the decoder still checks each candidate with
:meth:`~orderline.slm.grammar.Grammar.allows_prefix`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from orderline.slm.grammar import Grammar

_MAX_SPAN_WORDS = 3
"""A piece spans at most this many words ("e +", " none"): BPE pieces are a few characters long."""


@dataclass
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    token: list[int] = field(default_factory=list)


class TokenTrie:
    """A character trie over the decoded pieces of a tokenizer's vocabulary."""

    def __init__(self, pieces: Sequence[str]) -> None:
        self.root = _Node()
        for token, piece in enumerate(pieces):
            if not piece:
                continue
            node = self.root
            for ch in piece:
                nxt = node.children.get(ch)
                if nxt is None:
                    nxt = node.children[ch] = _Node()
                node = nxt
            node.token.append(token)

    def candidates(self, grammar: Grammar) -> set[int]:
        """Every token whose piece is a substring of some sentence of ``grammar``."""
        words = sorted(grammar.body | grammar.lead | grammar.solo | {grammar.empty_after_lead})
        found: set[int] = set()
        for word in words:
            for start in range(1, len(word)):
                self._walk(self.root, word[start:], words, _MAX_SPAN_WORDS, found)
        # An answer's start: any run of leading spaces (the grammar ignores them), then a word.
        node: _Node | None = self.root
        while node is not None:
            found.update(node.token)
            for word in words:
                self._walk(node, word, words, _MAX_SPAN_WORDS, found)
            node = node.children.get(" ")
        return found

    def _walk(self, node: _Node, text: str, words: Iterable[str], spans: int, found: set[int]) -> None:
        for ch in text:
            child = node.children.get(ch)
            if child is None:
                return
            node = child
            found.update(node.token)
        after_space = node.children.get(" ")
        if after_space is None or spans <= 1:
            return
        found.update(after_space.token)
        for word in words:
            self._walk(after_space, word, words, spans - 1, found)
