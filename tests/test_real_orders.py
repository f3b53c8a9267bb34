"""bench/real_orders.py reads UCI Online Retail II exports (the real data stays on the developer's
machine); here, its parsing on lines written in that export's format, and an injected ring found."""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "bench"))

from real_orders import inject, load_invoices, shops_flagged

HEADER = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"


def test_invoices_become_orders_and_what_is_left_out_is_counted(tmp_path: Path, capsys) -> None:
    path = tmp_path / "retail.csv"
    path.write_text(
        HEADER
        + "489434,85048,GLASS BALL,12,2009-12-01 07:45:00,6.95,13085.0,United Kingdom\n"
        + "489434,79323P,PINK LIGHTS,12,2009-12-01 07:45:00,6.75,13085.0,United Kingdom\n"
        + "489435,22350,CAT BOWL,12,2009-12-01 07:46:00,2.55,13085.0,United Kingdom\n"
        + "C489436,22350,CAT BOWL,-1,2009-12-01 08:00:00,2.55,13085.0,United Kingdom\n"
        + "489437,22350,CAT BOWL,1,2009-12-01 09:00:00,2.55,,United Kingdom\n"
        + "489438,22350,CAT BOWL,1,yesterday,2.55,13000.0,United Kingdom\n"
        + "489439,22350,CAT BOWL,1,12/8/2009 10:15,2.55,13001,France\n",
        encoding="utf-8",
    )
    orders, skipped = load_invoices(path)
    assert [(o["order_id"], o["user_id"], o["shop_id"]) for o in orders] == [
        ("489434", "c13085", "retail-2009w49"),
        ("489435", "c13085", "retail-2009w49"),
        ("489439", "c13001", "retail-2009w50"),
    ]
    assert skipped == {"cancellation": 1, "no customer": 1, "bad InvoiceDate": 1}
    assert "line 7: field InvoiceDate" in capsys.readouterr().out


def test_brushing_injected_into_a_week_is_found_and_the_week_alone_is_not() -> None:
    rng = random.Random(3)
    t0 = 1_259_650_000_000
    week = [
        {"type": "order", "room_id": "room-w", "shop_id": "w", "ts": t0 + rng.randrange(5 * 86_400_000),
         "order_id": f"i{k}", "user_id": f"c{rng.randrange(400)}", "sku": "invoice", "amount": 0.0}
        for k in range(600)
    ]  # fmt: skip
    week.sort(key=lambda o: o["ts"])
    assert shops_flagged(week) == set()
    assert shops_flagged(inject(rng, week, "w", 3, 8)) == {"w"}


def test_a_folder_of_daily_files_in_the_first_online_retail_format_is_read_in_day_order(tmp_path: Path) -> None:
    """The by-day copy of UCI Online Retail (2010-2011) that Spark: The Definitive Guide's repository
    carries: one CSV a day, the first data set's column names (InvoiceNo, UnitPrice, CustomerID)."""
    header = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
    days = tmp_path / "by-day"
    days.mkdir()
    (days / "2010-12-02.csv").write_text(
        header + "536500,85123A,HEART,6,2010-12-02 09:00:00,2.55,17850.0,United Kingdom\n", encoding="utf-8"
    )
    (days / "2010-12-01.csv").write_text(
        header
        + "536365,85123A,HEART,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom\n"
        + "536366,22633,HAND WARMER,6,2010-12-01 08:28:00,1.85,,United Kingdom\n",
        encoding="utf-8",
    )
    (days / "notes.txt").write_text("not a day", encoding="utf-8")
    orders, skipped = load_invoices(days)
    assert [(o["order_id"], o["user_id"]) for o in orders] == [("536365", "c17850"), ("536500", "c17850")]
    assert skipped == {"no customer": 1}
