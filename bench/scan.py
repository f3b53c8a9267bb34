"""Throughput of `clearlive scan` against a bare-matching baseline measured in the same run.

    python bench/scan.py [--events 200000] [--repeat 3]
    python bench/scan.py --cold [--events 100000] [--repeat 3]     # whole processes, real chat lines

`--cold` (issue #21 item 5): real chat lines, the texts of the COLD data set (read from
../shared/data/cold or --cold-dir, never copied) as viewer comments in 100 rooms, written to a
temporary JSON Lines file. Each run is a whole process, interleaved, median of --repeat: `clearlive
scan` (this checkout, defaults), a bare loop (bench/bare_loop.py: `json.loads` per line and one
pyahocorasick automaton of every rule term over the raw text), and mint-filter 4.0.3 on Node (an
Aho-Corasick sensitive-word filter; installed with npm into a temporary folder, skipped with a note
when node or npm is missing or the install fails). Prints each one's wall time, ratio to the bare
loop and peak memory (the process's maximum resident set, by GNU time).

Workload: chat-sized events (comments and host utterances, mostly Chinese, about 1 in 12 with
something a rule should flag), written to a temporary JSON Lines file.
Baseline: read the same file, decode each line with msgspec into a dict, and run one bare
pyahocorasick automaton over the raw text with every term of the loaded rules (no
normalisation, no context, no findings). ClearLive: the full scan (reader, validation,
normalisation, rules, the bundled claims classifier, findings) with the built-in packs, on one
core; and the same with --no-claims-model.
Prints events/s and MB/s for both and their ratio. Figures vary with the machine's load;
compare the ratio, not absolute numbers.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ahocorasick
import msgspec

from clearlive.demo import scripts
from clearlive.model.events import format_ts
from clearlive.watch.rules import load_rules
from clearlive.watch.scan.scanner import ScanConfig, Scanner
from clearlive.watch.sources import InputOptions, ReadStats, read_inputs

# Chat-sized texts: the demo's viewer lines and host lines (honest and violating), so the mix
# has ordinary chat, false-positive traps and real problems.
CLEAN = [*scripts.HONEST_ZH_CHAT, *scripts.BAD_ZH_CHAT, *scripts.HONEST_ZH_HOST, *scripts.HONEST_EN_CHAT]
FLAGGED = [*scripts.BAD_ZH_HOST, *scripts.SPAM_ZH_CHAT, *scripts.RARE_ZH_CHAT, *scripts.RARE_EN_CHAT]


def make_events(path: Path, n: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    enc = msgspec.json.Encoder()
    t0 = 1_793_534_400_000
    with path.open("wb") as fh:
        for i in range(n):
            text = rng.choice(FLAGGED) if rng.random() < 1 / 12 else rng.choice(CLEAN)
            room = f"room-{i % 50}"
            if i % 5 == 0:
                ev = {
                    "type": "utterance",
                    "room_id": room,
                    "ts": format_ts(t0 + i * 20),
                    "text": text,
                    "speaker": "host",
                }
            else:
                ev = {
                    "type": "comment",
                    "room_id": room,
                    "ts": format_ts(t0 + i * 20),
                    "user_id": f"u{i % 997}",
                    "text": text,
                }
            fh.write(enc.encode(ev) + b"\n")
    return path.stat().st_size


def baseline(path: Path, terms: list[str]) -> tuple[float, int]:
    automaton = ahocorasick.Automaton()
    for t in terms:
        automaton.add_word(t, t)
    automaton.make_automaton()
    decode = msgspec.json.Decoder().decode
    hits = 0
    start = time.perf_counter()
    with path.open("rb") as fh:
        for line in fh:
            ev = decode(line)
            for _ in automaton.iter(ev["text"]):
                hits += 1
    return time.perf_counter() - start, hits


def clearlive_scan(path: Path, with_model: bool = True) -> tuple[float, int]:
    scanner = Scanner.from_config(ScanConfig() if with_model else ScanConfig(claims_model=None))
    rejects: list[object] = []
    start = time.perf_counter()
    n = sum(1 for _ in scanner.run(read_inputs([str(path)], InputOptions(), rejects.append, ReadStats())))
    elapsed = time.perf_counter() - start
    if rejects:
        raise SystemExit(f"benchmark input was rejected: {rejects[:3]}")
    return elapsed, n


REPO = Path(__file__).resolve().parents[1]
COLD_DIR = REPO.parent / "shared" / "data" / "cold"
MINT_VERSION = "4.0.3"
MINT_JS = """
const fs = require("fs");
const { Mint } = require("mint-filter");
const [file, termsFile] = process.argv.slice(2);
const mint = new Mint(JSON.parse(fs.readFileSync(termsFile, "utf8")));
let hits = 0;
for (const line of fs.readFileSync(file, "utf8").split("\\n")) {
  if (!line) continue;
  const ev = JSON.parse(line);
  hits += mint.filter(ev.text, { replace: false }).words.length;
}
console.log(hits);
"""


def cold_texts(folder: Path) -> list[str]:
    texts: list[str] = []
    for name in ("train.csv", "dev.csv", "test.csv"):
        path = folder / name
        if path.exists():
            with path.open(encoding="utf-8-sig", newline="") as fh:
                texts.extend(row["TEXT"] for row in csv.DictReader(fh) if row.get("TEXT"))
    return texts


def make_cold_events(path: Path, texts: list[str], n: int, seed: int = 21) -> int:
    """`n` comments whose texts are COLD's, in order and then again (real chat repeats lines)."""
    rng = random.Random(seed)
    enc = msgspec.json.Encoder()
    t0 = 1_793_534_400_000
    with path.open("wb") as fh:
        for i in range(n):
            ev = {
                "type": "comment",
                "room_id": f"room-{i % 100}",
                "ts": format_ts(t0 + i * 10),
                "id": f"c{i}",
                "user_id": f"u{rng.randrange(20_000)}",
                "text": texts[i % len(texts)],
            }
            fh.write(enc.encode(ev) + b"\n")
    return path.stat().st_size


