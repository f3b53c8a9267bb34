"""Order brushing, by Shopee's 2020 definition (peers-and-formats.md section 3).

A shop brushes when, within any one-hour window, its concentrate rate (orders / distinct buyers)
reaches 3 or more. The finding names the shop, the window and the suspicious buyers: those with
the largest share of the shop's orders in that window. Per-shop state is the last hour of orders,
so memory is bounded by the shop's hourly order volume.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from clearlive.detectors.base import Detector, RoomState
from clearlive.detectors.metric import metric_finding
from clearlive.model.events import EventBase, Order, format_ts
from clearlive.model.findings import Finding

WINDOW_MS = 3_600_000
CONCENTRATE_RATE = 3.0
MIN_ORDERS = 6  # a buyer with three orders in an hour is a fan, not a ring; six or more orders is the floor
MAX_WINDOW_ORDERS = 100_000


@dataclass
class _ShopWindow:
    orders: deque[tuple[int, str, str]] = field(default_factory=deque)  # (ts, buyer, order id)
    reported_until: int = -1  # end of the last window reported, so one burst gives one finding


class OrderBrushingDetector(Detector):
    id = "fraud.order_brushing"
    event_types = frozenset({"order"})

    def observe(self, event: EventBase, room: RoomState) -> Iterable[Finding]:
        assert isinstance(event, Order)
        shop = event.shop_id or room.shop_id or f"room:{event.room_id}"
        windows: dict[str, _ShopWindow] = room.slots.setdefault(self.id, {})
        w = windows.setdefault(shop, _ShopWindow())
        ts: int = event.ts  # type: ignore[assignment]
        w.orders.append((ts, event.user_id, event.order_id))
        while w.orders and (ts - w.orders[0][0] > WINDOW_MS or len(w.orders) > MAX_WINDOW_ORDERS):
            w.orders.popleft()
        n = len(w.orders)
        if n < MIN_ORDERS or w.orders[0][0] <= w.reported_until:
            return ()
        per_buyer = Counter(b for _, b, _ in w.orders)
        rate = n / len(per_buyer)
        if rate < CONCENTRATE_RATE:
            return ()
        w.reported_until = ts
        top = max(per_buyer.values())
        suspects = sorted(b for b, c in per_buyer.items() if c == top)
        return [self._finding(event, room, shop, w, per_buyer, rate, suspects)]

    def _finding(
        self,
        ev: Order,
        room: RoomState,
        shop: str,
        w: _ShopWindow,
        per_buyer: Counter[str],
        rate: float,
        suspects: list[str],
    ) -> Finding:
        start, end = w.orders[0][0], w.orders[-1][0]
        summary = (
            f"{len(w.orders)} orders from {len(per_buyer)} buyers in {(end - start) // 60000} min (rate {rate:.1f})"
        )
        return metric_finding(
            rule_id=self.id,
            title="刷单（订单集中度） / order brushing (concentrate rate)",
            severity="high",
            confidence=0.8,
            ev=ev,
            room=room,
            ts_ms=end,
            fingerprint=f"{shop}@{start}:{','.join(suspects)}",
            summary=summary,
            field="orders",
            event_ids=[oid for _, b, oid in w.orders if b in suspects][:50],
            basis_ids=["CN-OTM-14", "CN-AUCL-9", "CN-LSE-34"],
            message=(
                f"店铺 {shop} 在一小时内的订单集中度（订单数/买家数）为 {rate:.1f}，达到刷单判定阈值 3；"
                f"可疑买家：{', '.join(suspects)}。 / Shop {shop} reached a concentrate rate of {rate:.1f} "
                f"(orders / distinct buyers) within one hour, the Shopee order-brushing threshold is 3."
            ),
            suggestion="核查可疑买家的订单与收货信息，取消虚假交易产生的销量和评价。 / Review the suspects' orders.",
            facts={
                "shop": shop,
                "window_start": format_ts(start),
                "window_end": format_ts(end),
                "orders": len(w.orders),
                "buyers": len(per_buyer),
                "concentrate_rate": round(rate, 2),
                "suspicious_buyers": suspects,
                "suspect_orders": per_buyer[suspects[0]],
            },
        )
