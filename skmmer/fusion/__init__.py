"""Fusion baselines: per-modality encoders, masked fusion, a classification head."""

from skmmer.fusion._masked_fusion import MaskedFusionClassifier

__all__ = ["MaskedFusionClassifier"]
