"""Is a comment an attack on the host or their goods? The fan-raid detector's hostility signal.

The abuse and provocation rules catch insults and hostile calls, but raiders mostly accuse
('主播是骗子', '卖假货的垃圾'), which is fair speech from one buyer and a raid from twenty sent
by another host. So accusations are counted here, from data (`hostility.yaml`), and only for the
viewers the raid detector is already following.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import ahocorasick

from clearlive.yamlsafe import load_yaml

DATA = Path(__file__).with_name("hostility.yaml")


class Hostility:
    def __init__(self, terms: list[str], allow: list[str]) -> None:
        self.allow = sorted(allow, key=len, reverse=True)
        self.automaton = ahocorasick.Automaton()
        for term in terms:
            self.automaton.add_word(term, term)
        self.automaton.make_automaton()

    def terms_in(self, normalised: str) -> list[str]:
        """The hostile terms in normalised text, ignoring those inside an allowed everyday phrase."""
        for phrase in self.allow:
            if phrase in normalised:
                normalised = normalised.replace(phrase, " ")
        return [term for _, term in self.automaton.iter(normalised)]


@lru_cache(maxsize=1)
def hostility() -> Hostility:
    data = load_yaml(DATA.read_text(encoding="utf-8"))
    return Hostility([t for terms in data["terms"].values() for t in terms], data["allow"])
