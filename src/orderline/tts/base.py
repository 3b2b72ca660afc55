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
