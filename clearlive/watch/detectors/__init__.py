"""Detectors: the YAML text-rule detector and the code detectors; Scanner.from_config lists them."""

from clearlive.watch.detectors.base import Detector, RoomState
from clearlive.watch.detectors.text_rules import TextRuleDetector

__all__ = ["Detector", "RoomState", "TextRuleDetector"]
