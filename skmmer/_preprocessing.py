"""Input validation and per-feature standardization, done once for every estimator.

Data flow: ``X`` -> validated float64 array -> observed-modality matrix (the
all-NaN rule of :mod:`skmmer.masking`) -> standardized float32 values in block
order, with feature-level NaN filled by the column mean and missing blocks set
to zero. Torch cores only ever see the values and the observed mask.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from skmmer._layout import ModalityLayout
from skmmer.masking import observed_matrix_from_layout

__all__ = ["ModalityScaler", "check_no_inf"]


def check_no_inf(X: np.ndarray, layout: ModalityLayout, feature_names=None) -> None:
    """Raise a ValueError that names the first columns holding +/-inf."""
    bad = np.flatnonzero(np.isinf(X).any(axis=0))
    if bad.size == 0:
        return
    owner = layout.column_owner()
    described = []
    for col in bad[:5]:
        label = f"column {col}"
        if feature_names is not None:
            label += f" ({feature_names[col]!r})"
        described.append(f"{label} of modality {layout.names[owner[col]]!r}")
    more = f" and {bad.size - 5} more columns" if bad.size > 5 else ""
    raise ValueError(
        f"Input X contains infinity in {', '.join(described)}{more}. Replace inf by a finite "
        "value, or by NaN to mark the value as missing."
    )


@dataclass
class ModalityScaler:
    """Standardization statistics learned on the observed entries of each feature.

    A column that is never observed in training gets mean 0 and scale 1; a
    constant column gets scale 1, so it maps to 0 rather than to NaN.
    """

    layout: ModalityLayout
    mean: np.ndarray | None = None
    scale: np.ndarray | None = None

    @property
    def order(self) -> np.ndarray:
        """Columns of X in block order (blocks contiguous, in modality order)."""
        return np.concatenate(self.layout.columns)

    def fit(self, X: np.ndarray) -> ModalityScaler:
        observed_counts = (~np.isnan(X)).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            total = np.nansum(X, axis=0)
            mean = np.where(observed_counts > 0, total / np.maximum(observed_counts, 1), 0.0)
            centred = np.where(np.isnan(X), 0.0, X - mean)
            var = (centred**2).sum(axis=0) / np.maximum(observed_counts, 1)
        scale = np.sqrt(var)
        scale[~(scale > 1e-12)] = 1.0
        self.mean, self.scale = mean, scale
        return self

    def transform(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Standardized float32 values in block order and the observed matrix.

        Feature-level NaN becomes 0 (the training mean) and missing blocks
        become 0; the observed matrix says which blocks are real.
        """
        observed = observed_matrix_from_layout(X, self.layout)
        values = (X - self.mean) / self.scale
        values = np.nan_to_num(values, nan=0.0, copy=False)
        return values[:, self.order].astype(np.float32), observed

    def inverse_transform(self, values_in_block_order: np.ndarray) -> np.ndarray:
        """Values back in the original column order and units (float64)."""
        out = np.empty(values_in_block_order.shape, dtype=np.float64)
        out[:, self.order] = values_in_block_order
        return out * self.scale + self.mean
