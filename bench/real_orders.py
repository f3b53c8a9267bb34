"""Order brushing injected into real order logs: UCI Online Retail II (Chen, 2019; CC BY 4.0), or
its predecessor UCI Online Retail (Chen, Sain and Guo, 2012; CC BY 4.0).

    python bench/fraud_grid.py --part real --retail online_retail_II.xlsx   (or a .csv export)
    python bench/fraud_grid.py --part real --retail Spark-The-Definitive-Guide/data/retail-data/by-day

Online Retail II: the UCI Machine Learning Repository's dataset 502 (DOI 10.24432/C5CG6D), a UK
online retailer's 1,067,371 invoice lines of 2009-2011. Online Retail (dataset 352, DOI
10.24432/C5BW33) is the same retailer's 541,909 lines of December 2010 to December 2011; a copy
split into one CSV a day is in github.com/databricks/Spark-The-Definitive-Guide (Apache-2.0),
under data/retail-data/by-day: give that folder. Nothing of either is committed here; this script
reads a local copy. Each invoice is one order (its customer, its time to the minute);
cancellations (invoice numbers starting with C) and lines without a customer are counted and left
out. Each ISO week of the log is one shop (state does
not carry from week to week), so the honest baseline is about a hundred real shop-weeks with
their own buyers, reorders and wholesale customers.

For each floor of per-buyer orders in an hour (`BrushingConfig.min_buyer_orders`; the shipped value
is marked), the grid prints the share of honest shop-weeks with a brushing finding (false alarms,
then the weeks flagged by the concentrate rate and by the per-buyer rule)
and the recall of injected brushing (B fake buyers placing K orders each within one hour of a
random week; a trial counts only when a finding names an injected buyer, so a week flagged anyway
adds nothing): recall at the false-alarm rate each floor gives.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from clearlive.model.events import Event
from clearlive.model.findings import Finding
from clearlive.watch.detectors.brushing import BrushingConfig, OrderBrushingDetector
from clearlive.watch.scan.scanner import Scanner

FLOORS = (4, 5, 6, 8)
INJECTIONS = ((2, 5), (2, 8), (3, 6), (4, 10))


def load_invoices(path: str | Path) -> tuple[list[dict[str, Any]], Counter[str]]:
    """One order per invoice: (week shop, ts, customer); and the counts of what was left out."""
    skipped: Counter[str] = Counter()
    seen: set[str] = set()
    orders: list[dict[str, Any]] = []
    for n, row in enumerate(_rows(Path(path)), start=2):
        invoice = str(row.get("Invoice") or row.get("InvoiceNo") or "").strip()
        customer = str(row.get("Customer ID") or row.get("CustomerID") or "").strip().removesuffix(".0")
        when = row.get("InvoiceDate")
        if not invoice:
            skipped["no invoice number"] += 1
            continue
        if invoice in seen:
            continue  # further lines of an invoice already counted
        seen.add(invoice)
        if invoice.upper().startswith("C"):
            skipped["cancellation"] += 1
            continue
        if not customer:
            skipped["no customer"] += 1
            continue
        try:
            ts = _parse_time(when)
        except ValueError as e:
            if not skipped["bad InvoiceDate"]:
                print(f"{path}: line {n}: field InvoiceDate: {e} (further bad dates are only counted)")
            skipped["bad InvoiceDate"] += 1
            continue
        year, week, _ = datetime.fromtimestamp(ts / 1000, tz=UTC).isocalendar()
        shop = f"retail-{year}w{week:02d}"
        orders.append(_order(shop, ts, f"c{customer}", invoice))
    orders.sort(key=lambda o: o["ts"])
    return orders, skipped


def _rows(path: Path):  # type: ignore[no-untyped-def]
    if path.is_dir():  # a folder of daily CSV files (the by-day copy of Online Retail)
        for day in sorted(path.glob("*.csv")):
            yield from _rows(day)
        return
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True)
        for sheet in book.worksheets:  # the UCI file has one sheet per year
            it = sheet.iter_rows(values_only=True)
            header = [str(h) for h in next(it)]
            for values in it:
                yield dict(zip(header, values, strict=False))
        return
    with path.open(newline="", encoding="utf-8", errors="replace") as fh:
        yield from csv.DictReader(fh)


def _parse_time(value: object) -> int:
    if isinstance(value, datetime):
        dt = value
    else:
        text = str(value or "").strip()
        for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%m/%d/%Y %H:%M", "%d/%m/%Y %H:%M"):
            try:
                dt = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        else:
            raise ValueError(f"unrecognised InvoiceDate {text!r}")
    return int(dt.replace(tzinfo=UTC).timestamp() * 1000)


def _order(shop: str, ts: int, user: str, order_id: str) -> dict[str, Any]:
    return {"type": "order", "room_id": f"room-{shop}", "shop_id": shop, "ts": ts, "order_id": order_id,
            "user_id": user, "sku": "invoice", "amount": 0.0}  # fmt: skip


def shops_flagged(
    orders: list[dict[str, Any]], config: BrushingConfig | None = None, rule: str | None = None
) -> set[str]:
    """The shops with a brushing finding (of `rule` only, when given)."""
    return {str(f.facts["shop"]) for f in _findings(orders, config) if rule is None or f.rule_id == rule}


def fakes_named(orders: list[dict[str, Any]], config: BrushingConfig | None = None) -> set[str]:
    """The injected buyers that a brushing finding names among its suspects."""
    named = {b for f in _findings(orders, config) for b in f.facts["suspicious_buyers"]}  # type: ignore[attr-defined]
    return {b for b in named if b.startswith("fake")}


def _findings(orders: list[dict[str, Any]], config: BrushingConfig | None) -> list[Finding]:
    events = [msgspec.convert({**o, "id": f"e{i}"}, Event) for i, o in enumerate(orders)]
    return list(Scanner([OrderBrushingDetector(config)]).run(events))


def inject(rng: random.Random, orders: list[dict[str, Any]], shop: str, buyers: int, each: int) -> list[dict]:
    """`buyers` fake customers placing `each` orders within one business hour of the shop's week."""
    week = [o for o in orders if o["shop_id"] == shop]
    anchor = rng.choice(week)["ts"]
    out = list(week)
    for b in range(buyers):
        for k in range(each):
            out.append(_order(shop, anchor + rng.randrange(3_600_000), f"fake{b}", f"F{b}-{k}"))
    out.sort(key=lambda o: o["ts"])
    return out


