"""Rules as data: YAML packs, their loader, the compiled matcher and the example runner."""

from clearlive.watch.rules.loader import BUILTIN_PACKS, Rule, load_rules
from clearlive.watch.rules.matcher import RuleMatch, RuleSet

__all__ = ["BUILTIN_PACKS", "Rule", "RuleMatch", "RuleSet", "load_rules"]
