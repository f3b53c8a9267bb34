"""The floor any Python tool doing ClearLive's text job stands on (bench/scan.py --cold runs it).

    python bench/bare_loop.py EVENTS.jsonl TERMS.json

Decodes each line with `json.loads` and runs one pyahocorasick automaton of the rule terms over the
raw text: no validation, normalisation, context or findings. Prints the number of raw term hits.
Imports nothing of ClearLive, so its start-up and memory are the bare loop's own.
"""

from __future__ import annotations

import json
import sys

import ahocorasick


def main(events: str, terms_file: str) -> int:
    automaton = ahocorasick.Automaton()
    with open(terms_file, encoding="utf-8") as fh:
        for t in json.load(fh):
            automaton.add_word(t, t)
    automaton.make_automaton()
    hits = 0
    with open(events, encoding="utf-8") as fh:
        for line in fh:
            for _ in automaton.iter(json.loads(line)["text"]):
                hits += 1
    print(hits)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:3]))
