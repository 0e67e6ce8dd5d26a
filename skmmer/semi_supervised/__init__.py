"""Semi-supervised multimodal classifiers that learn from unlabelled rows (``y == -1``)."""

from skmmer.semi_supervised._cmdm import CrossModalMatchingClassifier

__all__ = ["CrossModalMatchingClassifier"]
