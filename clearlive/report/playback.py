"""Play the recording at a finding's moment: an HTML5 audio source with a media-fragment time span.

`#t=START,END` (W3C Media Fragments) makes a browser's audio element start at START and pause at
END, so a reviewer hears the words a finding on a transcript quotes, to the end of their utterance. The recording is
the file or stream URL the speech was heard in (`speech.recording`); a file is linked relative to
the page, so the report and the recording can be moved together.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from urllib.parse import quote

from clearlive.watch.audio import is_stream_url

LEAD_IN_S = 0.3  # start a little before the sentence: Whisper's segment starts are often late


def time_fragment(start: float, end: float) -> str:
    a = max(0.0, math.floor((start - LEAD_IN_S) * 10) / 10)
    b = math.ceil(end * 10) / 10
    return f"#t={a:g},{b:g}"


def audio_src(speech: dict[str, object] | None, page_dir: Path | None = None) -> str | None:
    """Where an audio element plays a finding's speech, or None (typed text, or the recording is
    no longer where it was scanned). `page_dir`: the folder of the page that links a file."""
    if not speech or not speech.get("recording"):
        return None
    recording = str(speech["recording"])
    start, end = float(speech.get("start") or 0.0), float(speech.get("end") or 0.0)  # type: ignore[arg-type]
    # From the quoted words to the end of their utterance: the claim and what the host said with it.
    end = max(end, float(speech.get("utterance_end") or 0.0))  # type: ignore[arg-type]
    if is_stream_url(recording) or recording.startswith("/api/"):
        return recording + time_fragment(start, end)
    path = Path(recording)
    if not path.is_file():
        return None
    target = path.resolve()
    href = os.path.relpath(target, page_dir.resolve()) if page_dir is not None else target.as_uri()
    return quote(Path(href).as_posix()) + time_fragment(start, end)
