"""Tag tokens with menu entities and ordering vocabulary: longest exact match, then fuzzy.

The tagger knows nothing about orders; it only says what each span of words could mean.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from orderline.core.text import normalize_phrase
from orderline.menu.lexicon import MenuLexicon, build_lexicon
from orderline.menu.schema import Menu
from orderline.nlu import vocab
from orderline.nlu.vocab import Kind

FUZZY_MIN_CHARS = 5


def max_edits(text: str) -> int:
    """Spelling slack: one edit (or swap of neighbours) up to 7 letters, two beyond."""
    return 1 if len(text) <= 7 else 2


@dataclass(frozen=True, slots=True)
class Sense:
    kind: Kind
    value: str | int = ""


@dataclass(frozen=True, slots=True)
class Tag:
    """A span of tokens and what it may mean, best reading first."""

    senses: tuple[Sense, ...]
    start: int
    end: int
    text: str
    confidence: float = 1.0

    @property
    def kind(self) -> Kind:
        return self.senses[0].kind

    @property
    def value(self) -> str | int:
        return self.senses[0].value

    def has(self, kind: Kind) -> bool:
        return any(s.kind is kind for s in self.senses)

    def get(self, kind: Kind) -> Sense | None:
        return next((s for s in self.senses if s.kind is kind), None)

    def only(self, kind: Kind) -> Tag:
        sense = self.get(kind)
        return Tag((sense,), self.start, self.end, self.text, self.confidence) if sense else self


def _vocab_table() -> dict[tuple[str, ...], list[Sense]]:
    table: dict[tuple[str, ...], list[Sense]] = {}

    def put(phrase: str, sense: Sense) -> None:
        key = normalize_phrase(phrase)
        if key and sense not in table.setdefault(key, []):
            table[key].append(sense)

    groups: list[tuple[tuple[str, ...], Kind]] = [
        (vocab.CANCEL, Kind.CANCEL),
        (vocab.HANDOFF, Kind.HANDOFF),
        (vocab.UNDO, Kind.UNDO),
        (vocab.CLEAR, Kind.CLEAR),
        (vocab.DONE, Kind.DONE),
        (vocab.NEGATIONS, Kind.NEG),
        (vocab.NO, Kind.NO),
        (vocab.YES, Kind.YES),
        (vocab.REMOVE, Kind.REMOVE),
        (vocab.CHANGE, Kind.CHANGE),
        (vocab.INSTEAD, Kind.INSTEAD),
        (vocab.CORRECT, Kind.CORRECT),
        (vocab.COMBO, Kind.COMBO),
        (vocab.REPEATS, Kind.REPEAT),
        (vocab.SIDES, Kind.SIDE),
        (vocab.REF_PREPOSITIONS, Kind.REFPREP),
        (vocab.REFS, Kind.REF),
        (vocab.POSITIVES, Kind.POS),
        (vocab.CONJUNCTIONS, Kind.CONJ),
        (vocab.FILLER_PHRASES, Kind.FILLER),
    ]
    for phrases, kind in groups:
        for phrase in phrases:
            put(phrase, Sense(kind, phrase))
    for phrase, level in vocab.LEVELS.items():
        put(phrase, Sense(Kind.LEVEL, level))
    for phrase, n in vocab.NUMBERS.items():
        put(phrase, Sense(Kind.QTY, n))
    for n in range(0, 100):
        put(str(n), Sense(Kind.QTY, n))
    for phrase, n in vocab.ORDINALS.items():
        put(phrase, Sense(Kind.ORD, n))
        put(f"the {phrase}", Sense(Kind.ORD, n))
        put(f"{phrase} one", Sense(Kind.ORD, n))
        put(f"the {phrase} one", Sense(Kind.ORD, n))
    return table


_VOCAB = _vocab_table()
_ENTITY_KINDS = {"item": Kind.ITEM, "option": Kind.OPTION, "size": Kind.SIZE}


class Tagger:
    """Tags utterances for one menu. Build once per menu; tagging is pure and fast."""

    def __init__(self, menu: Menu, lexicon: MenuLexicon | None = None) -> None:
        self.menu = menu
        lex = lexicon or build_lexicon(menu)
        table: dict[tuple[str, ...], tuple[Sense, ...]] = {}
        for phrase, entries in lex.phrases.items():
            table[phrase] = tuple(Sense(_ENTITY_KINDS[e.kind.value], e.id) for e in entries)
        for phrase, senses in _VOCAB.items():
            table[phrase] = (*table.get(phrase, ()), *senses)
        self._table = table
        self._max_len = max(len(p) for p in table)
        entity_phrases = [" ".join(p) for p in lex.phrases if len(" ".join(p)) >= FUZZY_MIN_CHARS]
        self._fuzzy_choices = {n: [p for p in entity_phrases if p.count(" ") + 1 == n] for n in (1, 2, 3)}

    def lookup(self, phrase: tuple[str, ...]) -> tuple[Sense, ...]:
        return self._table.get(phrase, ())

    def tag(self, tokens: tuple[str, ...]) -> list[Tag]:
        """Tags for the tokens; tokens no tag covers are left out (see :func:`uncovered`).

        Exact phrases are chosen by a segmentation that covers the most words with the fewest
        tags (so "please do not add any" reads as "please" + "do not add any"); words left over
        are then tried run together with their neighbour and fuzzily.
        """
        n = len(tokens)
        # best[i] = (score, tags) for tokens[i:]
        best: list[tuple[int, list[Tag]]] = [(0, [])] * (n + 1)
        for i in range(n - 1, -1, -1):
            choice = best[i + 1]
            for length in range(1, min(self._max_len, n - i) + 1):
                senses = self._table.get(tokens[i : i + length])
                if not senses:
                    continue
                score = best[i + length][0] + 10 * length - 1
                if score >= choice[0]:  # on ties, explain the earlier words ("take off" | "the")
                    tag = Tag(senses, i, i + length, " ".join(tokens[i : i + length]))
                    choice = (score, [tag, *best[i + length][1]])
            best[i] = choice
        exact = best[0][1]
        covered = {k for t in exact for k in range(t.start, t.end)}
        extra: list[Tag] = []
        i = 0
        while i < n:
            if i in covered:
                i += 1
                continue
            found = self._merged(tokens, i, covered) or self._fuzzy(tokens, i, covered)
            if found is None:
                i += 1
                continue
            extra.append(found)
            i = found.end
        return sorted([*exact, *extra], key=lambda t: t.start)

    def _merged(self, tokens: tuple[str, ...], i: int, covered: set[int]) -> Tag | None:
        """ASR splits words ("pepper oni", "cheese burger"): try two tokens run together."""
        if i + 1 >= len(tokens) or i + 1 in covered:
            return None
        senses = self._table.get((tokens[i] + tokens[i + 1],), ())
        entity = tuple(s for s in senses if s.kind in (Kind.ITEM, Kind.OPTION, Kind.SIZE))
        if entity:
            return Tag(entity, i, i + 2, f"{tokens[i]} {tokens[i + 1]}", confidence=0.9)
        return None

    def _fuzzy(self, tokens: tuple[str, ...], i: int, covered: set[int]) -> Tag | None:
        word = tokens[i]
        if len(word) < FUZZY_MIN_CHARS or word in vocab.FILLERS or not word.isalpha():
            return None
        for length in (3, 2, 1):
            if i + length > len(tokens) or any(k in covered for k in range(i, i + length)):
                continue
            window = tokens[i : i + length]
            if length > 1 and any(t in vocab.FILLERS for t in window[1:]):
                continue
            query = " ".join(window)
            best = process.extractOne(
                query, self._fuzzy_choices[length], scorer=OSA.distance, score_cutoff=max_edits(query)
            )
            if best is not None:
                phrase = tuple(str(best[0]).split())
                senses = tuple(
                    s for s in self._table[phrase] if s.kind in (Kind.ITEM, Kind.OPTION, Kind.SIZE)
                )
                if senses:
                    confidence = round(1.0 - float(best[1]) / max(len(query), 1), 3)
                    return Tag(senses, i, i + length, query, confidence=confidence)
        return None


def uncovered(tokens: tuple[str, ...], tags: list[Tag]) -> list[tuple[int, int]]:
    """Spans of content words that no tag explains and that are not known filler words."""
    covered = [False] * len(tokens)
    for tag in tags:
        for k in range(tag.start, tag.end):
            covered[k] = True
    spans: list[tuple[int, int]] = []
    start: int | None = None
    for k, token in enumerate(tokens):
        unexplained = not covered[k] and token not in vocab.FILLERS
        if unexplained and start is None:
            start = k
        elif not unexplained and start is not None:
            spans.append((start, k))
            start = None
    if start is not None:
        spans.append((start, len(tokens)))
    return spans
