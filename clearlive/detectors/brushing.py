"""Order brushing, by Shopee's 2020 definition (peers-and-formats.md section 3).

A shop brushes when, within any one-hour window, its concentrate rate (orders / distinct buyers)
reaches 3 or more. "Any window" is taken literally: at each order, every window that ends at it
and starts at one of the orders of the hour before is tried (the set of orders in any one-hour
window is one of those), so a 20-minute burst is not diluted by the genuine orders of the 40
minutes before it. The finding names the shop, the densest window and the suspicious buyers:
those with the largest share of the shop's orders in it. Per-shop state is the last hour of
orders, so memory is bounded by the shop's hourly order volume; above EXACT_UP_TO orders an hour
only the full hour is tried (the definition is aimed at small shops).

In a shop with many honest buyers the ratio is diluted, so each buyer is also judged against the
shop's own history (`fraud.order_brushing.buyers`): at every order the shop records how many
orders that buyer placed in the hour before (its buyer-hour concentration). Once the shop has
seen MIN_SHOP_BUYERS buyers (the history is of orders older than the hour, so a burst is not its
own yardstick), a buyer whose last hour holds at least MIN_BUYER_ORDERS orders and
at least two more than the shop's own 99th percentile is a suspect; a finding needs
MIN_SUSPECTS suspects in the hour, or one with twice that floor. Honest repeat buyers and the odd
reseller set the shop's percentile, so a shop whose buyers often reorder needs more.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from clearlive.detectors.base import Detector, RoomState
from clearlive.detectors.declared import DetectorRule
from clearlive.detectors.metric import event_ms, metric_finding
from clearlive.model.events import EventBase, Order, format_ts
from clearlive.model.findings import Finding


@dataclass(frozen=True, slots=True)
class BrushingConfig:
    """The detector's thresholds, with the defaults the module docstring describes; a scan passes
    its own through `ScanConfig.thresholds`."""

    window_ms: int = 3_600_000
    concentrate_rate: float = 3.0
    min_orders: int = 6  # a buyer with three orders in an hour is a fan, not a ring; six or more orders is the floor
    max_window_orders: int = 100_000
    min_suspect_orders: int = 4  # the top buyer of the window needs this many: three orders in an hour is a keen fan
    exact_up_to: int = 2_000  # orders in the last hour up to which every sub-window is tried
    min_shop_buyers: int = 20  # buyers a shop must have had before its own history is a yardstick
    min_buyer_orders: int = 5
    min_suspects: int = 2
    history_quantile: float = 0.99
    history_margin: int = 2  # orders above the shop's own 99th percentile


@dataclass
class _ShopWindow:
    orders: deque[tuple[int, str, str]] = field(default_factory=deque)  # (ts, buyer, order id)
    last_report: int | None = None  # one finding per shop and hour: a burst that goes on is one burst
    counts: deque[int] = field(default_factory=deque)  # per order in the window: its buyer's orders in the hour
    concentration: Counter[int] = field(default_factory=Counter)  # the same, for orders older than the hour
    buyers: set[str] = field(default_factory=set)  # distinct buyers so far (up to MIN_SHOP_BUYERS is enough)
    last_buyer_report: int | None = None


class OrderBrushingDetector(Detector):
    id = "fraud.order_brushing"
    event_types = frozenset({"order"})
    RULES = (
        RATE := DetectorRule(
            id=id,
            title="刷单（订单集中度） / order brushing (concentrate rate)",
            category="fake_data",
            severity="high",
            confidence=0.8,
            legal_basis=("CN-OTM-14", "CN-AUCL-9", "CN-LSE-34"),
            evidence_field="orders",
            reads="a shop's orders / distinct buyers reaching 3 within any one-hour window (Shopee's definition)",
            suggestion="核查可疑买家的订单与收货信息，取消虚假交易产生的销量和评价。 / Review the suspects' orders.",
        ),
        BUYERS := DetectorRule(
            id=id + ".buyers",
            title="少数买家一小时内集中下单（刷单） / a few buyers far above the shop's own order rhythm",
            category="fake_data",
            severity="high",
            confidence=0.75,
            legal_basis=("CN-OTM-14", "CN-AUCL-9", "CN-LSE-34"),
            evidence_field="orders",
            reads="buyers whose orders of the last hour are well above the shop's own 99th percentile per buyer-hour",
            suggestion="核查可疑买家的订单与收货信息，取消虚假交易产生的销量。 / Review the suspects' orders.",
        ),
    )

    def __init__(self, config: BrushingConfig | None = None) -> None:
        self.config = config or BrushingConfig()

    def observe(self, event: EventBase, room: RoomState) -> Iterable[Finding]:
        assert isinstance(event, Order)
        cfg = self.config
        shop = event.shop_id or room.shop_id or f"room:{event.room_id}"
        windows: dict[str, _ShopWindow] = room.slots.setdefault(self.id, {})
        w = windows.setdefault(shop, _ShopWindow())
        ts = event_ms(event)
        w.orders.append((ts, event.user_id, event.order_id))
        w.counts.append(sum(1 for _, b, _ in w.orders if b == event.user_id))
        while w.orders and (ts - w.orders[0][0] > cfg.window_ms or len(w.orders) > cfg.max_window_orders):
            w.orders.popleft()
            w.concentration[w.counts.popleft()] += 1  # an order leaves the hour: it becomes history
        out = self._buyers(event, room, shop, w, ts)
        if len(w.orders) < cfg.min_orders or (w.last_report is not None and ts - w.last_report < cfg.window_ms):
            return out
        densest = _densest_window(w.orders, cfg)
        if densest is None:
            return out
        start, per_buyer = densest
        w.last_report = ts
        top = max(per_buyer.values())
        suspects = sorted(b for b, c in per_buyer.items() if c == top)
        window = [o for o in w.orders if o[0] >= start]
        return [*out, self._finding(event, room, shop, window, per_buyer, suspects)]

    def _buyers(self, ev: Order, room: RoomState, shop: str, w: _ShopWindow, ts: int) -> list[Finding]:
        cfg = self.config
        """A few buyers far above the shop's own buyer-hour concentration."""
        if len(w.buyers) < cfg.min_shop_buyers:
            w.buyers.add(ev.user_id)
        mine = w.counts[-1]
        usual = _quantile(w.concentration, cfg.history_quantile)
        floor = max(cfg.min_buyer_orders, usual + cfg.history_margin)
        if (
            len(w.buyers) < cfg.min_shop_buyers
            or mine < floor
            or (w.last_buyer_report is not None and ts - w.last_buyer_report < cfg.window_ms)
        ):
            return []
        per_buyer = Counter(b for _, b, _ in w.orders)
        suspects = sorted(b for b, c in per_buyer.items() if c >= floor)
        if len(suspects) < cfg.min_suspects and per_buyer[ev.user_id] < 2 * floor:
            return []
        w.last_buyer_report = ts
        window = [o for o in w.orders if o[1] in suspects]
        start, end = window[0][0], window[-1][0]
        counts = {b: per_buyer[b] for b in suspects}
        summary = (
            f"{len(suspects)} buyer(s) with {min(counts.values())}+ orders each in an hour; "
            f"the shop's buyers usually place {usual} or fewer"
        )
        return [
            metric_finding(
                self.BUYERS,
                ev=ev,
                room=room,
                ts_ms=ts,
                fingerprint=f"{shop}@{start}:{','.join(suspects)}:{ev.id}",  # the order that named them
                summary=summary,
                event_ids=[oid for _, _, oid in window][:50],
                message=(
                    f"店铺 {shop} 的买家 {', '.join(suspects[:10])} 在一小时内各下单 {min(counts.values())} 次以上，"
                    f"而该店买家一小时内的下单数通常不超过 {usual} 次（第99百分位）；疑似刷单。"
                    f" / In shop {shop}, {len(suspects)} buyer(s) placed {min(counts.values())}+ orders within an hour;"
                    f" the shop's buyers usually place {usual} or fewer (99th percentile)."
                ),
                facts={
                    "shop": shop,
                    "window_start": format_ts(start),
                    "window_end": format_ts(end),
                    "suspicious_buyers": suspects,
                    "orders_per_buyer": counts,
                    "shop_usual_per_buyer_hour": usual,
                    "shop_buyers_seen": len(w.buyers),
                },
            )
        ]

    def _finding(
        self,
        ev: Order,
        room: RoomState,
        shop: str,
        window: list[tuple[int, str, str]],
        per_buyer: Counter[str],
        suspects: list[str],
    ) -> Finding:
        start, end = window[0][0], window[-1][0]
        rate = len(window) / len(per_buyer)
        summary = f"{len(window)} orders from {len(per_buyer)} buyers in {(end - start) // 60000} min (rate {rate:.1f})"
        return metric_finding(
            self.RATE,
            ev=ev,
            room=room,
            ts_ms=end,
            fingerprint=f"{shop}@{start}:{','.join(suspects)}:{ev.id}",  # the order that completed the window
            summary=summary,
            event_ids=[oid for _, b, oid in window if b in suspects][:50],
            message=(
                f"店铺 {shop} 在一小时内的订单集中度（订单数/买家数）为 {rate:.1f}，达到刷单判定阈值 3；"
                f"可疑买家：{', '.join(suspects)}。 / Shop {shop} reached a concentrate rate of {rate:.1f} "
                f"(orders / distinct buyers) within one hour, the Shopee order-brushing threshold is 3."
            ),
            facts={
                "shop": shop,
                "window_start": format_ts(start),
                "window_end": format_ts(end),
                "orders": len(window),
                "buyers": len(per_buyer),
                "concentrate_rate": round(rate, 2),
                "suspicious_buyers": suspects,
                "suspect_orders": per_buyer[suspects[0]],
            },
        )


def _quantile(counts: Counter[int], q: float) -> int:
    """The q-quantile of a histogram of small integers."""
    total = sum(counts.values())
    if not total:
        return 0
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= q * total:
            return value
    return max(counts)


def _densest_window(orders: deque[tuple[int, str, str]], cfg: BrushingConfig) -> tuple[int, Counter[str]] | None:
    """The window ending at the newest order with the highest concentrate rate >= 3 and at least
    `min_orders` orders: (its start, orders per buyer)."""
    per_buyer = Counter(b for _, b, _ in orders)
    starts = orders if len(orders) <= cfg.exact_up_to else [orders[0]]
    n = len(orders)
    best: tuple[float, int, Counter[str]] | None = None
    for t, buyer, _ in starts:  # drop orders from the front one at a time
        if n < cfg.min_orders:
            break
        rate = n / len(per_buyer)
        if (
            rate >= cfg.concentrate_rate
            and (best is None or rate > best[0])
            and max(per_buyer.values()) >= cfg.min_suspect_orders
        ):
            best = (rate, t, per_buyer.copy())
        per_buyer[buyer] -= 1
        if not per_buyer[buyer]:
            del per_buyer[buyer]
        n -= 1
    return None if best is None else (best[1], best[2])
