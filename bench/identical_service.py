"""The example of issue #22: six shops of one category with identical service and 40 to 400 orders
over 80 days, and a seventh, worse shop. Writes the events; `clearlive score` does the rest:

    python bench/identical_service.py /tmp/identical.jsonl
    clearlive score /tmp/identical.jsonl --no-scan --window 90 --format table

Identical service: one order in every 20 (the middle one of each block) gets a one-star review
(5%), every order ships 12 h after payment and is delivered 48 h after shipping. The seventh
shop (200 orders) has four times the one-star rate (every 5th order) and ships five times slower
(60 h). Orders are spread evenly over
the 80 days, so nothing about the shops differs but their volume.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import msgspec

DAY = 86_400_000
HOUR = 3_600_000
T0 = 1_785_801_600_000  # 2026-08-04T00:00:00Z
VOLUMES = (40, 60, 100, 150, 250, 400)


def shop_events(shop: str, n: int, one_star_every: int, ship_hours: int, days: int = 80) -> list[dict[str, Any]]:
    room = f"store-{shop}"
    rows: list[dict[str, Any]] = [
        {
            "type": "product",
            "room_id": room,
            "shop_id": shop,
            "ts": T0,
            "sku": f"{shop}-sku",
            "title": "item",
            "category": "beauty",
        }
    ]
    for k in range(n):
        ts = T0 + HOUR + k * (days * DAY - 2 * HOUR) // n
        oid = f"{shop}-o{k}"
        shipped = ts + ship_hours * HOUR
        delivered = shipped + 48 * HOUR
        rows.append(
            {
                "type": "order",
                "room_id": room,
                "shop_id": shop,
                "ts": ts,
                "order_id": oid,
                "user_id": f"{shop}-u{k}",
                "sku": f"{shop}-sku",
                "amount": 59.0,
            }
        )
        rows.append({"type": "shipment", "room_id": room, "ts": shipped, "order_id": oid, "status": "shipped"})
        rows.append({"type": "shipment", "room_id": room, "ts": delivered, "order_id": oid, "status": "delivered"})
        if k % one_star_every == one_star_every // 2:  # spread evenly: the middle order of every block
            rows.append(
                {"type": "review", "room_id": room, "ts": delivered + DAY, "order_id": oid, "rating": 1, "text": "bad"}
            )
    return rows


def events() -> list[dict[str, Any]]:
    rows = []
    for n in VOLUMES:
        rows.extend(shop_events(f"shop-{n:03d}", n, 20, 12))
    rows.extend(shop_events("shop-worse", 200, 5, 60))
    return sorted(rows, key=lambda r: (r["ts"], r["type"]))


def main(out: Path) -> None:
    out.write_bytes(b"".join(msgspec.json.encode(r) + b"\n" for r in events()))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("identical.jsonl"))
