"""Smart Turn v3.2 (BSD-2, pipecat-ai): an audio end-of-turn model, for comparison with the text hint.

The 8.7 MB int8 ONNX model ships inside the ``pipecat-ai`` wheel (installed with ``--no-deps``); its file and
the vendored Whisper log-mel feature code are located with ``importlib.util.find_spec`` and loaded by path,
so pipecat itself (and its dependencies) are never imported.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

Float32Array = NDArray[np.float32]
WINDOW_S = 8
RATE = 16000


def smart_turn_dir() -> Path:
    """Raises:
    FileNotFoundError: pipecat-ai is not installed.
    """
    spec = importlib.util.find_spec("pipecat")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("Smart Turn needs the pipecat-ai wheel: pip install --no-deps pipecat-ai")
    return Path(next(iter(spec.submodule_search_locations))) / "audio" / "turn" / "smart_turn"


def _features_module(folder: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "_orderline_whisper_features", folder / "_whisper_features.py"
    )
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"no _whisper_features.py in {folder}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class SmartTurn:
    """P(the speaker has finished) for the last 8 s of 16 kHz audio."""

    def __init__(self, threads: int = 1) -> None:
        import onnxruntime

        folder = smart_turn_dir()
        self._features: Any = _features_module(folder).compute_whisper_log_mel_features
        opts = onnxruntime.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        self._session: Any = onnxruntime.InferenceSession(
            str(folder / "data" / "smart-turn-v3.2-cpu.onnx"),
            sess_options=opts,
            providers=["CPUExecutionProvider"],
        )

    def complete(self, audio: Float32Array) -> float:
        x = np.asarray(audio, dtype=np.float32)[-WINDOW_S * RATE :]
        x = np.pad(x, (WINDOW_S * RATE - x.size, 0))
        features = np.expand_dims(self._features(x, do_normalize=True), 0).astype(np.float32)
        return float(np.asarray(self._session.run(None, {"input_features": features})[0]).reshape(-1)[0])
