"""ClearLive: integrity of live-stream commerce.

Library API (the CLI commands of the same names call these):
    clearlive.scan(paths, config) -> ScanResult
    clearlive.normalize(text) -> NormalizedText
    clearlive.load_rules(paths) -> (packs, rules)
"""

from clearlive.normalize import normalize
from clearlive.pipeline import ScanConfig, Scanner, ScanResult, scan
from clearlive.rules import load_rules

__version__ = "0.1.0"
__all__ = ["ScanConfig", "ScanResult", "Scanner", "__version__", "load_rules", "normalize", "scan"]
