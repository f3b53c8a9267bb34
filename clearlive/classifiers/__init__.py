"""Trainable classifiers that complement the rule packs (scikit-learn, saved with skops)."""
