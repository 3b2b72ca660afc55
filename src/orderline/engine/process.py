"""Process-wide settings that must be made once, before models load: offline hubs and CPU threads."""

from __future__ import annotations

import os

from orderline.engine.settings import Settings

_THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "CT2_INTER_THREADS")


def configure_process(settings: Settings) -> None:
    """No hub is ever contacted (weights come from installed packages), and numeric libraries get the
    configured thread budget unless the operator set their variables explicitly."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    for name in _THREAD_VARIABLES[:3]:
        os.environ.setdefault(name, str(settings.threads))
    os.environ.setdefault(_THREAD_VARIABLES[3], "1")
