"""What every score counts, as portable SQL kept in one place (runs unchanged on DuckDB and Spark).

Each scored metric comes out as two columns, `<metric>_x` (events) and `<metric>_n` (opportunities),
so that one piece of Python (clearlive.scoring.stats) turns every metric into a shrunk rate with an
interval, whichever engine counted. Only constructs both engines share are used: CASE, COUNT,
SUM, MIN, MAX, ROW_NUMBER() OVER, LEFT JOIN, LIKE, lower(); all times are epoch milliseconds, so
windows are plain integer arithmetic. Parameters are numbers from the config or quoted literals
(`_in_list`), never user text.
"""

from __future__ import annotations

from dataclasses import dataclass

DAY = 86_400_000
HOUR = 3_600_000


@dataclass(frozen=True)
class Window:
    end: int  # epoch ms, exclusive
    days: int
    lag_days: int

    @property
    def start(self) -> int:
        return self.end - self.days * DAY

    @property
    def lag_start(self) -> int:
        return self.start - self.lag_days * DAY

    @property
    def lag_end(self) -> int:
        return self.end - self.lag_days * DAY


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _in_list(values: list[str]) -> str:
    return "(" + ", ".join(_quote(v.lower()) for v in values) + ")" if values else "('')"


def _any_like(column: str, terms: list[str]) -> str:
    like = " OR ".join(f"lower({column}) LIKE {_quote('%' + t.lower() + '%')}" for t in terms)
    return f"({like})" if like else "FALSE"


def order_facts(reasons: dict[str, list[str]], misleading_terms: list[str]) -> str:
    """One row per order with everything that later happened to it, and when it became known."""
    seller, content, host, dispute = (
        _in_list(reasons.get(k, [])) for k in ("seller_fault", "content", "host", "dispute")
    )
    return f"""
WITH ship AS (
    SELECT order_id,
           MIN(CASE WHEN lower(status) = 'shipped' THEN ts END) AS shipped_ts,
           MIN(CASE WHEN lower(status) = 'delivered' THEN ts END) AS delivered_ts
    FROM shipments GROUP BY order_id
),
first_review AS (
    SELECT order_id, rating, text, ts FROM (
        SELECT order_id, rating, text, ts,
               ROW_NUMBER() OVER (PARTITION BY order_id ORDER BY ts, rating) AS rn
        FROM reviews
    ) r WHERE rn = 1
),
refund AS (
    SELECT order_id,
           MIN(CASE WHEN lower(reason) IN {seller} THEN ts END) AS seller_fault_ts,
           MAX(CASE WHEN lower(reason) IN {content} THEN 1 ELSE 0 END) AS content_fault
    FROM refunds GROUP BY order_id
),
complaint AS (
    SELECT order_id,
           MAX(CASE WHEN lower(reason) IN {host} THEN 1 ELSE 0 END) AS host_fault,
           MAX(CASE WHEN lower(reason) IN {dispute} THEN 1 ELSE 0 END) AS disputed
    FROM complaints GROUP BY order_id
)
SELECT o.order_id, o.user_id, o.sku, o.shop_id, o.anchor_id, o.session_id, o.amount, o.ts,
       s.shipped_ts, s.delivered_ts,
       v.rating AS first_rating, v.ts AS review_ts,
       CASE WHEN v.rating <= 2 AND {_any_like("v.text", misleading_terms)} THEN 1 ELSE 0 END AS misleading_review,
       f.seller_fault_ts,
       CASE WHEN f.seller_fault_ts IS NOT NULL THEN 1 ELSE 0 END AS seller_fault,
       COALESCE(f.content_fault, 0) AS content_fault,
       CASE WHEN c.order_id IS NOT NULL THEN 1 ELSE 0 END AS complained,
       COALESCE(c.host_fault, 0) AS host_fault,
       COALESCE(c.disputed, 0) AS disputed
FROM orders o
LEFT JOIN ship s ON s.order_id = o.order_id
LEFT JOIN first_review v ON v.order_id = o.order_id
LEFT JOIN refund f ON f.order_id = o.order_id
LEFT JOIN complaint c ON c.order_id = o.order_id
"""


def _between(column: str, lo: int, hi: int) -> str:
    return f"({column} >= {lo} AND {column} < {hi})"


def _rate(name: str, opportunity: str, event: str) -> str:
    return (
        f"SUM(CASE WHEN {opportunity} THEN 1 ELSE 0 END) AS {name}_n,\n"
        f"       SUM(CASE WHEN {opportunity} AND {event} THEN 1 ELSE 0 END) AS {name}_x"
    )


