"""Synthetic multimodal classification data driven by a shared latent factor."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state

from skmmer.masking import _check_rate, max_missing_rate, simulate_missing

__all__ = ["make_multimodal_classification"]

# Each block also gets a few label-free factors of its own, so that a block is
# not just a noisy copy of the shared latent: a fusion model has to tell the
# shared, label-bearing directions apart from structured per-modality nuisance.
_N_PRIVATE = 2


def _check_int(value, name: str, minimum: int) -> int:
    if not isinstance(value, Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def _check_real(value, name: str, low: float, high: float = np.inf) -> float:
    is_real = isinstance(value, Real) and not isinstance(value, bool)
    if not is_real or not (low <= value <= high and np.isfinite(value)):
        bounds = f"in [{low}, {high}]" if np.isfinite(high) else f">= {low}"
        raise ValueError(f"{name} must be a finite real number {bounds}, got {value!r}.")
    return float(value)


def _block_sizes(modality_sizes) -> dict[str, int]:
    """``{name: size}`` from a sequence of sizes or a dict, validated."""
    if isinstance(modality_sizes, Mapping):
        names = [str(k) for k in modality_sizes]
        sizes = list(modality_sizes.values())
        if len(set(names)) != len(names):
            raise ValueError("modality_sizes: two modalities have the same name once converted to str.")
    elif isinstance(modality_sizes, (Sequence, np.ndarray)) and not isinstance(modality_sizes, str):
        sizes = list(modality_sizes)
        names = [f"m{i}" for i in range(len(sizes))]
    else:
        raise ValueError(
            "modality_sizes must be a sequence of block sizes or a dict name -> size, "
            f"got {type(modality_sizes).__name__}."
        )
    if not sizes:
        raise ValueError("modality_sizes is empty; give at least one modality.")
    for name, size in zip(names, sizes, strict=True):
        _check_int(size, f"modality_sizes[{name!r}]", 1)
    return {name: int(size) for name, size in zip(names, sizes, strict=True)}


def _informativeness(informativeness, n_modalities: int) -> np.ndarray:
    if informativeness is None:
        return np.ones(n_modalities)
    values = np.asarray(informativeness, dtype=np.float64)
    if values.shape != (n_modalities,):
        raise ValueError(
            f"informativeness must hold one value per modality ({n_modalities}), "
            f"got shape {values.shape}."
        )
    if not np.all((values >= 0.0) & (values <= 1.0)):
        raise ValueError(f"informativeness values must lie in [0, 1], got {values.tolist()}.")
    return values


def _class_means(n_classes: int, n_latent: int, class_sep: float, rng) -> np.ndarray:
    """Class centres in latent space, ``class_sep`` apart.

    With ``n_classes <= n_latent`` the centres are scaled orthonormal vectors,
    so every pair of classes is exactly ``class_sep`` apart. With more classes
    than latent dimensions that is impossible; the centres are then random
    directions on the sphere of the same radius (pairs ``class_sep`` apart on
    average in high dimension, closer or further otherwise).
    """
    draws = rng.standard_normal((n_latent, n_classes))
    if n_classes <= n_latent:
        directions = np.linalg.qr(draws)[0].T
    else:
        directions = (draws / np.linalg.norm(draws, axis=0)).T
    return directions * (class_sep / np.sqrt(2.0))


def _balanced_labels(n_samples: int, n_classes: int, rng) -> np.ndarray:
    # Round-robin then shuffle: class sizes differ by at most one, so a
    # classifier's accuracy is comparable with 1 / n_classes.
    return rng.permutation(np.arange(n_samples) % n_classes).astype(np.int64)


def make_multimodal_classification(
    n_samples: int = 500,
    *,
    n_classes: int = 3,
    modality_sizes: Sequence[int] | Mapping[str, int] = (20, 20, 20),
    informativeness: Sequence[float] | None = None,
    n_latent: int = 8,
    noise: float = 1.0,
    class_sep: float = 1.5,
    missing_rate: float = 0.0,
    missing_scheme: str = "rate",
    random_state=None,
) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Generate a multimodal classification problem with a shared latent cause.

    Every sample has a class ``y`` and a latent vector
    ``z = mu_y + e`` (``e`` standard normal, class centres ``class_sep``
    apart). Modality ``m`` sees it through its own random linear map::

        x_m = informativeness[m] * z @ W_m + u_m @ P_m + noise * eps_m

    where ``u_m`` are two label-free factors private to the modality and
    ``eps_m`` is white noise. The modalities are therefore correlated through
    ``z`` and each carries the label to the degree set by its
    informativeness; a modality with informativeness 0 is independent of the
    label and of the other modalities.

    Parameters
    ----------
    n_samples : int, default=500
        Number of rows.
    n_classes : int, default=3
        Number of classes (labels ``0 .. n_classes - 1``, balanced to within
        one sample).
    modality_sizes : sequence of int or dict of str to int, default=(20, 20, 20)
        Columns of each modality block, in column order. A sequence names
        the blocks ``"m0"``, ``"m1"``, ...; a dict gives the names.
    informativeness : sequence of float in [0, 1], default=None
        How strongly each modality reflects the shared latent, one value per
        modality; ``None`` means 1.0 for all. 0 makes the block pure noise
        with no label signal.
    n_latent : int, default=8
        Dimension of the shared latent ``z``.
    noise : float, default=1.0
        Standard deviation of the white noise added to every column.
    class_sep : float, default=1.5
        Distance between class centres in latent space (within-class spread
        of the latent is 1 in every direction).
    missing_rate : float, default=0.0
        If positive, whole modality blocks are set to NaN with
        :func:`skmmer.masking.simulate_missing`, keeping at least one
        modality per row. With ``missing_scheme="rate"`` it is the expected
        fraction of missing blocks, in ``[0, (M - 1) / M]``; with
        ``"subsets"`` any positive value switches the scheme on (every row
        then keeps a random non-empty proper subset of its modalities).
    missing_scheme : {"rate", "subsets"}, default="rate"
        How blocks are removed; see :class:`skmmer.masking.ModalityDropout`.
    random_state : int, RandomState instance or None, default=None
        Seed for every random draw; an int makes the output reproducible.

    Returns
    -------
    X : ndarray of shape (n_samples, sum of sizes), dtype float64
        Features, the blocks side by side in column order; NaN marks removed
        blocks.
    y : ndarray of shape (n_samples,), dtype int64
        Class labels.
    modalities : dict of str to int
        Block name to size in column order, ready to pass as the
        ``modalities`` parameter of skmmer estimators.

    Raises
    ------
    ValueError
        If an argument is out of range or malformed.

    Examples
    --------
    >>> from skmmer.datasets import make_multimodal_classification
    >>> X, y, modalities = make_multimodal_classification(
    ...     100, modality_sizes={"audio": 5, "video": 3},
    ...     informativeness=[1.0, 0.0], missing_rate=0.25, random_state=0)
    >>> X.shape, y.shape, modalities
    ((100, 8), (100,), {'audio': 5, 'video': 3})
    >>> sorted(set(y.tolist()))
    [0, 1, 2]
    """
    n_samples = _check_int(n_samples, "n_samples", 1)
    n_classes = _check_int(n_classes, "n_classes", 2)
    if n_samples < n_classes:
        raise ValueError(f"n_samples={n_samples} is smaller than n_classes={n_classes}.")
    sizes = _block_sizes(modality_sizes)
    weights = _informativeness(informativeness, len(sizes))
    n_latent = _check_int(n_latent, "n_latent", 1)
    noise = _check_real(noise, "noise", 0.0)
    class_sep = _check_real(class_sep, "class_sep", 0.0)
    if missing_scheme not in ("rate", "subsets"):
        raise ValueError(f"missing_scheme must be 'rate' or 'subsets', got {missing_scheme!r}.")
    top = max_missing_rate(len(sizes))
    missing_rate = _check_real(missing_rate, "missing_rate", 0.0)
    if missing_rate > 0 and (missing_scheme == "rate" or len(sizes) < 2):
        _check_rate(missing_rate, len(sizes), name="missing_rate")

    rng = check_random_state(random_state)
    means = _class_means(n_classes, n_latent, class_sep, rng)
    y = _balanced_labels(n_samples, n_classes, rng)
    latent = means[y] + rng.standard_normal((n_samples, n_latent))

    blocks = []
    for weight, size in zip(weights, sizes.values(), strict=True):
        # Scaling the loadings by 1/sqrt(dim) keeps every column's signal and
        # nuisance variance of order one whatever the latent dimensions.
        loading = rng.standard_normal((n_latent, size)) / np.sqrt(n_latent)
        private = rng.standard_normal((n_samples, _N_PRIVATE))
        private_loading = rng.standard_normal((_N_PRIVATE, size)) / np.sqrt(_N_PRIVATE)
        eps = rng.standard_normal((n_samples, size))
        blocks.append(weight * latent @ loading + private @ private_loading + noise * eps)
    X = np.hstack(blocks).astype(np.float64, copy=False)

    if missing_rate > 0:
        X = simulate_missing(
            X, dict(sizes), scheme=missing_scheme, rate=min(missing_rate, top), random_state=rng
        )
    return X, y, dict(sizes)
