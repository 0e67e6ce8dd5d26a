"""Imputation of missing modalities (and missing features) with uncertainty."""

from skmmer.impute._diffusion import DiffusionImputer

__all__ = ["DiffusionImputer"]
