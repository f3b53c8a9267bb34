"""Reports: offline HTML pages from the DuckDB store."""

from clearlive.report.html import ReportPaths, write_report

__all__ = ["ReportPaths", "write_report"]
