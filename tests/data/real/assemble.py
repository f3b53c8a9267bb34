"""Assemble the real-world corpus from collected part files into dev.jsonl and test.jsonl.

Usage: python tests/data/real/assemble.py [--batch N] PART.jsonl [PART.jsonl ...]

`--batch N` numbers the collection round of the new parts (source.batch; default: one more than the
highest in the corpus), so that each round can be measured on its own.

A part line is either in the collectors' flat shape (label, category, source URL, ...) or already
in the corpus's own shape (README.md); both are checked the same way.

audit.jsonl beside this file records label and metadata corrections
(`fix`: lang, speaker, event, licence, source_url, date, hard_negative)
made by a reviewer who read only the statements and the category definitions (never the rules): a
category changed, a label flipped, or a line left out because it is a regulator's or reporter's
narrative of behaviour, not something anyone said. Left-out lines go to excluded.jsonl with the
reason, so the curation can be checked.

Each part line is one statement quoted from a public source (README.md beside this file lists the
fields). The split is by source: every statement of one page goes to the same side, and so does every
statement that nearly repeats another (the same notice on two mirror sites, a claim and the notice
that quotes it): statements are grouped by page and by near-duplicate text (character 3-gram
containment of 0.8 or more), and a group goes to the side a hash of its first URL picks. Lines that
fail validation are reported and left out.
"""

from __future__ import annotations

import hashlib
import json
import sys
import unicodedata
from datetime import date
from pathlib import Path

HERE = Path(__file__).parent
CATEGORIES = {
    "absolute_terms", "efficacy_claim", "price_deception", "false_scarcity", "origin_brand_claim",
    "fabricated_persona", "impersonation", "pseudo_science", "soft_porn", "diversion", "abuse",
    "provocation", "induced_tipping", "fake_data", "disclosure", "fake_reviews",
}  # fmt: skip
SPEAKERS = {"host", "guest", "viewer", "brand_post", "influencer_post", "platform_notice", "other"}
REQUIRED = ("text", "label", "lang", "jurisdiction", "source", "source_title", "publisher", "speaker", "provenance")


def _grams(text: str) -> set[str]:
    text = text.lower()
    return {text[i : i + 3] for i in range(max(1, len(text) - 2))}


def near_duplicate(a: set[str], b: set[str]) -> bool:
    small = min(len(a), len(b))
    return small >= 4 and len(a & b) / small >= 0.8


