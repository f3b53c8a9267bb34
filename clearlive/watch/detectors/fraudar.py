"""Brushing rings too large or too well hidden for the hourly concentrate rate: FRAUDAR.

Hooi et al., "FRAUDAR: Bounding Graph Fraud in the Face of Camouflage" (KDD 2016). Buyers and
shops form a bipartite graph (an edge: the buyer ordered from the shop). Edges are weighted
1 / log(shop degree + 5), so buying from popular shops (the camouflage a ring adds to look normal)
adds little. Greedy peeling removes, one at a time, the node whose edges weigh least, and keeps the
subgraph with the highest average weight per node; that block is reported when it is dense
(its buyers order from three or more of its shops on average and it is at least half full) and
has at least MIN_BUYERS buyers and MIN_SHOPS shops. The ring's shops may have many honest buyers
of their own (a ring hides in ordinary shops): a shop is named when half the block's buyers
ordered there and they are a quarter or more of its buyers.

This detector needs the whole order graph, so it runs once at the end of a scan (finish_all).
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from clearlive.model.events import EventBase, Order, format_ts
from clearlive.model.findings import Finding
from clearlive.watch.detectors.base import Detector, RoomState
from clearlive.watch.detectors.declared import DetectorRule
from clearlive.watch.detectors.metric import event_ms, metric_finding


@dataclass(frozen=True, slots=True)
class FraudarConfig:
    """The detector's thresholds, with the defaults the module docstring describes (in capitals);
    a scan passes its own through `ScanConfig.thresholds`."""

    min_buyers: int = 5
    min_shops: int = 3
    min_mean_degree: float = 3.0  # ring buyers order from at least three of the ring's shops on average
    min_fill: float = 0.5  # and the block is at least half full (edges / (buyers x shops))
    max_edges: int = 5_000_000
    shop_ring_share: float = 0.25  # a shop is named when a quarter or more of its buyers are in the block
    block_buyer_share: float = 0.5  # and at least half the block's buyers ordered there
    grow_shop_share: float = 0.15  # a shop peeled off early rejoins when the block is 15% of its buyers


def densest_block(edges: set[tuple[str, str]], config: FraudarConfig | None = None) -> tuple[set[str], set[str], float]:
    """FRAUDAR's greedy peeling over a buyer-shop edge set; returns (buyers, shops, density)."""
    cfg = config or FraudarConfig()
    shop_degree: dict[str, int] = defaultdict(int)
    for _, shop in edges:
        shop_degree[shop] += 1
    weight = {shop: 1.0 / math.log(d + 5) for shop, d in shop_degree.items()}
    adj: dict[str, dict[str, float]] = defaultdict(dict)
    for buyer, shop in edges:
        w = weight[shop]
        adj["b:" + buyer]["s:" + shop] = w
        adj["s:" + shop]["b:" + buyer] = w
    score = {node: sum(nbrs.values()) for node, nbrs in adj.items()}
    total = sum(score.values()) / 2
    alive = set(adj)
    heap = [(s, node) for node, s in score.items()]
    heapq.heapify(heap)
    best_density = total / len(alive) if alive else 0.0
    removed: list[str] = []
    best_removed = 0
    while heap and alive:
        s, node = heapq.heappop(heap)
        if node not in alive or s != score[node]:
            continue  # a stale entry: the node was removed or its score changed
        alive.discard(node)
        removed.append(node)
        total -= s
        for nbr, w in adj[node].items():
            if nbr in alive:
                score[nbr] -= w
                heapq.heappush(heap, (score[nbr], nbr))
        if alive and total / len(alive) > best_density:
            best_density = total / len(alive)
            best_removed = len(removed)
    block = set(adj) - set(removed[:best_removed])
    buyers = {n[2:] for n in block if n.startswith("b:")}
    # A popular shop the ring bought from as camouflage can stay in the block. A ring's own shops
    # are bought from by most of the block's buyers, and the ring is a good part of their buyers
    # even when they also have many honest ones; a camouflage shop fails the second test (the ring
    # is a sliver of its buyers), a shop where one or two ring buyers once ordered fails the first.
    shops = set()
    for n in block:
        if not n.startswith("s:"):
            continue
        from_block = sum(1 for b in adj[n] if b[2:] in buyers)
        if from_block >= cfg.block_buyer_share * len(buyers) and from_block >= cfg.shop_ring_share * len(adj[n]):
            shops.add(n[2:])
    if not buyers or not shops:
        return buyers, shops, best_density
    # Peeling takes the ring's busier shops off early (their edges weigh least), and the buyers who
    # touched only those with them: grow the block back. A shop joins when half the block's buyers
    # ordered there and they are 15% of its buyers (a camouflage shop is a sliver); a buyer
    # joins when it ordered from half of the block's shops.
    for _ in range(2):  # buyers and shops grow together: a shop's test counts the grown buyers
        need = max(2, math.ceil(cfg.block_buyer_share * len(shops)))
        buyers = {
            n[2:] for n, nbrs in adj.items() if n.startswith("b:") and sum(1 for x in nbrs if x[2:] in shops) >= need
        }
        for n, nbrs in adj.items():
            if n.startswith("s:") and n[2:] not in shops:
                from_block = sum(1 for b in nbrs if b[2:] in buyers)
                if from_block >= cfg.block_buyer_share * len(buyers) and from_block >= cfg.grow_shop_share * len(nbrs):
                    shops.add(n[2:])
    need = max(2, math.ceil(cfg.block_buyer_share * len(shops)))
    buyers = {n[2:] for n, nbrs in adj.items() if n.startswith("b:") and sum(1 for x in nbrs if x[2:] in shops) >= need}
    return buyers, shops, best_density


