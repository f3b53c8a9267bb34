"""Detectors: the YAML text-rule detector and the code detectors; Scanner.from_config lists them."""

from clearlive.detectors.base import Detector, RoomState
from clearlive.detectors.text_rules import TextRuleDetector

__all__ = ["Detector", "RoomState", "TextRuleDetector"]
