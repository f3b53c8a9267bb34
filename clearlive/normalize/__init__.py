"""Text normalisation with an offset map back to the original text."""

from clearlive.normalize.text import NormalizedText, normalize

__all__ = ["NormalizedText", "normalize"]
