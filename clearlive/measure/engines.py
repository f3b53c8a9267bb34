"""Where the SQL of clearlive.measure.definitions runs: DuckDB by default, Spark past one machine.

An engine takes Arrow tables, runs statements and returns rows as dicts. Nothing else differs
between them, which is what lets a test demand identical scores from both.
"""

from __future__ import annotations

from typing import Any, Protocol

import duckdb
import pyarrow as pa

from clearlive.measure.tables import TIME_COLUMN


class Engine(Protocol):
    name: str

    def load(self, tables: dict[str, pa.Table]) -> None: ...

    def materialize(self, name: str, select: str) -> None:
        """Compute `select` once and keep it as table `name` for the queries that follow."""
        ...

    def rows(self, sql: str) -> list[dict[str, Any]]: ...


class DuckDBEngine:
    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection | None = None) -> None:
        self.con = con or duckdb.connect()

    def load(self, tables: dict[str, pa.Table]) -> None:
        for name, table in tables.items():
            self.con.register(f"{name}_arrow", table)
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
            self.con.unregister(f"{name}_arrow")

    def use_parquet(self, paths: dict[str, str], before_ms: int | None = None) -> None:
        """Query Parquet files in place (the large-data path: nothing passes through Python), as
        they stood at `before_ms` when given (rows dated at or after it left out, as tables.before)."""
        for name, path in paths.items():
            cut = f" WHERE {TIME_COLUMN.get(name, 'ts')} < {int(before_ms)}" if before_ms is not None else ""
            self.con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM read_parquet('{path}'){cut}")

    def materialize(self, name: str, select: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {select}")

    def rows(self, sql: str) -> list[dict[str, Any]]:
        cur = self.con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


_SPARK_TYPES = {pa.string(): "STRING", pa.int64(): "BIGINT", pa.float64(): "DOUBLE"}


class SparkEngine:
    """The same SQL on Apache Spark (`pip install clearlive[spark]`; Java 17)."""

    name = "spark"

    def __init__(self, session: Any = None) -> None:
        if session is None:
            from clearlive.extras import require

            require("spark", "clearlive score --engine spark", "pyspark", "pandas")
            from pyspark.sql import SparkSession

            session = (
                SparkSession.builder.master("local[2]")
                .appName("clearlive-score")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.sql.session.timeZone", "UTC")
                .getOrCreate()
            )
        self.spark = session

    def load(self, tables: dict[str, pa.Table]) -> None:
        for name, table in tables.items():
            ddl = ", ".join(f"`{f.name}` {_SPARK_TYPES[f.type]}" for f in table.schema)
            rows = [tuple(r.values()) for r in table.to_pylist()]
            self.spark.createDataFrame(rows, schema=ddl).createOrReplaceTempView(name)

    def use_parquet(self, paths: dict[str, str], before_ms: int | None = None) -> None:
        for name, path in paths.items():
            frame = self.spark.read.parquet(path)
            if before_ms is not None:
                frame = frame.where(f"{TIME_COLUMN.get(name, 'ts')} < {int(before_ms)}")
            frame.createOrReplaceTempView(name)

    def materialize(self, name: str, select: str) -> None:
        self.spark.sql(select).cache().createOrReplaceTempView(name)

    def rows(self, sql: str) -> list[dict[str, Any]]:
        return [r.asDict() for r in self.spark.sql(sql).collect()]


def engine_named(name: str) -> Engine:
    if name == "duckdb":
        return DuckDBEngine()
    if name == "spark":
        return SparkEngine()
    raise ValueError(f"unknown engine {name!r}: duckdb or spark")
