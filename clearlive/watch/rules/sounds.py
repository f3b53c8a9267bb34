"""Rule terms matched by sound (toneless pinyin), for text that came from speech recognition.

Speech recognition swaps homophones: 假一赔十 comes out as 假一陪时, 秘方 as 密方, 专治 as 专制. A
Chinese deny term is also looked for as its sequence of toneless syllables in the transcript, so
those still match. Sound alone is weak evidence, so each term has a limit: a term of three or
more syllables may match by sound; a two-syllable term only when no common word in pypinyin's
phrase dictionary sounds the same (专治 shares zhuan zhi with 专制 and 专职: it stays exact-only),
and one-syllable terms never do. Digits are read as Chinese numerals on both sides (假1赔10 sounds
like 假一赔十). Built only when a transcript from speech arrives; typed text never pays for it.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache

import ahocorasick
from pypinyin import Style, lazy_pinyin

from clearlive.watch.normalize import NormalizedText, normalize
from clearlive.watch.rules.loader import Rule

MIN_SYLLABLES = 3  # terms at least this long may always match by sound
MAX_HOMOPHONE_WORDS = 0  # two-syllable terms: how many other dictionary words may sound the same

_TOKEN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+|\d+(?:\.\d+)?")


def syllables(text: str) -> list[tuple[str, int, int]]:
    """(toneless syllable, start, end) over `text`; a digit run is read aloud and spans the whole run."""
    out: list[tuple[str, int, int]] = []
    for m in _TOKEN_RE.finditer(text):
        token = m.group()
        if token[0].isdigit():
            import cn2an  # loads on the first digit run: most start-ups need none

            try:
                spoken = cn2an.an2cn(token)
            except ValueError:
                continue
            out.extend((s, m.start(), m.end()) for s in lazy_pinyin(spoken, style=Style.NORMAL))
        else:
            sounds = lazy_pinyin(token, style=Style.NORMAL)
            if len(sounds) != len(token):  # pypinyin keeps one syllable per character; guard anyway
                continue
            out.extend((s, m.start() + i, m.start() + i + 1) for i, s in enumerate(sounds))
    return out


@cache
def _two_syllable_words() -> Counter[tuple[str, str]]:
    """How many two-character dictionary words share each toneless pronunciation."""
    from pypinyin.phrases_dict import phrases_dict

    counts: Counter[tuple[str, str]] = Counter()
    for word in phrases_dict:
        if len(word) == 2:
            sounds = lazy_pinyin(word, style=Style.NORMAL)
            if len(sounds) == 2:  # one syllable per character (pypinyin's rule; guarded anyway)
                counts[sounds[0], sounds[1]] += 1
    return counts


def may_match_by_sound(term: str, sounds: tuple[str, ...]) -> bool:
    """The per-term limit (see the module docstring)."""
    if len(sounds) >= MIN_SYLLABLES:
        return True
    if len(sounds) == 2:
        others = _two_syllable_words()[sounds] - (1 if _is_dictionary_word(term) else 0)
        return others <= MAX_HOMOPHONE_WORDS
    return False


def _is_dictionary_word(term: str) -> bool:
    from pypinyin.phrases_dict import phrases_dict

    return term in phrases_dict


class SoundMatcher:
    """Deny terms of Chinese rules, keyed by their syllables."""

    def __init__(self, rules: list[Rule]) -> None:
        self.automaton = ahocorasick.Automaton()
        keys: dict[str, list[tuple[int, str]]] = {}
        for i, rule in enumerate(rules):
            if "zh" not in rule.languages:
                continue
            for term in rule.spec.terms:
                norm = normalize(term).text
                spoken = syllables(norm)
                # Only terms that are wholly Chinese (or numbers) can be said: 'vx' is matched as text.
                covered = {c for _, a, b in spoken for c in range(a, b)}
                if not spoken or len(covered) != len(norm):
                    continue
                sounds = tuple(s for s, _, _ in spoken)
                if may_match_by_sound(norm, sounds):
                    keys.setdefault(" " + " ".join(sounds) + " ", []).append((i, norm))
        for key, entries in keys.items():
            self.automaton.add_word(key, (len(key), tuple(entries)))
        self.terms = sum(len(v) for v in keys.values())
        if keys:
            self.automaton.make_automaton()

    def find(self, norm: NormalizedText) -> list[tuple[int, int, int, str]]:
        """(rule index, normalised start, end, term) of every term heard in `norm.text` by sound."""
        if not self.terms:
            return []
        spoken = syllables(norm.text)
        if not spoken:
            return []
        line = " " + " ".join(s for s, _, _ in spoken) + " "
        # Character offset in `line` of each syllable's leading space -> syllable index.
        index_at: dict[int, int] = {}
        pos = 0
        for k, (s, _, _) in enumerate(spoken):
            index_at[pos] = k
            pos += len(s) + 1
        out: list[tuple[int, int, int, str]] = []
        for end, (size, entries) in self.automaton.iter(line):
            first = index_at[end + 1 - size]
            last = first + line[end + 1 - size : end].count(" ") - 1
            start_char, end_char = spoken[first][1], spoken[last][2]
            out.extend((rule_index, start_char, end_char, term) for rule_index, term in entries)
        return out
