"""The scan pipeline."""

from clearlive.watch.scan.scanner import ScanConfig, Scanner, ScanResult, scan
from clearlive.watch.scan.sessions import SessionSummary

__all__ = ["ScanConfig", "ScanResult", "Scanner", "SessionSummary", "scan"]
