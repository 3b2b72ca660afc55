"""A word grammar for constrained decoding: a closed vocabulary of DSL words in a tiny state machine.

An answer is ``[LEAD] BODY...`` or ``LEAD none`` or a single ``SOLO`` word, words separated by single
spaces. The local backend checks every candidate token against :meth:`Grammar.allows_prefix`; the vLLM
backend sends :meth:`Grammar.regex` as a structured-output constraint. Both can therefore only produce
sentences of the grammar.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

import regex as _regex

_START, _LEAD, _BODY, _END = "start", "lead", "body", "end"


class Constraint(Protocol):
    """What a constrained decoder needs: can this text still grow into an answer, and is it one?"""

    def allows_prefix(self, text: str) -> bool: ...

    def accepts(self, text: str) -> bool: ...

    def regex(self) -> str: ...

    def forced(self, text: str) -> str: ...


@dataclass(frozen=True)
class RegexConstraint:
    """Any regular expression as a constraint (what vLLM's ``structured_outputs.regex`` asks for).

    Prefix checks use the ``regex`` module's partial matching, so ``orderline serve-slm`` honours the
    same request field as vLLM.
    """

    pattern: str

    @cached_property
    def compiled(self) -> _regex.Pattern[str]:
        return _regex.compile(self.pattern)

    def allows_prefix(self, text: str) -> bool:
        return self.compiled.fullmatch(text, partial=True) is not None

    def accepts(self, text: str) -> bool:
        return self.compiled.fullmatch(text) is not None

    def regex(self) -> str:
        return self.pattern

    def forced(self, text: str) -> str:
        return ""


@dataclass(frozen=True)
class Grammar:
    body: frozenset[str]
    lead: frozenset[str] = frozenset()
    solo: frozenset[str] = frozenset({"none", "?"})
    empty_after_lead: str = "none"
    max_words: int = 12
    _sorted: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)

    def _allowed(self, state: str) -> tuple[str, ...]:
        if state not in self._sorted:
            if state == _START:
                words = self.body | self.lead | self.solo
            elif state == _LEAD:
                words = self.body | {self.empty_after_lead}
            elif state == _BODY:
                words = self.body
            else:
                words = frozenset()
            self._sorted[state] = tuple(sorted(words))
        return self._sorted[state]

    def _next(self, state: str, word: str) -> str | None:
        if word not in self._allowed(state):
            return None
        if state == _START and word in self.lead:
            return _LEAD
        if word in self.solo or (state == _LEAD and word == self.empty_after_lead):
            return _END
        return _BODY

    def _walk(self, words: list[str], seen: set[str] | None = None) -> str | None:
        state: str | None = _START
        seen = set() if seen is None else seen
        for word in words:
            if state is None:
                return None
            key = _key(word)
            if key in seen:
                return None  # one instruction per option or slot: "+mayo +mayo=light" is not an answer
            seen.add(key)
            state = self._next(state, word)
        return state

    def allows_prefix(self, text: str) -> bool:
        """True if ``text`` (leading spaces ignored) can still be completed to a sentence."""
        text = text.lstrip(" ")
        if not text:
            return True
        if "  " in text or "\n" in text:
            return False
        *done, partial = text.split(" ")
        if len(done) + (1 if partial else 0) > self.max_words:
            return False
        seen: set[str] = set()
        state = self._walk(done, seen)
        if state is None:
            return False
        if ("=" in partial or "@" in partial) and _key(partial) in seen:
            return False
        if not partial:
            return state in (_LEAD, _BODY)
        allowed = self._allowed(state)
        k = bisect_left(allowed, partial)
        return k < len(allowed) and allowed[k].startswith(partial)

    def forced(self, text: str) -> str:
        """Characters every sentence continuing ``text`` must add next (within the current word).

        After ``+pick`` the only words left are ``+pickles``, ``+pickles=light`` and ``+pickles=extra``,
        so ``les`` is forced: the decoder appends it without asking the model (jump-forward decoding).
        """
        text = text.lstrip(" ")
        if not text:
            return ""
        *done, partial = text.split(" ")
        if not partial:
            return ""
        seen: set[str] = set()
        state = self._walk(done, seen)
        if state is None:
            return ""
        allowed = self._allowed(state)
        k = bisect_left(allowed, partial)
        options: list[str] = []
        while k < len(allowed) and allowed[k].startswith(partial):
            if _key(allowed[k]) not in seen:
                options.append(allowed[k])
            k += 1
        if not options:
            return ""
        return _common_prefix(options)[len(partial) :]

    def accepts(self, text: str) -> bool:
        """True if ``text`` is a complete sentence."""
        words = text.strip().split(" ")
        if not words or not words[0] or len(words) > self.max_words:
            return False
        return self._walk(words) in (_BODY, _END)

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(self.regex())

    def regex(self) -> str:
        """The grammar as a regular expression (for vLLM structured outputs)."""

        def alt(words: frozenset[str]) -> str:
            return "(?:" + "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w))) + ")"

        body = alt(self.body)
        more = f"{body}(?: {body}){{0,{self.max_words - 1}}}"
        parts = [more] if self.body else []
        if self.lead:
            parts.append(f"{alt(self.lead)} (?:{more}|{re.escape(self.empty_after_lead)})")
        if self.solo:
            parts.append(alt(self.solo))
        return " ?(?:" + "|".join(parts) + ")"


def _key(word: str) -> str:
    """What a word is about: ``+mayo=light@side`` -> ``mayo``, ``size=large`` -> ``size``."""
    if word[:1] in "+-":
        return word[1:].split("=", 1)[0].split("@", 1)[0]
    return word.split("=", 1)[0]


def _common_prefix(words: list[str]) -> str:
    first, last = min(words), max(words)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]