def shop_metrics(w: Window, has_shipments: bool) -> str:
    win, lag = _between("ts", w.start, w.end), _between("ts", w.lag_start, w.lag_end)
    signed = f"{win} AND delivered_ts IS NOT NULL" if has_shipments else win  # Douyin: reviews / signed orders
    # orders old enough to have been picked up, and shipments old enough to have arrived
    picked = _between("ts", w.start, w.end - 2 * DAY) if has_shipments else "FALSE"
    shipped = _between("shipped_ts", w.start, w.end - 3 * DAY) if has_shipments else "FALSE"
    return f"""
SELECT shop_id,
       SUM(CASE WHEN {win} THEN 1 ELSE 0 END) AS n_orders,
       SUM(CASE WHEN {win} THEN amount ELSE 0 END) AS gmv,
       {_rate("negative_review_rate", signed, "first_rating <= 2")},
       {_rate("quality_refund_rate", lag, "seller_fault = 1")},
       {_rate("pickup_24h_rate", picked, f"shipped_ts - ts <= {24 * HOUR}")},
       {_rate("on_time_delivery_rate", shipped, f"delivered_ts - shipped_ts <= {72 * HOUR}")},
       {_rate("complaint_rate", lag, "complained = 1")},
       {_rate("dispute_rate", lag, "disputed = 1")},
       SUM(CASE WHEN {win} AND delivered_ts IS NOT NULL THEN delivered_ts - shipped_ts ELSE 0 END) AS delivery_ms,
       SUM(CASE WHEN {win} AND delivered_ts IS NOT NULL AND shipped_ts IS NOT NULL THEN 1 ELSE 0 END) AS n_delivered
FROM order_facts
WHERE shop_id IS NOT NULL
GROUP BY shop_id
"""


def shop_chats(w: Window) -> str:
    return f"""
SELECT shop_id, {_rate("reply_3min_rate", _between("ts", w.start, w.end), "first_response_s <= 180")}
FROM service_chats
WHERE shop_id IS NOT NULL
GROUP BY shop_id
"""


def shop_categories(w: Window) -> str:
    """A shop's category is the one it sold most in the window (TikTok Shop: its best-selling)."""
    return f"""
WITH sku_category AS (
    SELECT sku, category FROM (
        SELECT sku, category, ROW_NUMBER() OVER (PARTITION BY sku ORDER BY ts DESC, category) AS rn
        FROM products WHERE category IS NOT NULL
    ) p WHERE rn = 1
),
counted AS (
    SELECT o.shop_id, c.category, COUNT(*) AS n
    FROM orders o JOIN sku_category c ON c.sku = o.sku
    WHERE o.shop_id IS NOT NULL AND {_between("o.ts", w.start, w.end)}
    GROUP BY o.shop_id, c.category
)
SELECT shop_id, category FROM (
    SELECT shop_id, category, ROW_NUMBER() OVER (PARTITION BY shop_id ORDER BY n DESC, category) AS rn
    FROM counted
) t WHERE rn = 1
"""


def host_metrics(w: Window) -> str:
    win, lag = _between("ts", w.start, w.end), _between("ts", w.lag_start, w.lag_end)
    return f"""
SELECT anchor_id,
       SUM(CASE WHEN {win} THEN 1 ELSE 0 END) AS n_orders,
       SUM(CASE WHEN {win} THEN amount ELSE 0 END) AS gmv,
       COUNT(DISTINCT CASE WHEN {win} THEN user_id END) AS n_buyers,
       {_rate("misleading_rate", lag, "(content_fault = 1 OR misleading_review = 1)")},
       {_rate("host_complaint_rate", lag, "host_fault = 1")}
FROM order_facts
WHERE anchor_id IS NOT NULL
GROUP BY anchor_id
"""


