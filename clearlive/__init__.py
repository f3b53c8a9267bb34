"""ClearLive: integrity of live-stream commerce.

Library API (the CLI commands of the same names call these):
    clearlive.scan(paths, config) -> ScanResult
    clearlive.watch.normalize(text) -> NormalizedText
    clearlive.load_rules(paths) -> (packs, rules)

The pipeline's names load on first use, so that `import clearlive.something` does not load the
scan pipeline (and every detector). `normalize` is bound at once: the function shares its name with
the subpackage, which would otherwise shadow it once imported.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from clearlive.watch.normalize import normalize

if TYPE_CHECKING:
    from clearlive.watch.rules import load_rules
    from clearlive.watch.scan import ScanConfig, Scanner, ScanResult, scan

__version__ = "0.1.0"
__all__ = ["ScanConfig", "ScanResult", "Scanner", "__version__", "load_rules", "normalize", "scan"]

_HOME = {
    "ScanConfig": "clearlive.watch.scan",
    "ScanResult": "clearlive.watch.scan",
    "Scanner": "clearlive.watch.scan",
    "scan": "clearlive.watch.scan",
    "load_rules": "clearlive.watch.rules",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'clearlive' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value
