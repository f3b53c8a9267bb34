"""Classifiers that complement the rule packs.

Scoring with the bundled claims model needs numpy only (core); training any model, and loading a
trained abuse model, needs scikit-learn and skops: the [train] extra.
"""

# The 5-fold precision a threshold must reach (claims and encoder models); here so that the CLI can
# show it without importing numpy.
TARGET_PRECISION = 0.95
