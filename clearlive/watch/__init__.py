"""Watch: read a room's events and find false and vulgar content and consumer deception
(sources, normalisation, rules, detectors, claims, classifiers, the scanner)."""
