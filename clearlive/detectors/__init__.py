"""Detectors: the YAML text-rule detector and plug-ins registered by name."""

from clearlive.detectors.base import Detector, RoomState, register, registered
from clearlive.detectors.text_rules import TextRuleDetector

__all__ = ["Detector", "RoomState", "TextRuleDetector", "register", "registered"]
