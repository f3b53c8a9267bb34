"""Olist's public Brazilian e-commerce data as ClearLive events (issue #22).

    python bench/olist_events.py OLIST_DIR OUT.jsonl

OLIST_DIR holds the CSV files of "Brazilian E-Commerce Public Dataset by Olist" (Kaggle,
https://www.kaggle.com/datasets/olistbr/brazilian-ecommerce, licence CC BY-NC-SA 4.0), downloaded by
you; nothing is fetched here and nothing of it is shipped with ClearLive. Used files:
olist_orders_dataset.csv, olist_order_items_dataset.csv, olist_order_reviews_dataset.csv,
olist_customers_dataset.csv, olist_products_dataset.csv.

- one `order` per order and seller (Olist orders may hold items of several sellers): the seller is
  the shop, the buyer is `customer_unique_id` (so repeat buyers can be seen), the amount is the sum
  of the seller's item prices, and `promised_delivery` is the end of the estimated delivery day;
- `shipment` events `shipped` (handed to the carrier) and `delivered`, for the whole order (no
  `shop_id`: Olist records one date per order);
- the first `review` of each order (for every seller of it, as Olist reviews are per order), dated
  at its creation;
- a `cancellation` for `canceled` (who cancelled is not recorded) and `unavailable` orders (the
  seller could not supply: `by: seller`), dated at the purchase, since Olist gives no cancel date;
- a `product` per seller and product with its category, at the seller's first sale of it.

Olist's timestamps are local (Brazil) times without a zone; they are read as UTC, which shifts every
event alike. Score with bench/olist.yaml (Olist records no refunds, complaints or chats).
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

DAY = 86_400_000


def _ms(value: str) -> int | None:
    if not value:
        return None
    return int(datetime.fromisoformat(value).replace(tzinfo=UTC).timestamp() * 1000)


def _rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def events(folder: Path) -> list[dict[str, Any]]:
    buyer = {r["customer_id"]: r["customer_unique_id"] for r in _rows(folder, "olist_customers_dataset.csv")}
    category = {r["product_id"]: r["product_category_name"] for r in _rows(folder, "olist_products_dataset.csv")}
    items: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for r in _rows(folder, "olist_order_items_dataset.csv"):
        items[(r["order_id"], r["seller_id"])].append(r)
    sellers_of: dict[str, list[str]] = defaultdict(list)
    for order_id, seller in items:
        sellers_of[order_id].append(seller)
    out: list[dict[str, Any]] = []
    listed: set[tuple[str, str]] = set()
    room_of = {}
    for o in _rows(folder, "olist_orders_dataset.csv"):
        ts = _ms(o["order_purchase_timestamp"])
        if ts is None:
            continue
        order_id = o["order_id"]
        promised = _ms(o["order_estimated_delivery_date"])
        for seller in sorted(sellers_of.get(order_id, [])):
            room = f"olist-{seller}"
            room_of[order_id] = room
            rows = items[(order_id, seller)]
            for r in rows:
                if (seller, r["product_id"]) not in listed:
                    listed.add((seller, r["product_id"]))
                    out.append(
                        {
                            "type": "product",
                            "room_id": room,
                            "shop_id": seller,
                            "ts": ts,
                            "sku": r["product_id"],
                            "title": r["product_id"],
                            "category": category.get(r["product_id"]) or None,
                        }
                    )
            out.append(
                {
                    "type": "order",
                    "room_id": room,
                    "shop_id": seller,
                    "ts": ts,
                    "order_id": order_id,
                    "user_id": buyer.get(o["customer_id"], o["customer_id"]),
                    "sku": rows[0]["product_id"],
                    "qty": len(rows),
                    "amount": round(sum(float(r["price"]) for r in rows), 2),
                    "promised_delivery": promised + DAY - 1 if promised is not None else None,
                }
            )
        room = room_of.get(order_id)
        if room is None:
            continue  # an order without items names no seller to score
        for status, column in (
            ("shipped", "order_delivered_carrier_date"),
            ("delivered", "order_delivered_customer_date"),
        ):
            when = _ms(o[column])
            if when is not None:
                out.append({"type": "shipment", "room_id": room, "ts": when, "order_id": order_id, "status": status})
        if o["order_status"] in ("canceled", "unavailable"):
            seller_fault = o["order_status"] == "unavailable"
            out.append(
                {
                    "type": "cancellation",
                    "room_id": room,
                    "ts": ts,
                    "order_id": order_id,
                    "reason": o["order_status"],
                    **({"by": "seller"} if seller_fault else {}),
                }
            )
    first: dict[str, dict[str, str]] = {}
    for r in _rows(folder, "olist_order_reviews_dataset.csv"):
        if r["order_id"] in room_of and (
            r["order_id"] not in first or r["review_creation_date"] < first[r["order_id"]]["review_creation_date"]
        ):
            first[r["order_id"]] = r
    for order_id, r in first.items():
        when = _ms(r["review_creation_date"])
        if when is not None:
            text = " ".join(t for t in (r.get("review_comment_title"), r.get("review_comment_message")) if t)
            out.append(
                {
                    "type": "review",
                    "room_id": room_of[order_id],
                    "ts": when,
                    "order_id": order_id,
                    "rating": int(r["review_score"]),
                    **({"text": text[:20_000]} if text else {}),
                }
            )
    return sorted(out, key=lambda e: (e["ts"], e["type"], e.get("order_id", "")))


def main(folder: Path, out: Path) -> None:
    encode = msgspec.json.Encoder().encode
    rows = events(folder)
    with out.open("wb") as fh:
        for row in rows:
            fh.write(encode({k: v for k, v in row.items() if v is not None}) + b"\n")
    print(f"{len(rows)} events written to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
