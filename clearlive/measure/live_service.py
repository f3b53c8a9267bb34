"""Service inside the live room: viewers' questions in chat and whether the host answered them.

No platform score measures this, yet it is where a host serves or ignores buyers in real time.
Per session, chat lines that name a topic (size, shipping, returns, authenticity, ingredients)
and read as questions are matched to host utterances naming the same topic within a couple of
minutes (questions.yaml). A reply that deflects ('问客服', '放心拍') is answered evasively;
forthright statements (return policy, honest limitations) are counted for the host.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import ahocorasick

from clearlive.watch.normalize import normalize
from clearlive.yamlsafe import load_yaml

DATA = Path(__file__).with_name("questions.yaml")


@dataclass
class Question:
    ts: int
    topic: str
    text: str
    answered_ts: int | None = None
    evasive: bool = False


@dataclass
class SessionService:
    questions: list[Question] = field(default_factory=list)
    forthright: int = 0  # host utterances stating a return policy or an honest limitation


class _Lexicon:
    def __init__(self, data: dict[str, Any]) -> None:  # questions.yaml, as parsed
        self.window_ms = int(data["answer_window_s"]) * 1000
        self.topics = _automaton({t: topic for topic, terms in data["topics"].items() for t in terms})
        self.markers = _automaton({t: "q" for t in data["question_markers"]})
        self.evasive = _automaton({t: "e" for t in data["evasive"]})
        self.forthright = _automaton({t: "f" for t in data["forthright"]})
        self.examples: list[list[str]] = data["examples"]


def _automaton(words: dict[str, str]) -> ahocorasick.Automaton:
    a = ahocorasick.Automaton()
    for word, value in words.items():
        a.add_word(word.lower(), value)
    a.make_automaton()
    return a


def _hits(automaton: ahocorasick.Automaton, text: str) -> set[str]:
    return {value for _, value in automaton.iter(text)}


@lru_cache(maxsize=1)
def lexicon() -> _Lexicon:
    return _Lexicon(load_yaml(DATA.read_text(encoding="utf-8")))


def analyse_session(talk: Iterable[tuple[str, str | None, int]]) -> SessionService:
    """`talk`: (kind 'host' | 'chat' | 'guest', text, ts ms) of one session, in time order."""
    lex = lexicon()
    out = SessionService()
    open_questions: list[Question] = []
    for kind, text, ts in talk:
        if not text:
            continue
        norm = normalize(text).text
        topics = _hits(lex.topics, norm)
        open_questions = [q for q in open_questions if ts - q.ts <= lex.window_ms]
        if kind == "chat":
            if topics and _hits(lex.markers, norm):
                q = Question(ts, sorted(topics)[0], text)
                out.questions.append(q)
                open_questions.append(q)
            continue
        if kind != "host":
            continue
        evasive = bool(_hits(lex.evasive, norm))
        out.forthright += bool(_hits(lex.forthright, norm))
        for q in open_questions:
            if q.answered_ts is None and (q.topic in topics or evasive):
                q.answered_ts, q.evasive = ts, evasive
        open_questions = [q for q in open_questions if q.answered_ts is None]
    return out


TalkRow = tuple[str | None, str | None, str, str | None, int]  # anchor_id, session_id, kind, text, ts


def host_counts(rows: Iterable[TalkRow]) -> dict[str, dict[str, tuple[int, int]]]:
    """Per host: (events, opportunities) of question_answer_rate and evasive_answer_rate, and
    (forthright statements, sessions)."""
    sessions: dict[tuple[str, str], list[tuple[str, str | None, int]]] = defaultdict(list)
    for anchor, session, kind, text, ts in rows:
        if anchor and session:
            sessions[(anchor, session)].append((kind, text, ts))
    per_host: dict[str, list[SessionService]] = defaultdict(list)
    for (anchor, _), talk in sorted(sessions.items()):
        talk.sort(key=lambda r: r[2])
        per_host[anchor].append(analyse_session(talk))
    out = {}
    for anchor, services in per_host.items():
        questions = [q for s in services for q in s.questions]
        answered = [q for q in questions if q.answered_ts is not None]
        out[anchor] = {
            "question_answer_rate": (sum(1 for q in answered if not q.evasive), len(questions)),
            "evasive_answer_rate": (sum(1 for q in answered if q.evasive), len(answered)),
            "forthright_statements": (sum(s.forthright for s in services), len(services)),
        }
    return out
