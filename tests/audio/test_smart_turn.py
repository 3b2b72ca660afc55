"""Smart Turn v3.2 loads from the pipecat-ai wheel by path (pipecat is never imported) and answers a probability."""

from __future__ import annotations

import sys

import numpy as np

from orderline.audio.smart_turn import SmartTurn


def test_smart_turn_gives_a_probability_without_importing_pipecat() -> None:
    model = SmartTurn()
    rng = np.random.default_rng(0)
    p = model.complete((0.01 * rng.standard_normal(16000 * 2)).astype(np.float32))
    assert 0.0 <= p <= 1.0
    assert "pipecat" not in sys.modules
