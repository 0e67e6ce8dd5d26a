"""Synthetic data shared by the imagination and NMER tests."""

import numpy as np

MODALITIES = {"a": 6, "b": 6, "c": 6}


def shared_latent_views(n: int = 180, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three blocks that are noisy linear views of one 2-d latent that also sets the label.

    The views (the linear maps) are the same for every ``seed``; ``seed``
    draws the rows, so two seeds give a training and a test set of one task.
    """
    maps = np.random.RandomState(42).normal(size=(len(MODALITIES), 2, 6))
    rng = np.random.RandomState(seed)
    y = np.arange(n) % 2
    z = rng.normal(size=(n, 2)) + 3.0 * y[:, None]
    blocks = [z @ w + 0.3 * rng.normal(size=(n, 6)) for w in maps]
    return np.hstack(blocks), y
