"""bench/olist_events.py: Olist's CSV layout into ClearLive events. The rows below are written for
this test in Olist's column layout (not Olist data): a two-seller order, a cancelled and an
unavailable order, a late delivery and a repeat buyer."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from clearlive.measure import CommerceTables, ScoreConfig, score_tables
from clearlive.model.events import parse_ts
from clearlive.watch.sources import InputOptions, ReadStats, RejectSink, read_inputs

ROOT = Path(__file__).resolve().parents[1]
FILES = {
    "olist_customers_dataset.csv": "customer_id,customer_unique_id,customer_zip_code_prefix,customer_city,"
    "customer_state\nc1,u1,01001,sao paulo,SP\nc2,u2,01002,sao paulo,SP\nc3,u1,01001,sao paulo,SP\n"
    "c4,u4,01004,sao paulo,SP\n",
    "olist_products_dataset.csv": "product_id,product_category_name\np1,beleza_saude\np2,moveis_decoracao\n",
    "olist_orders_dataset.csv": "order_id,customer_id,order_status,order_purchase_timestamp,order_approved_at,"
    "order_delivered_carrier_date,order_delivered_customer_date,order_estimated_delivery_date\n"
    "o1,c1,delivered,2018-01-01 10:00:00,2018-01-01 11:00:00,2018-01-02 09:00:00,2018-01-08 15:00:00,"
    "2018-01-10 00:00:00\n"
    "o2,c2,delivered,2018-01-02 10:00:00,2018-01-02 11:00:00,2018-01-03 09:00:00,2018-01-15 15:00:00,"
    "2018-01-10 00:00:00\n"
    "o3,c3,canceled,2018-01-05 10:00:00,,,,2018-01-15 00:00:00\n"
    "o4,c4,unavailable,2018-01-06 10:00:00,,,,2018-01-16 00:00:00\n",
    "olist_order_items_dataset.csv": "order_id,order_item_id,product_id,seller_id,shipping_limit_date,price,"
    "freight_value\no1,1,p1,sA,2018-01-03 10:00:00,50.00,5.00\no1,2,p1,sA,2018-01-03 10:00:00,50.00,5.00\n"
    "o1,3,p2,sB,2018-01-03 10:00:00,80.00,9.00\no2,1,p1,sA,2018-01-04 10:00:00,50.00,5.00\n"
    "o3,1,p1,sA,2018-01-07 10:00:00,50.00,5.00\no4,1,p2,sB,2018-01-08 10:00:00,80.00,9.00\n",
    "olist_order_reviews_dataset.csv": "review_id,order_id,review_score,review_comment_title,"
    "review_comment_message,review_creation_date,review_answer_timestamp\n"
    "r1,o1,5,,chegou antes,2018-01-09 00:00:00,2018-01-09 10:00:00\n"
    "r2,o2,1,,atrasou muito,2018-01-16 00:00:00,2018-01-16 10:00:00\n"
    "r3,o2,2,,segunda,2018-01-20 00:00:00,2018-01-20 10:00:00\n",
}


def _converter():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("olist_events", ROOT / "bench" / "olist_events.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_olist_rows_become_events_that_score(tmp_path: Path) -> None:
    for name, text in FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    out = tmp_path / "olist.jsonl"
    _converter().main(tmp_path, out)
    stats = ReadStats()
    events = list(read_inputs([str(out)], InputOptions(), RejectSink(None), stats))
    assert stats.total_rejected == 0
    orders = [e for e in events if e.__struct_config__.tag == "order"]
    assert sorted((o.order_id, o.shop_id, o.qty, o.amount) for o in orders) == [  # type: ignore[attr-defined]
        ("o1", "sA", 2, 100.0),
        ("o1", "sB", 1, 80.0),
        ("o2", "sA", 1, 50.0),
        ("o3", "sA", 1, 50.0),
        ("o4", "sB", 1, 80.0),
    ]
    o2 = next(o for o in orders if o.order_id == "o2")  # type: ignore[attr-defined]
    assert o2.promised_delivery == parse_ts("2018-01-10T23:59:59.999Z")  # type: ignore[attr-defined]
    reviews = [e for e in events if e.__struct_config__.tag == "review"]
    assert sorted((r.order_id, r.rating) for r in reviews) == [("o1", 5), ("o2", 1)]  # first reviews only
    cancels = {e.order_id: e.by for e in events if e.__struct_config__.tag == "cancellation"}  # type: ignore[attr-defined]
    assert cancels == {"o3": None, "o4": "seller"}
    config = ScoreConfig.load(ROOT / "bench" / "olist.yaml", window_days=60)
    scores = {
        s.entity_id: s
        for s in score_tables(CommerceTables().add_all(events), config, as_of_ms=parse_ts("2018-02-01T00:00:00Z"))
    }
    sa, sb = scores["sA"].dimensions, scores["sB"].dimensions
    assert (
        sa["logistics"].detail["on_time_delivery_rate"]["x"] == 1
        and sa["logistics"].detail["on_time_delivery_rate"]["n"] == 2
    )
    assert sb["logistics"].detail["seller_cancel_rate"]["x"] == 1
    assert sa["product"].detail["negative_review_rate"]["x"] == 1
    assert sb["product"].detail["negative_review_rate"]["x"] == 0  # o1's five stars count for both sellers
    assert sa["service"].score is None and "complaint_rate" not in sa["service"].detail  # not recorded by Olist
    assert sa["retention"].metrics["repeat_30d_rate"] == 1.0  # u1 (two customer ids) bought again
