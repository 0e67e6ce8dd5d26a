"""Noise-robust multimodal classification: NMER and its noise helper.

:class:`NoiseRobustClassifier` trains on rows whose "incomplete" modalities
are replaced by diffusion-style noise-corrupted features and reconstructs a
clean joint representation with a conditional VAE;
:func:`add_modality_noise` applies the same corruption to a data matrix, to
build noisy test conditions.
"""

from skmmer.noise._nmer import NoiseRobustClassifier, add_modality_noise

__all__ = ["NoiseRobustClassifier", "add_modality_noise"]
