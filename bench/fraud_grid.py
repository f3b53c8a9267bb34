"""Recall and false alarms of the behaviour detectors by kind and intensity, on three grounds.

    python bench/fraud_grid.py [--part project|literature|real|all] [--trials 20] [--honest 100] [--seed 1]
                               [--rooms 4] [--retail online_retail_II.csv] [--chat YouTube-Live-Chat-Dataset]

`--part project` (the default) is the project's own generator (clearlive/demo/inject.py), below.
`--part literature` is the second generator (clearlive/reward/simulation/live_fraud.py, written from
published cases, not from the detectors): `--honest` honest rooms of 50 to 50,000 viewers (a few
of them hosts sending fans to a friend's room) and `--rooms` rooms per fraud kind and intensity,
each world scanned on its own; a room counts as flagged when any `fraud.*` finding names it.
Then the same kinds at one intensity across room sizes, and FRAUDAR's dense block.
`--part real` injects brushing into real order logs (bench/real_orders.py; needs `--retail`).
`--part chat` scans real live chat and injects chat rings into it (bench/real_chat.py; needs `--chat`).

- Templated chat (fraud.templated_chat): a burst of N bot accounts posting one line, in a room
  whose honest viewers chat at 0.5 or 2 comments a second (the same eight questions over and over).
- Lockstep accounts (fraud.lockstep): a farm of N accounts entering the same R rooms within the
  same minute, once an hour, among 1,500 honest viewers visiting 40 rooms over 10 hours.
- Fan raids (fraud.fan_raid.*): host A calls fans to go after room B; N of A's 30 chatting
  viewers then post hostile lines in B over ten minutes, among B's own chat (0.3 comments a
  second). Honest worlds: the same call with A's viewers visiting B in a friendly way, and hostile
  strangers in B with no call.
- Order brushing (fraud.order_brushing, Shopee's concentrate rate): one shop's honest orders for
  a day (2, 10 or 40 an hour, a tenth or a third of them a second order from a recent buyer), with
  B fake buyers placing K orders each within 50 minutes.
Each row: `--trials` injected worlds (recall: the injection found; precision: flagged accounts or
bursts that were injected) and as many honest worlds (false alarms).
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import msgspec

from clearlive.demo.inject import (
    bot_burst,
    brushing_burst,
    honest_chat,
    honest_shop_orders,
    honest_visits,
    lockstep_farm,
)
from clearlive.model.events import Event
from clearlive.watch.detectors.lockstep import LockstepDetector
from clearlive.watch.scan.scanner import ScanConfig, Scanner

T0 = 1_793_534_400_000
sys.path.insert(0, str(Path(__file__).parent))  # the literature and real-data grids beside this file


def run(rows: list[dict], rule: str) -> list:
    events = [msgspec.convert({**r, "id": f"e{i}"}, Event) for i, r in enumerate(sorted(rows, key=lambda r: r["ts"]))]
    if rule == "fraud.lockstep":
        scanner = Scanner([LockstepDetector()])
    else:
        scanner = Scanner.from_config(ScanConfig(claims_model=None))
    return [f for f in scanner.run(events) if f.rule_id.startswith(rule)]


def line(label: str, recall: float, precision: float, false_alarms: int, trials: int) -> None:
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(f"{label:<36}{recall:>8.2f}{precision:>11.2f}{f1:>7.2f}{false_alarms:>8}/{trials}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", choices=["project", "literature", "real", "chat", "all"], default="project")
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--honest", type=int, default=100, help="honest worlds per row (false alarms are rare)")
    ap.add_argument("--rooms", type=int, default=4, help="literature: rooms per kind and intensity")
    ap.add_argument("--sweep", type=int, help="literature: rooms per kind and size (default rooms // 2)")
    ap.add_argument("--retail", help="real: a downloaded copy of UCI Online Retail II (.csv or .xlsx)")
    ap.add_argument("--chat", help="chat: a downloaded copy of YouTube-Live-Chat-Dataset (a folder or CSV files)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--kinds", default="chat,lockstep,brushing,raids", help="project: which tables (comma-separated)")
    args = ap.parse_args()
    if args.part in ("literature", "all"):
        from literature_grid import literature_grid

        literature_grid(random.Random(args.seed), args.honest, args.rooms, args.sweep)
    if args.part in ("real", "all"):
        from real_orders import real_grid

        if not args.retail:
            ap.error("--part real needs --retail PATH (UCI Online Retail II, CC BY 4.0; see bench/real_orders.py)")
        real_grid(args.retail, random.Random(args.seed))
    if args.part in ("chat", "all") and (args.chat or args.part == "chat"):
        from real_chat import chat_grid

        if not args.chat:
            ap.error("--part chat needs --chat PATH (YouTube-Live-Chat-Dataset; see bench/real_chat.py)")
        chat_grid(args.chat, random.Random(args.seed))
    if args.part in ("project", "all"):
        project_grid(args)
    return 0


def project_grid(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    header = f"{'injection':<36}{'recall':>8}{'precision':>11}{'F1':>7}{'honest alarms':>15}"
    kinds = set(args.kinds.split(","))
    if "chat" in kinds:
        chat_table(args, rng, header)
    if "lockstep" in kinds:
        lockstep_table(args, rng, header)
    if "brushing" in kinds:
        brushing_table(args, rng, header)
    if "raids" in kinds:
        raid_table(args, rng, header)


def chat_table(args: argparse.Namespace, rng: random.Random, header: str) -> None:
    print("templated chat bursts (10-minute rooms)")
    print(header)
    for rate in (0.5, 2.0):
        honest = sum(bool(run(honest_chat(rng, "r", T0, rate, 10), "fraud.templated_chat")) for _ in range(args.honest))
        for accounts in (4, 8, 12, 20):
            found = true_accounts = flagged_accounts = 0
            for _ in range(args.trials):
                rows = honest_chat(rng, "r", T0, rate, 10) + bot_burst(
                    "r", T0 + 300_000, "效果绝了回购第三次", accounts
                )
                hits = run(rows, "fraud.templated_chat")
                found += bool(hits)
                accounts_hit = {a for f in hits for a in f.facts.get("accounts", [])}
                flagged_accounts += len(accounts_hit)
                true_accounts += sum(1 for a in accounts_hit if a.startswith("bot"))
            recall = found / args.trials
            precision = true_accounts / flagged_accounts if flagged_accounts else 1.0
            line(f"{accounts} bots, honest chat {rate}/s", recall, precision, honest, args.honest)
    print()


def lockstep_table(args: argparse.Namespace, rng: random.Random, header: str) -> None:
    print("lockstep farms (1,500 honest viewers, 40 rooms, 10 hours)")
    print(header)
    honest = sum(bool(run(honest_visits(rng, T0, 1500, 40, 10), "fraud.lockstep")) for _ in range(args.honest))
    for bots, n_rooms in ((3, 6), (5, 3), (5, 6), (10, 6), (20, 6)):
        found = true_accounts = flagged_accounts = 0
        for _ in range(args.trials):
            rooms = [f"room{k}" for k in rng.sample(range(40), n_rooms)]
            hits = run(honest_visits(rng, T0, 1500, 40, 10) + lockstep_farm(rng, T0, bots, rooms), "fraud.lockstep")
            accounts_hit = {a for f in hits for a in f.facts["accounts"]}
            found += sum(1 for a in accounts_hit if a.startswith("bot")) >= bots // 2 + 1
            flagged_accounts += len(accounts_hit)
            true_accounts += sum(1 for a in accounts_hit if a.startswith("bot"))
        recall = found / args.trials
        precision = true_accounts / flagged_accounts if flagged_accounts else 1.0
        line(f"farm of {bots}, {n_rooms} rooms together", recall, precision, honest, args.honest)
    print()


def brushing_table(args: argparse.Namespace, rng: random.Random, header: str) -> None:
    print("order brushing (one shop, 24 hours of honest orders)")
    print(header)
    for per_hour, repeat in ((2, 0.1), (10, 0.1), (10, 0.3), (40, 0.3)):
        honest = sum(
            bool(run(honest_shop_orders(rng, "s", T0, per_hour, 24, repeat), "fraud.order_brushing"))
            for _ in range(args.honest)
        )
        for buyers, each in ((1, 6), (2, 5), (3, 6), (5, 8)):
            found = true_buyers = flagged = 0
            for _ in range(args.trials):
                rows = honest_shop_orders(rng, "s", T0, per_hour, 24, repeat)
                rows += brushing_burst(rng, "s", T0 + rng.randrange(2, 20) * 3_600_000, buyers, each)
                hits = run(rows, "fraud.order_brushing")
                named = {b for f in hits for b in f.facts["suspicious_buyers"]}
                found += any(b.startswith("brusher") for b in named)
                flagged += len(named)
                true_buyers += sum(1 for b in named if b.startswith("brusher"))
            precision = true_buyers / flagged if flagged else 1.0
            label = f"{buyers}x{each} orders, shop {per_hour}/h rep {repeat}"
            line(label, found / args.trials, precision, honest, args.honest)
    print()


def raid_table(args: argparse.Namespace, rng: random.Random, header: str) -> None:
    print("fan raids (room A calls, N of its viewers attack room B)")
    print(header)
    honest = 0
    for _ in range(args.honest // 2):
        honest += bool(run(raid_world(rng, 8, call=True, hostile=False), "fraud.fan_raid"))
        honest += bool(run(raid_world(rng, 8, call=False, hostile=True), "fraud.fan_raid"))
    for raiders in (3, 5, 8, 15):
        found = 0
        for _ in range(args.trials):
            found += bool(run(raid_world(rng, raiders, call=True, hostile=True), "fraud.fan_raid"))
        line(f"{raiders} raiders after the call", found / args.trials, 1.0, honest, args.honest // 2 * 2)


HOSTILE = [
    "主播是骗子",
    "卖假货的垃圾",
    "骗子滚出直播间",
    "垃圾东西别买",
    "黑心主播退钱",
    "假货害人",
    "智商税别买了",
    "主播骗人",
    # complaints and sarcasm the hostility lexicon does not know: a raider posting one is missed
    "质量差得要命",
    "演技真好啊",
    "谁买谁后悔",
    "这也好意思卖",
]
FRIENDLY = ["这个怎么卖", "有没有大码", "从隔壁过来的", "发什么快递", "好看", "能便宜点吗", "支持一下", "什么时候开播"]


def raid_world(rng: random.Random, raiders: int, call: bool, hostile: bool) -> list[dict]:
    rows: list[dict] = [
        {"type": "session_start", "room_id": "A", "ts": T0, "anchor_id": "host-a"},
        {"type": "session_start", "room_id": "B", "ts": T0, "anchor_id": "host-b"},
    ]
    fans = [f"fan{k}" for k in range(30)]
    for fan in fans:
        rows.append(
            {"type": "comment", "room_id": "A", "ts": T0 + rng.randrange(60_000), "user_id": fan, "text": "主播说得对"}
        )
    text = "兄弟们去他直播间刷屏，他卖的全是假货" if call else "今天的面霜大家觉得怎么样"
    rows.append({"type": "utterance", "room_id": "A", "ts": T0 + 90_000, "text": text, "speaker": "host"})
    for k in range(180):  # room B's own viewers, asking about the product
        rows.append(
            {
                "type": "comment",
                "room_id": "B",
                "ts": T0 + rng.randrange(600_000),
                "user_id": f"b{k}",
                "text": rng.choice(FRIENDLY),
            }
        )
    attackers = rng.sample(fans, raiders) if call else [f"stranger{k}" for k in range(raiders)]
    for user in attackers:
        rows.append(
            {
                "type": "comment",
                "room_id": "B",
                "ts": T0 + 120_000 + rng.randrange(480_000),
                "user_id": user,
                "text": rng.choice(HOSTILE if hostile else FRIENDLY),
            }
        )
    return rows


if __name__ == "__main__":
    sys.exit(main())
