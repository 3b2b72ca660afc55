"""Listening conditions for ``orderline bench voice --conditions``: voices x backgrounds x SNR x channel.

A *condition* is how a customer's words reach the engine: who speaks (the bundled Piper voice under
several disguises, or an espeak-ng voice from Debian: a different synthesizer altogether), what is behind
them (engine, wind, babble, music: all generated from seeds, no downloaded data), how loud it is (SNR on
the speech RMS) and the channel (the lane's 16 kHz microphone, or the phone: band-limited to 300-3400 Hz,
8 kHz G.711 µ-law there and back).

Conditions are split in two. **tune** conditions are the ones thresholds, prompts and rescoring may be
adjusted on; **report** conditions are held back and only reported, so a gain that only fits the tuned
conditions shows. Every phone condition has a lane twin (same voice, noise and SNR), so the phone's cost
is measured, not guessed; two phone conditions are tune conditions, so work on the 8 kHz path has somewhere
to be tuned that is not the report set.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from orderline.asr.base import SAMPLE_RATE
from orderline.audio.codecs import mulaw_decode, mulaw_encode, resample
from orderline.bench.noise import (
    Float32Array,
    babble_noise,
    drive_thru_noise,
    mix_at_snr,
    music_noise,
    wind_noise,
)
from orderline.bench.voice import DISGUISED_VOICE, CachedVoice, VoiceSpec

Noise = Literal["engine", "wind", "babble", "music", "none"]
Channel = Literal["lane", "phone"]
Role = Literal["tune", "report"]

NOISES: dict[str, Callable[[int, int, int], Float32Array]] = {
    "engine": drive_thru_noise,
    "wind": wind_noise,
    "babble": babble_noise,
    "music": music_noise,
}

PIPER_VOICES: dict[str, VoiceSpec] = {
    "piper-disguised": DISGUISED_VOICE,
    "piper-fast-high": VoiceSpec(
        "fast-high", length_scale=0.87, noise_scale=0.8, noise_w_scale=1.0, pitch=1.19
    ),
    "piper-slow-low": VoiceSpec("slow-low", length_scale=1.2, noise_scale=0.4, noise_w_scale=0.6, pitch=0.84),
}
"""The bundled voice three ways: rate 0.83-1.15x, pitch about -3 to +3 semitones, prosody noise."""

ESPEAK_VOICES: dict[str, tuple[str, int, int]] = {
    "espeak-us-m": ("en-us+m3", 155, 45),
    "espeak-gb-f": ("en-gb+f2", 165, 60),
}
"""espeak-ng voice, words per minute, pitch (0-99)."""


@dataclass(frozen=True)
class Condition:
    name: str
    voice: str
    noise: Noise
    snr_db: float | None
    channel: Channel
    role: Role


def _c(voice: str, noise: Noise, snr: float | None, channel: Channel, role: Role) -> Condition:
    level = "clean" if snr is None else f"{snr:g}dB"
    return Condition(f"{voice}/{noise}/{level}/{channel}", voice, noise, snr, channel, role)


CONDITIONS: tuple[Condition, ...] = (
    # tuned on: the project's historical condition and a few neighbours
    _c("piper-disguised", "engine", 10, "lane", "tune"),
    _c("piper-disguised", "babble", 10, "lane", "tune"),
    _c("piper-fast-high", "wind", 10, "lane", "tune"),
    _c("espeak-us-m", "engine", 20, "lane", "tune"),
    _c("piper-disguised", "engine", 10, "phone", "tune"),
    _c("espeak-us-m", "engine", 20, "phone", "tune"),
    # reported only: other disguises, other noises, other levels, the phone (each with its lane twin)
    _c("piper-slow-low", "engine", 10, "lane", "report"),
    _c("piper-slow-low", "engine", 10, "phone", "report"),
    _c("piper-fast-high", "music", 5, "lane", "report"),
    _c("piper-fast-high", "babble", 20, "lane", "report"),
    _c("espeak-gb-f", "babble", 20, "lane", "report"),
    _c("espeak-gb-f", "babble", 20, "phone", "report"),
    _c("piper-disguised", "wind", 5, "lane", "report"),
)


def select(spec: str) -> list[Condition]:
    """``all``, ``tune``, ``report`` or comma-separated condition names.

    Raises:
        ValueError: an unknown name (the message lists the known ones).
    """
    spec = spec.strip()
    if spec in ("all", ""):
        return list(CONDITIONS)
    if spec in ("tune", "report"):
        return [c for c in CONDITIONS if c.role == spec]
    by_name = {c.name: c for c in CONDITIONS}
    wanted = [s.strip() for s in spec.split(",") if s.strip()]
    unknown = [w for w in wanted if w not in by_name]
    if unknown:
        raise ValueError(f"unknown condition(s) {', '.join(unknown)}; known: {', '.join(by_name)}")
    return [by_name[w] for w in wanted]


def phone_channel(audio: Float32Array) -> Float32Array:
    """What a phone call does to 16 kHz speech: 8 kHz, 300-3400 Hz, G.711 µ-law there and back."""
    if audio.size == 0:
        return audio
    narrow = resample(audio, SAMPLE_RATE, 8000).astype(np.float64)
    spectrum = np.fft.rfft(narrow)
    freqs = np.fft.rfftfreq(narrow.size, 1.0 / 8000)
    spectrum[(freqs < 300.0) | (freqs > 3400.0)] = 0.0
    narrow = np.fft.irfft(spectrum, n=narrow.size)
    pcm = np.clip(np.round(narrow * 32767.0), -32768, 32767).astype(np.int16)
    decoded = mulaw_decode(mulaw_encode(pcm)).astype(np.float32) / 32768.0
    return resample(decoded, 8000, SAMPLE_RATE)


def degrade(condition: Condition, audio: Float32Array, seed: int) -> Float32Array:
    """The customer's clean 16 kHz speech as the engine receives it under ``condition`` (deterministic)."""
    out = audio
    if condition.noise != "none" and condition.snr_db is not None and audio.size:
        noise = NOISES[condition.noise](audio.size, SAMPLE_RATE, seed)
        out = mix_at_snr(audio, noise, condition.snr_db)
    if condition.channel == "phone":
        out = phone_channel(out)
    return out.astype(np.float32, copy=False)


