"""Lint a host's prepared script (plain text or Markdown) before the stream.

Each non-empty line is one host utterance, about five seconds after the previous one (so rules
coupled across a minute see neighbouring lines). Markdown decoration at the start of a line
(headings, list bullets, quotes) is skipped, and offsets are reported against the line as written.

A rehearsal recording (audio or video) is linted too: each transcribed sentence is a line, located
by its time span in the recording instead of a line number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from clearlive.errors import InputError
from clearlive.model.events import Utterance
from clearlive.model.findings import Finding
from clearlive.watch.audio import is_audio_path
from clearlive.watch.scan.scanner import ScanConfig, Scanner
from clearlive.watch.sources.audio import AsrSettings

SECONDS_PER_LINE = 5
T0 = 0
MAX_SCRIPT_BYTES = 5 << 20  # 5 MiB: a script, not a transcript archive
_MD_PREFIX = re.compile(r"^\s*(?:#{1,6}\s+|[-*+]\s+|\d+[.)]\s+|>\s*)*")


@dataclass(frozen=True, slots=True)
class LintLine:
    number: int  # 1-based line number in the file
    line: str  # the line as written
    offset: int  # where the spoken text starts in the line (after Markdown decoration)
    span: tuple[float, float] | None = None  # a recording's sentence: its start and end, seconds


@dataclass
class LintResult:
    path: str
    lines: dict[str, LintLine]  # event id -> line
    findings: list[Finding]

    def column(self, f: Finding) -> int:
        """1-based column of the finding's quote in its line."""
        return self.lines[f.event_ids[0]].offset + f.evidence.start + 1


def lint_script(
    path: str, config: ScanConfig | None = None, lang: str | None = None, asr: AsrSettings | None = None
) -> LintResult:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{path}: no such file")
    if is_audio_path(path):
        return _lint_recording(p, Scanner.from_config(config or ScanConfig()), lang, asr or AsrSettings())
    if p.stat().st_size > MAX_SCRIPT_BYTES:
        raise InputError(f"{path}: larger than {MAX_SCRIPT_BYTES} bytes; scan transcripts with `clearlive scan`")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc})") from None
    scanner = Scanner.from_config(config or ScanConfig())
    lines: dict[str, LintLine] = {}
    events = []
    in_code = False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("```"):
            in_code = not in_code
            continue
        if in_code or not line.strip():
            continue
        prefix = _MD_PREFIX.match(line)
        offset = prefix.end() if prefix else 0
        spoken = line[offset:].rstrip()
        if not spoken:
            continue
        eid = f"{p.name}:{number}"
        lines[eid] = LintLine(number, line, offset)
        start = float(number * SECONDS_PER_LINE)
        events.append(
            Utterance(
                room_id=p.stem, ts=T0 + int(start * 1000), id=eid, text=spoken, speaker="host", start=start, lang=lang
            )
        )
    findings = list(scanner.run(events))
    findings.sort(key=lambda f: (lines[f.event_ids[0]].number, f.evidence.start, f.rule_id))
    return LintResult(path, lines, findings)


def _lint_recording(p: Path, scanner: Scanner, lang: str | None, asr: AsrSettings) -> LintResult:
    """A rehearsal recording: its sentences, transcribed as `clearlive scan` would, are the lines."""
    from clearlive.watch.audio import require
    from clearlive.watch.sources.audio import read_audio
    from clearlive.watch.sources.transcripts import TranscriptOptions

    require()
    problems: list[str] = []
    opts = TranscriptOptions(room_id=p.stem, t0_ms=T0, lang=lang)
    events = [ev for _, ev in read_audio(str(p), opts, lambda r: problems.append(r.error), asr) if ev is not None]
    if problems:
        raise InputError(f"{p}: {problems[0]}")
    lines: dict[str, LintLine] = {}
    for number, ev in enumerate(events, start=1):
        assert isinstance(ev, Utterance)
        lines[ev.id or ""] = LintLine(number, ev.text, 0, (ev.start or 0.0, ev.end or 0.0))
    findings = list(scanner.run(events))
    findings.sort(key=lambda f: (lines[f.event_ids[0]].number, f.evidence.start, f.rule_id))
    return LintResult(str(p), lines, findings)
