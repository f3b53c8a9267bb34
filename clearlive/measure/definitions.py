"""What every score counts, as portable SQL kept in one place (runs unchanged on DuckDB and Spark).

Each scored metric comes out as two columns, `<metric>_x` (events) and `<metric>_n` (opportunities),
so that one piece of Python (clearlive.measure.stats) turns every metric into a shrunk rate with an
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


def order_facts(reasons: dict[str, list[str]], misleading_terms: list[str], default_promise_ms: int) -> str:
    """One row per order and seller (a multi-seller order is one row per seller), with everything
    that later happened to it. An outcome event naming a seller (`shop_id`) counts for that seller
    only; one naming none counts for every seller of the order. The data must already be cut at the
    as-of date (tables.before): nothing here looks at the clock."""
    seller, content, host, dispute, cancel = (
        _in_list(reasons.get(k, [])) for k in ("seller_fault", "content", "host", "dispute", "seller_cancel")
    )

    def of_item(table: str, columns: str) -> str:  # an outcome table's rows joined to the sellers they concern
        return (
            f"SELECT i.order_id, i.seller_key, {columns} FROM items i JOIN {table} e ON e.order_id = i.order_id "
            "AND (e.shop_id IS NULL OR e.shop_id = i.shop_id)"
        )

    return f"""
WITH items AS (
    SELECT order_id, COALESCE(shop_id, '') AS seller_key, MIN(shop_id) AS shop_id, MIN(user_id) AS user_id,
           MIN(sku) AS sku, MIN(anchor_id) AS anchor_id, MIN(session_id) AS session_id, SUM(amount) AS amount,
           MIN(ts) AS ts, MIN(promised_ts) AS promised_ts
    FROM orders GROUP BY order_id, COALESCE(shop_id, '')
),
ship AS (
    SELECT order_id, seller_key,
           MIN(CASE WHEN lower(status) = 'shipped' THEN ts END) AS shipped_ts,
           MIN(CASE WHEN lower(status) = 'delivered' THEN ts END) AS delivered_ts,
           MIN(promised_ts) AS promised_ts
    FROM ({of_item("shipments", "e.status, e.ts, e.promised_ts")}) s GROUP BY order_id, seller_key
),
first_review AS (
    SELECT order_id, seller_key, rating, text, ts FROM (
        SELECT order_id, seller_key, rating, text, ts,
               ROW_NUMBER() OVER (PARTITION BY order_id, seller_key ORDER BY ts, rating) AS rn
        FROM ({of_item("reviews", "e.rating, e.text, e.ts")}) r0
    ) r WHERE rn = 1
),
refund AS (
    SELECT order_id, seller_key,
           MIN(CASE WHEN lower(reason) IN {seller} THEN ts END) AS seller_fault_ts,
           MAX(CASE WHEN lower(reason) IN {content} THEN 1 ELSE 0 END) AS content_fault,
           MIN(ts) AS refund_ts
    FROM ({of_item("refunds", "e.reason, e.ts")}) f0 GROUP BY order_id, seller_key
),
complaint AS (
    SELECT order_id, seller_key,
           MAX(CASE WHEN lower(reason) IN {host} THEN 1 ELSE 0 END) AS host_fault,
           MAX(CASE WHEN lower(reason) IN {dispute} THEN 1 ELSE 0 END) AS disputed
    FROM ({of_item("complaints", "e.reason, e.ts")}) c0 GROUP BY order_id, seller_key
),
cancel AS (
    SELECT order_id, seller_key,
           MIN(CASE WHEN lower(COALESCE(who, '')) = 'seller' OR lower(COALESCE(reason, '')) IN {cancel}
                    THEN ts END) AS seller_cancel_ts,
           MIN(ts) AS cancelled_ts
    FROM ({of_item("cancellations", "e.reason, e.by AS who, e.ts")}) k0 GROUP BY order_id, seller_key
)
SELECT o.order_id, o.user_id, o.sku, o.shop_id, o.anchor_id, o.session_id, o.amount, o.ts,
       s.shipped_ts, s.delivered_ts,
       COALESCE(s.promised_ts, o.promised_ts, o.ts + {default_promise_ms}) AS promised_ts,
       v.rating AS first_rating, v.ts AS review_ts,
       CASE WHEN v.rating <= 2 AND {_any_like("v.text", misleading_terms)} THEN 1 ELSE 0 END AS misleading_review,
       f.seller_fault_ts, f.refund_ts,
       CASE WHEN f.seller_fault_ts IS NOT NULL THEN 1 ELSE 0 END AS seller_fault,
       COALESCE(f.content_fault, 0) AS content_fault,
       CASE WHEN c.order_id IS NOT NULL THEN 1 ELSE 0 END AS complained,
       COALESCE(c.host_fault, 0) AS host_fault,
       COALESCE(c.disputed, 0) AS disputed,
       k.cancelled_ts, k.seller_cancel_ts