class FraudarDetector(Detector):
    id = "fraud.fraudar"
    event_types = frozenset({"order"})
    RULES = (
        DetectorRule(
            id=id,
            title="刷单团伙（稠密子图） / a brushing ring (dense buyer-shop block)",
            category="fake_data",
            severity="high",
            confidence=0.75,
            legal_basis=("CN-OTM-14", "CN-AUCL-9", "CN-LSE-34"),
            evidence_field="orders",
            reads="a block of buyers and shops far denser than the whole order graph (FRAUDAR), over all rooms",
            suggestion="核查这些买家账号的关联关系（设备、地址、支付）和订单真实性。 / Audit the accounts' links.",
        ),
    )
    state_attrs = ("edges", "first_order", "last_ts")

    def __init__(self, config: FraudarConfig | None = None) -> None:
        self.config = config or FraudarConfig()
        self.edges: set[tuple[str, str]] = set()
        self.first_order: dict[str, Order] = {}  # shop -> an order event, to place the finding
        self.last_ts = 0

    def observe(self, event: EventBase, room: RoomState) -> Iterable[Finding]:
        cfg = self.config
        assert isinstance(event, Order)
        shop = event.shop_id or room.shop_id or f"room:{event.room_id}"
        if len(self.edges) < cfg.max_edges:
            self.edges.add((event.user_id, shop))
        self.first_order.setdefault(shop, event)
        self.last_ts = max(self.last_ts, event_ms(event))
        return ()

    def finish_all(self, rooms: dict[str, RoomState]) -> Iterable[Finding]:
        cfg = self.config
        if len(self.edges) < cfg.min_buyers * cfg.min_shops:
            return ()
        buyers, shops, density = densest_block(self.edges, cfg)
        # A ring's buyers each order from several of the same shops; honest buyers of popular shops
        # touch one or two of them. Keep buyers with at least two edges into the named shops.
        degree: dict[str, int] = defaultdict(int)
        for b, s in self.edges:
            if b in buyers and s in shops:
                degree[b] += 1
        buyers = {b for b, d in degree.items() if d >= 2}
        block_edges = sum(degree[b] for b in buyers)
        if len(buyers) < cfg.min_buyers or len(shops) < cfg.min_shops:
            return ()
        mean_degree = block_edges / len(buyers)
        fill = block_edges / (len(buyers) * len(shops))
        if mean_degree < cfg.min_mean_degree or fill < cfg.min_fill:
            return ()
        background = len(self.edges) / (len({b for b, _ in self.edges}) * len({s for _, s in self.edges}))
        block_density = fill
        # sorted first: a tie must not fall to set order (the string hash differs per process), or
        # the finding's room, and so its id, would differ between runtimes
        anchor_shop = max(sorted(shops), key=lambda s: sum(1 for b, x in self.edges if x == s and b in buyers))
        ev = self.first_order[anchor_shop]
        room = rooms.get(ev.room_id) or RoomState(ev.room_id)
        summary = (
            f"{len(buyers)} buyers and {len(shops)} shops with {block_edges} buyer-shop pairs: "
            f"{fill:.0%} of the block filled against {background:.2%} in the whole graph"
        )
        return [
            metric_finding(
                self.RULES[0],
                ev=ev,
                room=room,
                ts_ms=self.last_ts,
                fingerprint=",".join(sorted(shops)) + "|" + ",".join(sorted(buyers)),  # the block's orders
                summary=summary,
                event_ids=[],
                message=(
                    f"{len(buyers)} 个买家集中在 {len(shops)} 家店铺下单，构成远高于整体水平的稠密子图（FRAUDAR），"
                    f"疑似刷单团伙。 / {len(buyers)} buyers concentrate their orders on {len(shops)} shops, a block "
                    f"{fill / max(background, 1e-9):.0f} times as dense as the whole graph (FRAUDAR)."
                ),
                facts={
                    "buyers": sorted(buyers)[:100],
                    "n_buyers": len(buyers),
                    "shops": sorted(shops),
                    "block_pairs": block_edges,
                    "block_fill": round(block_density, 3),
                    "mean_shops_per_buyer": round(mean_degree, 2),
                    "graph_fill": round(background, 5),
                    "weighted_density": round(density, 3),
                    "as_of": format_ts(self.last_ts),
                },
            )
        ]