def mint_filter_setup(folder: Path) -> str | None:
    """Install mint-filter into `folder`; None, or why it cannot run."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node or npm not found"
    (folder / "package.json").write_text('{"private": true}', encoding="utf-8")
    done = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--silent", f"mint-filter@{MINT_VERSION}"],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return f"npm install mint-filter failed: {done.stderr.strip()[-300:]}"
    (folder / "mint.js").write_text(MINT_JS, encoding="utf-8")
    return None


def whole_processes(args: argparse.Namespace) -> int:
    texts = cold_texts(args.cold_dir)
    if not texts:
        raise SystemExit(f"no COLD texts in {args.cold_dir} (train.csv / dev.csv); give --cold-dir")
    _, rules = load_rules()
    terms = sorted({t for r in rules for t in r.spec.terms})
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        events = tmp / "cold-chat.jsonl"
        size = make_cold_events(events, texts, args.events)
        terms_file = tmp / "terms.json"
        terms_file.write_text(json.dumps(terms, ensure_ascii=False), encoding="utf-8")
        runs: dict[str, list[str]] = {
            "clearlive scan": [
                sys.executable, "-m", "clearlive", "scan", str(events), "--out", str(tmp / "findings.jsonl"),
                "--rejects", str(tmp / "rejects.jsonl"),
            ],
            "bare loop (json.loads + pyahocorasick)": [
                sys.executable, str(Path(__file__).resolve().parent / "bare_loop.py"), str(events), str(terms_file),
            ],
        }
        if args.jobs > 1:
            runs[f"clearlive scan --jobs {args.jobs}"] = [*runs["clearlive scan"], "--jobs", str(args.jobs)]
        note = mint_filter_setup(tmp) if not args.no_node else "--no-node"
        if note is None:
            runs[f"mint-filter {MINT_VERSION} (node)"] = ["node", str(tmp / "mint.js"), str(events), str(terms_file)]
        times: dict[str, list[float]] = {k: [] for k in runs}
        cpus: dict[str, list[float]] = {k: [] for k in runs}
        peaks: dict[str, list[float]] = {k: [] for k in runs}
        for _ in range(args.repeat):  # interleaved, so the machine's load hits all alike
            for name, cmd in runs.items():
                elapsed, cpu, peak = run_child(cmd, REPO, tmp / "peak.txt")
                times[name].append(elapsed)
                cpus[name].append(cpu)
                peaks[name].append(peak)
        findings = sum(1 for _ in (tmp / "findings.jsonl").open("rb"))
    print(
        f"workload: {args.events:,} COLD chat lines as comments ({len(texts):,} distinct texts), {size / 1e6:.1f} MB,"
        f" {len(terms):,} rule terms; whole processes, median of {args.repeat}"
    )
    base = statistics.median(times["bare loop (json.loads + pyahocorasick)"])
    base_cpu = statistics.median(cpus["bare loop (json.loads + pyahocorasick)"])
    for name in runs:
        t = statistics.median(times[name])
        cpu = statistics.median(cpus[name])
        extra = f"  ({findings:,} findings)" if name == "clearlive scan" else ""
        print(
            f"{name:<42} {t:7.2f} s  {args.events / t:>9,.0f} lines/s  {t / base:5.2f}x the bare loop"
            f"  cpu {cpu:7.2f} s {cpu / base_cpu:5.2f}x  peak {max(peaks[name]):6.0f} MB{extra}"
        )
    if note is not None:
        print(f"mint-filter skipped: {note}")
    else:
        mint = statistics.median(times[f"mint-filter {MINT_VERSION} (node)"])
        print(f"clearlive scan / mint-filter: {statistics.median(times['clearlive scan']) / mint:.2f}x")
    return 0


def run_child(cmd: list[str], cwd: Path, peak_file: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system: steadier than wall on a shared machine) and peak
    resident MB of one whole process. CPU and peak come from GNU time: a child forked from this
    (large) process would start its ru_maxrss at this process's size, which Linux keeps across exec;
    GNU time is small. Without it both are reported as 0."""
    gnu_time = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    full = [gnu_time, "-f", "%M %U %S", "-o", str(peak_file), *cmd] if gnu_time else cmd
    start = time.perf_counter()
    done = subprocess.run(full, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    if not gnu_time:
        return elapsed, 0.0, 0.0
    kb, user, system = (float(x) for x in peak_file.read_text().split()[-3:])
    return elapsed, user + system, kb / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=None, help="default 200,000 (100,000 with --cold)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each; the median is reported")
    ap.add_argument("--cold", action="store_true", help="whole processes on real chat lines (COLD)")
    ap.add_argument("--cold-dir", type=Path, default=COLD_DIR)
    ap.add_argument("--jobs", type=int, default=1, help="with --cold: also time `clearlive scan --jobs N`")
    ap.add_argument("--no-node", action="store_true", help="with --cold: leave mint-filter out")
    args = ap.parse_args()
    if args.cold:
        args.events = args.events or 100_000
        return whole_processes(args)
    args.events = args.events or 200_000
    _, rules = load_rules()
    terms = sorted({t for r in rules for t in r.spec.terms})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "chat.jsonl"
        size = make_events(path, args.events)
        base_times, cl_times, rules_times = [], [], []
        for _ in range(args.repeat):  # interleaved, so load on the machine hits all alike
            t, hits = baseline(path, terms)
            base_times.append(t)
            t, findings = clearlive_scan(path)
            cl_times.append(t)
            t, rule_findings = clearlive_scan(path, with_model=False)
            rules_times.append(t)
    mb = size / 1e6
    b, c, r = statistics.median(base_times), statistics.median(cl_times), statistics.median(rules_times)
    print(f"workload: {args.events} chat-sized events, {mb:.1f} MB, {len(terms)} rule terms, median of {args.repeat}")
    print(
        f"baseline (msgspec decode + bare pyahocorasick): {args.events / b:>10,.0f} events/s  {mb / b:6.1f} MB/s"
        f"  ({hits} raw term hits)"
    )
    print(
        f"clearlive scan (full pipeline, built-in packs): {args.events / c:>10,.0f} events/s  {mb / c:6.1f} MB/s"
        f"  ({findings} findings)"
    )
    print(
        f"clearlive scan --no-claims-model:               {args.events / r:>10,.0f} events/s  {mb / r:6.1f} MB/s"
        f"  ({rule_findings} findings)"
    )
    print(f"ratio clearlive/baseline time: {c / b:.2f}x (without the claims classifier: {r / b:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
