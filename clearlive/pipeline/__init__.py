"""The scan pipeline."""

from clearlive.pipeline.scan import ScanConfig, Scanner, ScanResult, scan
from clearlive.pipeline.sessions import SessionSummary

__all__ = ["ScanConfig", "ScanResult", "Scanner", "SessionSummary", "scan"]
