"""Normalise ASR-style or typed text into tokens the lexicon can match.

Lower-case, accents stripped, apostrophes dropped (``that's`` -> ``thats``), hyphens and punctuation
to spaces (decimal points kept), fillers removed, ``#1`` -> ``number 1``.
"""

from __future__ import annotations

import re
import unicodedata

FILLERS = frozenset({"um", "umm", "uh", "uhh", "uhm", "er", "erm", "hmm", "hm", "mm", "mmm", "ah", "eh"})

_HASH_NUMBER = re.compile(r"#\s*(\d+)")
_DECIMAL = re.compile(r"(\d)\.(\d)")
_NON_WORD = re.compile(r"[^a-z0-9\u2024 ]+")
_APOSTROPHES = re.compile(r"['\u2019`]")
_AMPERSAND = re.compile(r"\s*&\s*")


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalize_phrase(text: str) -> tuple[str, ...]:
    """Tokens of a lexicon phrase or an utterance, without removing fillers."""
    text = strip_accents(text.lower())
    text = _HASH_NUMBER.sub(r" number \1 ", text)
    text = _APOSTROPHES.sub("", text)
    text = _AMPERSAND.sub(" and ", text)
    text = _DECIMAL.sub("\\1\u2024\\2", text)  # protect decimal points from the punctuation pass
    text = _NON_WORD.sub(" ", text).replace("\u2024", ".")
    return tuple(text.split())


def normalize(text: str) -> tuple[str, ...]:
    """Tokens of an utterance: :func:`normalize_phrase` minus fillers like "um"."""
    return tuple(t for t in normalize_phrase(text) if t not in FILLERS)
