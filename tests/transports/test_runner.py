"""The voice runner's soft endpoint: a held unfinished turn and what follows become one utterance."""

from __future__ import annotations

import numpy as np

from orderline.audio.turns import TurnEnded
from orderline.dialog.hearing import sounds_unfinished
from orderline.transports.runner import _joined


def test_words_that_stop_mid_sentence_are_unfinished() -> None:
    for text in ("a cheeseburger and", "a large pizza with", "uh", "can i get", "a number one with no", ""):
        assert sounds_unfinished(text), text
    for text in ("a cheeseburger", "that's it", "a large pizza with pepperoni", "two small pizzas"):
        assert not sounds_unfinished(text), text


def test_two_utterances_join_with_the_pause_kept_as_silence() -> None:
    first = TurnEnded(np.ones(16000, np.float32), 100, 1000, "silence", 1300, 0)  # audio 0..1000 ms
    second = TurnEnded(
        np.full(8000, 0.5, np.float32), 1700, 2100, "silence", 2400, 1600
    )  # audio 1600..2100 ms
    joined = _joined(first, second)
    assert joined.start_ms == 100 and joined.audio_start_ms == 0 and joined.end_ms == 2100
    assert joined.audio.size == 16000 + 600 * 16 + 8000  # 600 ms of silence between them
    assert np.all(joined.audio[16000 : 16000 + 9600] == 0) and joined.audio[-1] == 0.5