def real_grid(path: str, rng: random.Random, trials: int = 40) -> None:
    orders, skipped = load_invoices(path)
    shops = sorted({o["shop_id"] for o in orders})
    per_week = sorted(Counter(o["shop_id"] for o in orders).values())
    median = per_week[len(per_week) // 2] if per_week else 0
    print(
        f"real orders: {len(orders)} invoices in {len(shops)} shop-weeks (median {median} a week);"
        f" left out: {dict(skipped)}"
    )
    print(
        f"{'floor':>6}{'false alarms':>15}{'rate':>6}{'buyers':>8}" + "".join(f"{f'{b}x{k}':>9}" for b, k in INJECTIONS)
    )
    shipped = BrushingConfig().min_buyer_orders
    for floor in FLOORS:
        config = replace(BrushingConfig(), min_buyer_orders=floor)
        alarms = len(shops_flagged(orders, config))
        by_rule = [len(shops_flagged(orders, config, OrderBrushingDetector.id + r)) for r in ("", ".buyers")]
        recalls = []
        for b, k in INJECTIONS:
            hits = 0
            for _ in range(trials):
                shop = rng.choice(shops)
                hits += bool(fakes_named(inject(rng, orders, shop, b, k), config))
            recalls.append(hits / trials)
        mark = " (shipped)" if floor == shipped else ""
        cells = f"{floor:>6}{alarms:>9}/{len(shops):<5}{by_rule[0]:>6}{by_rule[1]:>8}"
        print(cells + "".join(f"{r:>9.2f}" for r in recalls) + mark)
