"""Storage: the embedded DuckDB store (the default for one laptop)."""

from clearlive.store.duck import Store

__all__ = ["Store"]
