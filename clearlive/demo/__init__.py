"""The demo: a generated multi-room sample, scanned, stored and reported."""
