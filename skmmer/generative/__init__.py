"""Generative models: semi-supervised multi-view deep generative classification."""

from skmmer.generative._dgm import MultiViewDGMClassifier

__all__ = ["MultiViewDGMClassifier"]
