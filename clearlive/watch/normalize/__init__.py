"""Text normalisation with an offset map back to the original text."""

from clearlive.watch.normalize.text import NormalizedText, normalize

__all__ = ["NormalizedText", "normalize"]