FROM items o
LEFT JOIN ship s ON s.order_id = o.order_id AND s.seller_key = o.seller_key
LEFT JOIN first_review v ON v.order_id = o.order_id AND v.seller_key = o.seller_key
LEFT JOIN refund f ON f.order_id = o.order_id AND f.seller_key = o.seller_key
LEFT JOIN complaint c ON c.order_id = o.order_id AND c.seller_key = o.seller_key
LEFT JOIN cancel k ON k.order_id = o.order_id AND k.seller_key = o.seller_key
"""


def _between(column: str, lo: int, hi: int) -> str:
    return f"({column} >= {lo} AND {column} < {hi})"


def _rate(name: str, opportunity: str, event: str) -> str:
    return (
        f"SUM(CASE WHEN {opportunity} THEN 1 ELSE 0 END) AS {name}_n,\n"
        f"       SUM(CASE WHEN {opportunity} AND {event} THEN 1 ELSE 0 END) AS {name}_x"
    )


def shop_metrics(w: Window, present: set[str], grace_ms: int) -> str:
    """`present`: the outcome tables the data has rows in. A metric whose events the data does not
    record at all (no refunds anywhere, say) is not measured rather than measured as perfect.

    Time: an outcome counts once it is due. An order is due for pickup 24 h after payment, for
    delivery at its promise, and counts as never delivered `grace` after its promise; until then it is
    pending, neither on time nor late. Cancelled orders leave pickup and delivery (a seller's
    cancellation is counted on its own); a buyer's cancellation counts against nobody."""
    win, lag, end = _between("ts", w.start, w.end), _between("ts", w.lag_start, w.lag_end), w.end
    ships = "shipments" in present
    signed = f"{win} AND delivered_ts IS NOT NULL" if ships else win  # Douyin: reviews / signed orders

    def having(table: str, opportunity: str) -> str:
        return opportunity if table in present else "FALSE"

    live = "cancelled_ts IS NULL"
    return f"""
SELECT shop_id,
       SUM(CASE WHEN {win} THEN 1 ELSE 0 END) AS n_orders,
       SUM(CASE WHEN {win} THEN amount ELSE 0 END) AS gmv,
       {_rate("negative_review_rate", having("reviews", signed), "first_rating <= 2")},
       {_rate("quality_refund_rate", having("refunds", lag), "seller_fault = 1")},
       {
        _rate(
            "pickup_24h_rate",
            having("shipments", f"{win} AND ts + {DAY} <= {end} AND {live}"),
            f"shipped_ts - ts <= {DAY}",
        )
    },
       {
        _rate(
            "on_time_delivery_rate",
            having("shipments", f"{win} AND promised_ts <= {end} AND {live}"),
            "delivered_ts <= promised_ts",
        )
    },
       {
        _rate(
            "non_delivery_rate",
            having("shipments", f"{win} AND promised_ts + {grace_ms} <= {end} AND {live}"),
            "delivered_ts IS NULL",
        )
    },
       {
        _rate(
            "seller_cancel_rate",
            having(
                "cancellations",
                f"{win} AND promised_ts <= {end} AND (cancelled_ts IS NULL OR seller_cancel_ts IS NOT NULL)",
            ),
            "seller_cancel_ts IS NOT NULL",
        )
    },
       {_rate("complaint_rate", having("complaints", lag), "complained = 1")},
       {_rate("dispute_rate", having("complaints", lag), "disputed = 1")},
       SUM(CASE WHEN {win} AND delivered_ts IS NOT NULL THEN delivered_ts - shipped_ts ELSE 0 END) AS delivery_ms,
       SUM(CASE WHEN {win} AND delivered_ts IS NOT NULL AND shipped_ts IS NOT NULL THEN 1 ELSE 0 END) AS n_delivered
FROM order_facts
WHERE shop_id IS NOT NULL
GROUP BY shop_id
"""


def shop_repeat(w: Window) -> str:
    """Repeat buyers per shop: of the buyers whose first order from the shop came 30 days or more
    before the window's end (within the window's length before that), the share who ordered from
    the shop again between one and 30 days later."""
    return _repeat("shop_id", w, ((30, "repeat_30d_rate"),))


def _repeat(key: str, w: Window, horizons: tuple[tuple[int, str], ...]) -> str:
    cohorts = ", ".join(
        _rate(name, _between("first_ts", w.start - days * DAY, w.end - days * DAY), f"r{days} = 1")
        for days, name in horizons
    )
    again = ",\n           ".join(
        f"MAX(CASE WHEN o.ts >= f.first_ts + {DAY} AND o.ts < f.first_ts + {days * DAY} THEN 1 ELSE 0 END) AS r{days}"
        for days, _ in horizons
    )
    return f"""
WITH firsts AS (
    SELECT {key}, user_id, MIN(ts) AS first_ts FROM orders WHERE {key} IS NOT NULL GROUP BY {key}, user_id
),
again AS (
    SELECT f.{key}, f.user_id, f.first_ts,
           {again}
    FROM firsts f JOIN orders o ON o.{key} = f.{key} AND o.user_id = f.user_id
    GROUP BY f.{key}, f.user_id, f.first_ts
)
SELECT {key}, {cohorts}
FROM again GROUP BY {key}
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
    return _repeat("anchor_id", w, ((30, "repeat_30d_rate"), (90, "repeat_90d_rate")))


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