def grouped_split(records: list[dict], pinned: dict[str, str] | None = None) -> dict[str, str]:
    """Record id -> dev or test: pages and near-duplicates kept together (union-find).

    `pinned` holds the sides of statements already in the corpus: they never move, so measurements
    on test stay comparable; a new statement joining a group of them goes to their side, and one that
    would join a dev group to a test group gets "both" (the caller leaves it out).
    """
    pinned = pinned or {}
    parent = list(range(len(records)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        parent[find(i)] = find(j)

    first_of_url: dict[str, int] = {}
    for i, rec in enumerate(records):
        union(i, first_of_url.setdefault(rec["source"]["url"], i))
    grams = [_grams(r["text"]) for r in records]
    for i in range(len(records)):
        for j in range(i):
            if near_duplicate(grams[i], grams[j]):
                union(i, j)
    urls: dict[int, list[str]] = {}
    for i, rec in enumerate(records):
        urls.setdefault(find(i), []).append(rec["source"]["url"])
    pins: dict[int, set[str]] = {}
    for i, rec in enumerate(records):
        if rec["id"] in pinned:
            pins.setdefault(find(i), set()).add(pinned[rec["id"]])
    sides = {}
    for i, rec in enumerate(records):
        group_pins = pins.get(find(i), set())
        if rec["id"] in pinned:
            sides[rec["id"]] = pinned[rec["id"]]
        elif len(group_pins) > 1:
            sides[rec["id"]] = "both"
        else:
            sides[rec["id"]] = next(iter(group_pins), None) or split_of(min(urls[find(i)]))
    return sides


def split_of(url: str) -> str:
    """dev or test, by source: about half of the sources each."""
    key = url.strip().lower().removeprefix("https://").removeprefix("http://").removeprefix("www.")
    return "test" if hashlib.sha1(key.encode()).digest()[0] % 2 else "dev"


def record_of(raw: dict, batch: int | None = None) -> dict:
    if "categories" in raw:
        rec = _final_record_of(raw)
        if batch is not None:
            rec["source"]["batch"] = batch
        return rec
    missing = [k for k in REQUIRED if not raw.get(k)]
    if missing:
        raise ValueError(f"missing {missing}")
    label, category = raw["label"], raw.get("category")
    if label not in {"violation", "compliant"}:
        raise ValueError(f"label {label!r}")
    if (label == "violation") != (category is not None) or (category and category not in CATEGORIES):
        raise ValueError(f"category {category!r} for label {label}")
    if raw["speaker"] not in SPEAKERS or raw["provenance"] not in {"quoted", "paraphrased-from-case"}:
        raise ValueError(f"speaker {raw['speaker']!r} or provenance {raw['provenance']!r}")
    text = unicodedata.normalize("NFC", raw["text"]).strip()
    lang = {"zh-hant": "zh-Hant", "zh-cn": "zh", "zh-hans": "zh"}.get(raw["lang"].lower(), raw["lang"])
    digest = hashlib.sha1(text.encode()).hexdigest()[:10]
    return {
        "id": f"real-{lang}-{digest}",
        "text": text,
        "categories": [category] if category else [],
        "event": "comment" if raw["speaker"] == "viewer" else "utterance",
        "lang": lang,
        "hard_negative": bool(raw.get("hard_negative")) and label == "compliant",
        "note": raw.get("note"),
        "source": {
            "url": raw["source"],
            "title": raw["source_title"],
            "publisher": raw["publisher"],
            "date": str(raw.get("date") or "unknown"),
            "jurisdiction": raw["jurisdiction"],
            "licence": raw.get("licence") or "short quotation with attribution",
            "speaker": raw["speaker"],
            "provenance": raw["provenance"],
            "original": raw.get("original"),
            "collected": raw.get("collected") or date.today().isoformat(),
            "batch": batch,
        },
    }


def _final_record_of(raw: dict) -> dict:
    """A part line already in the corpus's own shape (README.md): checked, its id recomputed."""
    categories, src = raw["categories"], raw["source"]
    if len(categories) > 1 or any(c not in CATEGORIES for c in categories):
        raise ValueError(f"categories {categories!r}")
    missing = [k for k in ("url", "title", "publisher", "jurisdiction", "speaker", "provenance") if not src.get(k)]
    if missing or not raw.get("text") or not raw.get("lang"):
        raise ValueError(f"missing {missing or ['text or lang']}")
    return record_of(
        {
            "text": raw["text"],
            "label": "violation" if categories else "compliant",
            "category": categories[0] if categories else None,
            "lang": raw["lang"],
            "jurisdiction": src["jurisdiction"],
            "source": src["url"],
            "source_title": src["title"],
            "publisher": src["publisher"],
            "date": src.get("date"),
            "licence": src.get("licence"),
            "speaker": src["speaker"],
            "provenance": src["provenance"],
            "original": src.get("original"),
            "collected": src.get("collected"),
            "hard_negative": raw.get("hard_negative"),
            "note": raw.get("note"),
        }
    )


def read_audit() -> dict[str, dict]:
    path = HERE / "audit.jsonl"
    if not path.exists():
        return {}
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {unicodedata.normalize("NFC", r["text"]).strip(): r for r in rows}


def apply_audit(rec: dict, audit: dict[str, dict]) -> str | None:
    """Apply a reviewer's correction to a record; the reason when the record is left out."""
    row = audit.get(rec["text"])
    if row is None:
        return None
    proposed = row["proposed"]
    if proposed.startswith("drop"):
        return f"{proposed} ({row['reason']})"
    fix = row.get("fix") or {}
    if "lang" in fix:
        rec["lang"] = fix["lang"]
        rec["id"] = f"real-{rec['lang']}-{rec['id'].rsplit('-', 1)[1]}"
    if "speaker" in fix:
        rec["source"]["speaker"] = fix["speaker"]
    if "event" in fix:
        rec["event"] = fix["event"]
    if "licence" in fix:
        rec["source"]["licence"] = fix["licence"]
    if "date" in fix:  # the date the stored page shows
        rec["source"]["date"] = fix["date"]
    if "hard_negative" in fix:
        rec["hard_negative"] = bool(fix["hard_negative"])
    if "source_url" in fix:  # the reviewer found the ruling itself where the collector cited a search page
        rec["source"]["url"] = fix["source_url"]
        rec["source"]["title"] = fix.get("source_title") or rec["source"]["title"]
    current = rec["categories"][0] if rec["categories"] else "compliant"
    if proposed != current:
        rec["categories"] = [] if proposed == "compliant" else [proposed]
        if proposed != "compliant":
            rec["hard_negative"] = False
        rec["note"] = f"{rec.get('note') or ''} [label corrected in review: {row['reason']}]".strip()
    return None


def batch_of(rec: dict) -> int:
    """A record's collection round; the first two rounds predate the field (by their day)."""
    src = rec["source"]
    return src.get("batch") or (1 if src.get("collected") == "2026-12-01" else 2)


def main(args: list[str]) -> None:
    batch = None
    if args[:1] == ["--batch"]:
        batch, args = int(args[1]), args[2:]
    parts = args
    out: dict[str, dict[str, dict]] = {"dev": {}, "test": {}}
    audit = read_audit()
    excluded_path = HERE / "excluded.jsonl"
    excluded = (
        [json.loads(line) for line in excluded_path.read_text(encoding="utf-8").splitlines()]
        if excluded_path.exists()
        else []
    )
    for side in out:
        path = HERE / f"{side}.jsonl"
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                rec = json.loads(line)
                rec["source"]["batch"] = batch_of(rec)
                out[side][rec["id"]] = rec
    if batch is None:
        batch = 1 + max((r["source"]["batch"] for side in out.values() for r in side.values()), default=0)
    seen = {rec["text"] for side in out.values() for rec in side.values()} | {rec["text"] for rec in excluded}
    new_ids: set[str] = set()
    for part in parts:
        for lineno, line in enumerate(Path(part).read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rec = record_of(json.loads(line), batch)
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                print(f"{part}:{lineno}: left out: {exc}", file=sys.stderr)
                continue
            if rec["text"] in seen:
                continue
            seen.add(rec["text"])
            reason = apply_audit(rec, audit)
            if reason:
                excluded.append({**rec, "excluded": reason})
                continue
            out["dev"][rec["id"]] = rec
            new_ids.add(rec["id"])
    everything = sorted([*out["dev"].values(), *out["test"].values()], key=lambda r: r["id"])
    pinned = {rid: side for side, recs in out.items() for rid in recs if rid not in new_ids}
    sides = grouped_split(everything, pinned)
    out = {"dev": {}, "test": {}}
    for rec in everything:
        if sides[rec["id"]] == "both":
            excluded.append({**rec, "excluded": "drop: nearly repeats statements on both sides of the split"})
            continue
        out[sides[rec["id"]]][rec["id"]] = rec
    for side, recs in out.items():
        lines = [json.dumps(r, ensure_ascii=False) for r in sorted(recs.values(), key=lambda r: r["id"])]
        (HERE / f"{side}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{side}: {len(recs)} statements")
    if excluded:
        lines = [json.dumps(r, ensure_ascii=False) for r in sorted(excluded, key=lambda r: r["id"])]
        excluded_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"excluded: {len(excluded)} statements (excluded.jsonl)")


if __name__ == "__main__":
    main(sys.argv[1:])
