"""`clearlive spark-stream`: the detectors in Spark Structured Streaming over the service's Redis
lanes, the findings stored in the service's store (clearlive.serve.spark_stream)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from clearlive.cli.service_cmd import POSTGRES_MODULES
from clearlive.extras import require

err = Console(stderr=True, soft_wrap=True)


def spark_stream_command(
    redis_url: Annotated[str, typer.Option("--redis", help="The Redis the service front writes to.")],
    db: Annotated[str, typer.Option("--db", help="The service's PostgreSQL: postgresql://...")],
    checkpoint: Annotated[
        Path, typer.Option("--checkpoint", help="Spark's checkpoint folder (offsets and detector state).")
    ],
    shards: Annotated[int, typer.Option("--shards", min=1, help="The front's --shards.")] = 4,
    once: Annotated[
        bool, typer.Option("--once", help="Process what the lanes hold now, then stop (else run until Ctrl-C).")
    ] = False,
    every: Annotated[int, typer.Option("--every", min=1, help="Seconds between micro-batches.")] = 5,
    spark_master: Annotated[str, typer.Option("--spark-master", help="The Spark master.")] = "local[2]",
) -> None:
    """Run the detectors as a Spark streaming job over the Redis lanes of `clearlive serve --redis URL
    --workers 0`, instead of the Redis workers: the same findings, stored in the service's store."""
    require("spark", "clearlive spark-stream", "pyspark", "pandas")
    require("redis", "clearlive spark-stream", "redis")
    require("postgres", "clearlive spark-stream", *POSTGRES_MODULES)
    if not db.startswith(("postgresql://", "postgres://")):
        raise typer.BadParameter("the job shares the store with the service: use postgresql://...", param_hint="--db")
    from clearlive.serve.spark_stream import StoreRows, spark_session, start
    from clearlive.serve.store import open_store

    store = open_store(db)
    sink = StoreRows(store)
    spark = spark_session(spark_master)
    try:
        query = start(spark, redis_url, shards, str(checkpoint), sink, once=once, every=f"{every} seconds")
        err.print(f"Spark streaming over {shards} Redis shard(s); checkpoint in {checkpoint}")
        try:
            query.awaitTermination()
        except KeyboardInterrupt:
            query.stop()
    finally:
        spark.stop()
        store.db.close()
    err.print(f"stored {sink.findings} new finding(s), {sink.dead_letters} dead letter(s)")
