"""Text-to-speech contract: a ``Synthesizer`` streams a reply as audio, one sentence per chunk."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"')\]]*\s+|\n+")
_ABBREVIATION = re.compile(r"(?:^|\s)(?:dr|mr|mrs|ms|st|no|vs|etc|approx)\.$", re.IGNORECASE)


@dataclass(frozen=True, slots=True, eq=False)
class AudioChunk:
    """Audio for one sentence of a reply: mono float32 ``pcm`` in [-1, 1] at ``rate`` Hz.

    ``index`` counts chunks from 0 within one ``synthesize`` call; ``final`` marks the last one.
    """

    pcm: NDArray[np.float32]
    rate: int
    text: str
    index: int
    final: bool

    @property
    def duration_s(self) -> float:
        return len(self.pcm) / self.rate


class Synthesizer(Protocol):
    """A text-to-speech voice producing audio at ``sample_rate``."""

    name: str
    sample_rate: int

    def synthesize(self, text: str) -> Iterator[AudioChunk]:
        """Yield one chunk per sentence, each as soon as it is synthesized (nothing for blank text)."""
        ...


_CLAUSE_END = re.compile(r"(?<=,)\s+")


def split_sentences(text: str) -> list[str]:
    """Split ``text`` after sentence punctuation (. ! ? …) or at line breaks; whitespace collapsed.

    Common abbreviations ("Dr.", "No.") and decimals ("$4.99") do not end a sentence.
    """
    sentences: list[str] = []
    pending = ""
    position = 0
    for match in _SENTENCE_END.finditer(text):
        piece = text[position : match.start()] + text[match.start() : match.end()].rstrip()
        position = match.end()
        pending = f"{pending} {piece}" if pending else piece
        if "\n" not in match.group() and _ABBREVIATION.search(pending.rstrip("\"')]")):
            continue
        sentences.append(pending)
        pending = ""
    rest = text[position:]
    pending = f"{pending} {rest}" if pending else rest
    sentences.append(pending)
    return [" ".join(s.split()) for s in sentences if s.strip()]


MAX_CHUNK_CHARS = 60
"""Sentences longer than this are spoken in clause-sized chunks (a long readback starts sooner)."""

ACKNOWLEDGMENTS = ("Okay,", "Sure,", "Alright,", "Got it,", "No problem,")
"""Words a reply may open with; spoken as a chunk of their own (see :func:`speech_chunks`)."""
_LEADING_ACK = re.compile(r"^(" + "|".join(re.escape(a) for a in ACKNOWLEDGMENTS) + r")\s+(?=\S)")
MIN_ACK_REST = 12
"""The rest of the sentence must be at least this long for the acknowledgment to go first on its own."""


def speech_chunks(text: str, max_chars: int = MAX_CHUNK_CHARS) -> list[str]:
    """Sentences of ``text``, each longer than ``max_chars`` cut after commas into chunks of at most
    ``max_chars`` where the clauses allow: "I have a Latte, a Muffin, ..." -> "I have a Latte, a Muffin,", ...
    The first audio of a long readback then waits for one clause group, not the whole list.

    A reply's opening acknowledgment ("Okay,") is a chunk of its own when the rest of its sentence is long:
    it is the same audio every time (synthesized once, cached), so the customer hears the reply start at
    once while "a Veggie Burger with no tomato." is synthesized behind it."""
    chunks: list[str] = []
    sentences = split_sentences(text)
    if sentences and (ack := _LEADING_ACK.match(sentences[0])) is not None:
        rest = sentences[0][ack.end() :]
        if len(rest) >= MIN_ACK_REST:
            chunks.append(ack.group(1))
            sentences[0] = rest
    for sentence in sentences:
        if len(sentence) <= max_chars:
            chunks.append(sentence)
            continue
        current = ""
        for clause in _CLAUSE_END.split(sentence):
            candidate = f"{current} {clause}" if current else clause
            if current and len(candidate) > max_chars:
                chunks.append(current)
                candidate = clause
            current = candidate
        if current:
            chunks.append(current)
    return chunks
