"""tts/piper.py: sentence streaming, resampling to the transport rate and the sentence cache (real voice)."""

from __future__ import annotations

import numpy as np
import pytest

from orderline.tts import speech_chunks, split_sentences
from orderline.tts.piper import PiperSynthesizer


@pytest.fixture(scope="module")
def native() -> PiperSynthesizer:
    # Zero noise makes synthesis deterministic, so two voices can be compared sample for sample.
    return PiperSynthesizer(noise_scale=0.0, noise_w_scale=0.0)


@pytest.fixture(scope="module")
def phone() -> PiperSynthesizer:
    return PiperSynthesizer(output_rate=8000, noise_scale=0.0, noise_w_scale=0.0)


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        (
            "Hi, welcome to Burger Barn! What can I get you?",
            ["Hi, welcome to Burger Barn!", "What can I get you?"],
        ),
        ("A Dr. Pepper is $4.99. Anything else?", ["A Dr. Pepper is $4.99.", "Anything else?"]),
        ("Okay...  got it.\nNext", ["Okay...", "got it.", "Next"]),
        ("no punctuation", ["no punctuation"]),
        ("  ", []),
    ],
)
def test_split_sentences(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


def test_streams_one_chunk_per_sentence_first_one_before_the_rest(native: PiperSynthesizer) -> None:
    calls = native.synth_calls
    stream = native.synthesize("Your total is nine dollars. Please pull forward to the window.")
    first = next(stream)
    assert native.synth_calls == calls + 1  # the second sentence is not synthesized yet
    assert first.text == "Your total is nine dollars."
    assert (first.index, first.final, first.rate) == (0, False, native.sample_rate)
    rest = list(stream)
    assert len(rest) >= 1
    assert rest[-1].final
    for chunk in (first, *rest):
        assert chunk.pcm.dtype == np.float32
        assert chunk.pcm.size > 0
        assert 0.0 < float(np.abs(chunk.pcm).max()) <= 1.0
    assert list(native.synthesize("   ")) == []


def test_output_rate_resamples_to_the_same_duration(
    native: PiperSynthesizer, phone: PiperSynthesizer
) -> None:
    text = "Would you like fries with that?"
    (wide,) = native.synthesize(text)
    (narrow,) = phone.synthesize(text)
    assert narrow.rate == phone.sample_rate == 8000
    assert abs(len(narrow.pcm) - round(len(wide.pcm) * 8000 / native.voice_rate)) <= 2
    assert narrow.duration_s == pytest.approx(wide.duration_s, abs=0.002)
    assert 0.8 < narrow.duration_s < 4.0


def test_cache_returns_identical_audio_without_resynthesis(phone: PiperSynthesizer) -> None:
    phone.warm(["Anything else?"])
    calls, hits = phone.synth_calls, phone.cache_hits
    first = next(phone.synthesize("Anything else?"))
    again = next(phone.synthesize("Anything   else?"))
    assert phone.synth_calls == calls
    assert phone.cache_hits == hits + 2
    assert np.array_equal(first.pcm, again.pcm)
    assert not first.pcm.flags.writeable  # consumers cannot corrupt the cache


def test_long_sentences_are_spoken_in_clause_chunks() -> None:
    readback = (
        "I have a large Latte, a medium Latte with oat milk, a small Cappuccino with extra shot, "
        "a Blueberry Muffin. Is that right?"
    )
    chunks = speech_chunks(readback, max_chars=60)
    assert chunks == [
        "I have a large Latte, a medium Latte with oat milk,",
        "a small Cappuccino with extra shot, a Blueberry Muffin.",
        "Is that right?",
    ]
    assert " ".join(chunks) == readback
    assert speech_chunks("Okay, a Coke. Anything else?") == ["Okay, a Coke.", "Anything else?"]
    one_long_clause = "a" * 80
    assert speech_chunks(one_long_clause, max_chars=60) == [one_long_clause]


def test_an_opening_acknowledgment_is_its_own_chunk_when_the_sentence_is_long() -> None:
    """ "Okay," is the same audio every time (cached): the reply starts at once while the rest is made."""
    reply = "Okay, a Veggie Burger with no tomato. Anything else?"
    assert speech_chunks(reply) == ["Okay,", "a Veggie Burger with no tomato.", "Anything else?"]
    assert speech_chunks("Sure, a Coke.") == ["Sure, a Coke."]  # too short to be worth a gap
    assert speech_chunks("Okayish, a Veggie Burger with no tomato.") == [
        "Okayish, a Veggie Burger with no tomato."
    ]