def host_listings(w: Window, lookback_days: int, lag_days: int, step_days: int = 7) -> str:
    """Per host, shop and snapshot: the host's orders in the window of products listed from that shop
    while that snapshot was the latest, and how the shop stood at the snapshot.

    A shop's standing is taken at weekly snapshots (every `step_days` back from the window's end):
    its orders paid in the `lookback_days` before the snapshot, lagged by `lag_days` so they had time
    to be reviewed or refunded, counting only the bad reviews and seller-fault refunds known by the
    snapshot. A listing uses the latest snapshot at or before it (Douyin uses the shop score of the
    day before the product was added). Without a product event the session's first order of the
    sku stands for the listing. Snapshots, not listings, carry the range join: a few dozen per shop
    however many sessions list its products."""
    lo, hi, step = (lookback_days + lag_days) * DAY, lag_days * DAY, step_days * DAY
    n_snaps = -(-w.days // step_days) + 1
    snaps = " UNION ALL ".join(f"SELECT {w.end - k * step} AS snap" for k in range(n_snaps + 1))
    return f"""
WITH snaps AS ({snaps}),
standing AS (
    SELECT p.snap, f.shop_id, COUNT(*) AS shop_n,
           SUM(CASE WHEN (f.first_rating <= 2 AND f.review_ts < p.snap) OR f.seller_fault_ts < p.snap
                    THEN 1 ELSE 0 END) AS shop_x
    FROM snaps p JOIN order_facts f ON f.ts >= p.snap - {lo} AND f.ts < p.snap - {hi}
    WHERE f.shop_id IS NOT NULL
    GROUP BY p.snap, f.shop_id
),
sold AS (
    SELECT anchor_id, session_id, sku, shop_id, MIN(ts) AS first_order_ts, COUNT(*) AS host_orders
    FROM orders
    WHERE anchor_id IS NOT NULL AND shop_id IS NOT NULL AND {_between("ts", w.start, w.end)}
    GROUP BY anchor_id, session_id, sku, shop_id
),
listed AS (
    SELECT anchor_id, session_id, sku, MIN(ts) AS listed_ts
    FROM products WHERE anchor_id IS NOT NULL GROUP BY anchor_id, session_id, sku
),
listing AS (
    SELECT s.anchor_id, s.session_id, s.sku, s.shop_id, s.host_orders,
           CASE WHEN l.listed_ts IS NOT NULL AND l.listed_ts <= s.first_order_ts THEN l.listed_ts
                ELSE s.first_order_ts END AS listed_ts
    FROM sold s
    LEFT JOIN listed l ON l.anchor_id = s.anchor_id AND l.session_id = s.session_id AND l.sku = s.sku
)
SELECT g.anchor_id, g.shop_id, t.snap, SUM(g.host_orders) AS host_orders,
       MAX(COALESCE(t.shop_n, 0)) AS shop_n, MAX(COALESCE(t.shop_x, 0)) AS shop_x
FROM listing g
LEFT JOIN standing t
  ON t.shop_id = g.shop_id
 AND t.snap = {w.end} - CAST(CEIL(({w.end} - g.listed_ts) / {float(step)}) AS BIGINT) * {step}
GROUP BY g.anchor_id, g.shop_id, t.snap
"""


def host_repeat(w: Window) -> str:
    """Repeat purchase: of the buyers whose first order from the host came N days or more before the
    window's end (within the window's length before that), the share who ordered again from the
    host between one and N days later (a second item in the same basket is not a return)."""
    cohort30 = _between("first_ts", w.start - 30 * DAY, w.end - 30 * DAY)
    cohort90 = _between("first_ts", w.start - 90 * DAY, w.end - 90 * DAY)
    return f"""
WITH firsts AS (
    SELECT anchor_id, user_id, MIN(ts) AS first_ts FROM orders WHERE anchor_id IS NOT NULL GROUP BY anchor_id, user_id
),
again AS (
    SELECT f.anchor_id, f.user_id, f.first_ts,
           MAX(CASE WHEN o.ts >= f.first_ts + {DAY} AND o.ts < f.first_ts + {30 * DAY} THEN 1 ELSE 0 END) AS r30,
           MAX(CASE WHEN o.ts >= f.first_ts + {DAY} AND o.ts < f.first_ts + {90 * DAY} THEN 1 ELSE 0 END) AS r90
    FROM firsts f JOIN orders o ON o.anchor_id = f.anchor_id AND o.user_id = f.user_id
    GROUP BY f.anchor_id, f.user_id, f.first_ts
)
SELECT anchor_id, {_rate("repeat_30d_rate", cohort30, "r30 = 1")}, {_rate("repeat_90d_rate", cohort90, "r90 = 1")}
FROM again GROUP BY anchor_id
"""


def host_returning_viewers(w: Window) -> str:
    """Of the viewers first seen in a host's session 30 days or more before the window's end, the
    share who came back to another of the host's sessions within 30 days."""
    cohort = _between("f.ts", w.start - 30 * DAY, w.end - 30 * DAY)
    return f"""
WITH per_session AS (
    SELECT anchor_id, user_id, session_id, MIN(ts) AS ts FROM visits GROUP BY anchor_id, user_id, session_id
),
firsts AS (
    SELECT anchor_id, user_id, session_id, ts FROM (
        SELECT anchor_id, user_id, session_id, ts,
               ROW_NUMBER() OVER (PARTITION BY anchor_id, user_id ORDER BY ts, session_id) AS rn
        FROM per_session
    ) t WHERE rn = 1
),
came_back AS (
    SELECT f.anchor_id, f.user_id,
           MAX(CASE WHEN v.session_id <> f.session_id AND v.ts < f.ts + {30 * DAY} THEN 1 ELSE 0 END) AS back
    FROM firsts f JOIN per_session v ON v.anchor_id = f.anchor_id AND v.user_id = f.user_id
    WHERE {cohort}
    GROUP BY f.anchor_id, f.user_id
)
SELECT anchor_id, COUNT(*) AS returning_viewer_rate_n, SUM(back) AS returning_viewer_rate_x
FROM came_back GROUP BY anchor_id
"""


def host_sessions(w: Window, flag_severities: list[str]) -> str:
    """Traffic (sessions, peak viewers) and the share of sessions with a finding at or above medium."""
    return f"""
WITH flagged AS (
    SELECT DISTINCT room_id, session_id FROM findings WHERE lower(severity) IN {_in_list(flag_severities)}
)
SELECT s.anchor_id,
       COUNT(*) AS n_sessions,
       SUM(s.peak_online) AS peak_viewers,
       COUNT(*) AS flagged_session_rate_n,
       SUM(CASE WHEN g.session_id IS NOT NULL THEN 1 ELSE 0 END) AS flagged_session_rate_x
FROM sessions s LEFT JOIN flagged g ON g.room_id = s.room_id AND g.session_id = s.session_id
WHERE s.anchor_id IS NOT NULL AND {_between("s.start_ts", w.start, w.end)}
GROUP BY s.anchor_id
"""