class EspeakSpeaker(CachedVoice):
    """A customer voice from Debian's espeak-ng (a formant synthesizer: nothing like Piper), cached on disk."""

    def __init__(self, voice: str, wpm: int, pitch: int, cache_dir: Path | None = None) -> None:
        binary = shutil.which("espeak-ng")
        if binary is None:
            raise RuntimeError("espeak-ng is not installed (Debian: apt-get install espeak-ng)")
        super().__init__(cache_dir)
        self.binary = binary
        self.voice, self.wpm, self.pitch = voice, wpm, pitch

    def parameters(self) -> dict[str, object]:
        return {"espeak": [self.voice, self.wpm, self.pitch]}

    def render(self, text: str) -> Float32Array:
        args = [self.binary, "-v", self.voice, "-s", str(self.wpm), "-p", str(self.pitch), "--stdout", text]
        data = subprocess.run(args, capture_output=True, check=True, timeout=60).stdout
        with wave.open(io.BytesIO(data)) as w:
            rate, frames = w.getframerate(), w.readframes(w.getnframes())
        pcm = np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
        return resample(pcm, rate, SAMPLE_RATE).astype(np.float32, copy=False)


def describe(condition: Condition) -> dict[str, object]:
    """The condition as JSON, with the voice's parameters."""
    voice: object = (
        asdict(PIPER_VOICES[condition.voice])
        if condition.voice in PIPER_VOICES
        else dict(zip(("voice", "wpm", "pitch"), ESPEAK_VOICES[condition.voice], strict=True))
    )
    return {**asdict(condition), "voice_params": voice}
