"""One definition, two engines: the same scores from DuckDB and from Spark (local mode, Java 17).

Needs the `spark` extra (pyspark), which `make test` installs; skipped where pyspark is absent."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import msgspec
import pytest

from clearlive.demo.commerce import generate_history
from clearlive.measure import CommerceTables, ScoreConfig, score_tables
from clearlive.measure.engines import DuckDBEngine
from clearlive.watch.scan.scanner import ScanConfig, Scanner
from clearlive.watch.sources import InputOptions, ReadStats, RejectSink, read_inputs

pytest.importorskip("pyspark")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("Spark needs Java 17 (.ci/run installs it)", allow_module_level=True)


def test_duckdb_and_spark_give_identical_scores(tmp_path: Path) -> None:
    from clearlive.measure.engines import SparkEngine

    path = generate_history(tmp_path / "h.jsonl", days=45)
    events = list(read_inputs([str(path)], InputOptions(), RejectSink(None), ReadStats()))
    config = ScoreConfig.load(window_days=30)
    tables = CommerceTables()
    scanner = Scanner.from_config(ScanConfig(claims_model=None))
    tables.add_findings(scanner.run(events, tables.add))  # findings feed content honesty and the ledger
    assert tables.rows["findings"]
    duck = score_tables(tables, config, DuckDBEngine())
    spark_engine = SparkEngine()
    try:
        spark = score_tables(tables, config, spark_engine)
    finally:
        spark_engine.spark.stop()
    assert len(duck) == len(spark) > 20
    assert any(s.score is not None for s in duck)
    assert msgspec.to_builtins(duck) == msgspec.to_builtins(spark)
