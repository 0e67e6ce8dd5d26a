"""Input validation and per-feature standardization, done once for every estimator.

Data flow: ``X`` -> validated float64 array -> observed-modality matrix (the
all-NaN rule of :mod:`skmmer.masking`) -> standardized float32 values in block
order, with feature-level NaN filled by the column mean and missing blocks set
to zero. Torch cores only ever see the values and the observed mask.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from skmmer._layout import ModalityLayout
from skmmer.masking import observed_matrix_from_layout

__all__ = ["ModalityScaler", "observed_mean_and_scale"]


#: Below this standard deviation a column counts as constant: the network works in float32,
#: and dividing by a smaller scale could overflow it for values far from the training ones.
SMALLEST_SCALE = 1e-12


def observed_mean_and_scale(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and standard deviation of the observed (non-NaN) entries.

    The one rule for standardizing: a column with no observed value gets mean
    0, and a constant or never-observed column gets scale 1, so dividing by
    the scale never gives NaN or inf. "Constant" means a variance within the
    rounding error of computing it (relative to the column's magnitude, as
    in scikit-learn's ``StandardScaler``, so a constant column in large
    units maps to 0, not to its rounding noise) or a standard deviation
    below ``SMALLEST_SCALE``; a column that varies that little is named in
    a warning, since rescaling it would keep its variation.
    """
    observed_counts = (~np.isnan(X)).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = np.nansum(X, axis=0)
        mean = np.where(observed_counts > 0, total / np.maximum(observed_counts, 1), 0.0)
        centred = np.where(np.isnan(X), 0.0, X - mean)
        var = (centred**2).sum(axis=0) / np.maximum(observed_counts, 1)
    eps = np.finfo(np.float64).eps
    rounding_only = var <= observed_counts * eps * var + (observed_counts * mean * eps) ** 2
    scale = np.sqrt(var)
    too_small = ~rounding_only & (scale < SMALLEST_SCALE)
    if too_small.any():
        warnings.warn(
            f"Columns {np.flatnonzero(too_small)[:10].tolist()} of X vary by less than "
            f"{SMALLEST_SCALE:g} (standard deviation), so they are treated as constant. If that "
            "variation is signal, multiply those columns by a large factor before fitting.",
            UserWarning,
            stacklevel=3,
        )
    return mean, np.where(rounding_only | too_small, 1.0, scale)


@dataclass
class ModalityScaler:
    """Standardization statistics learned on the observed entries of each feature.

    A constant column gets scale 1, so it maps to 0 rather than to NaN.

    A column that is NaN in every training row has no statistics and the
    model learns no parameters for it, so :meth:`transform` treats it as
    missing wherever it is given later, and a modality whose every column is
    like that counts as a missing modality; :meth:`fit` warns about both.
    Imputations of such a column are 0 (:meth:`inverse_transform`).
    """

    layout: ModalityLayout
    mean: np.ndarray | None = None
    scale: np.ndarray | None = None
    #: Columns with at least one observed training value (None: all of them).
    seen: np.ndarray | None = None

    @property
    def order(self) -> np.ndarray:
        """Columns of X in block order (blocks contiguous, in modality order)."""
        return np.concatenate(self.layout.columns)

    def fit(self, X: np.ndarray, feature_names=None, trained_rows=None) -> ModalityScaler:
        """Statistics from every row of ``X``; ``seen`` from the rows the network trains on.

        ``trained_rows`` (a boolean mask) are those rows when the estimator
        trains on some of them only (the labelled ones): a column observed
        only in the others has nothing learned about it, like one never
        observed at all.
        """
        self.mean, self.scale = observed_mean_and_scale(X)
        trained = X if trained_rows is None else X[trained_rows]
        self.seen = (~np.isnan(trained)).any(axis=0)
        if not self.seen.all():
            warn_unseen(self.layout, self.seen, feature_names, labelled_only=trained_rows is not None)
        return self

    def known_entries(self, X: np.ndarray) -> np.ndarray:
        """(n_samples, n_features) bool, original column order: the entries a model may use.

        An entry is known when it is not NaN and its column was observed in
        training; the one definition of what counts as given.
        """
        known = ~np.isnan(X)
        return known if self.seen is None else known & self.seen

    def transform(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Standardized float32 values in block order and the observed matrix.

        Feature-level NaN becomes 0 (the training mean) and missing blocks
        become 0; the observed matrix says which blocks are real. Columns
        never observed in training count as NaN (see the class docstring).
        """
        if self.seen is not None and not self.seen.all():
            X = np.where(self.known_entries(X), X, np.nan)
        observed = observed_matrix_from_layout(X, self.layout)
        values = np.nan_to_num((X - self.mean) / self.scale, nan=0.0, copy=False)
        return values[:, self.order].astype(np.float32), observed

    def inverse_transform(self, values_in_block_order: np.ndarray) -> np.ndarray:
        """Values back in the original column order and units (float64)."""
        out = np.empty(values_in_block_order.shape, dtype=np.float64)
        out[:, self.order] = values_in_block_order
        out = out * self.scale + self.mean
        if self.seen is not None:
            # No training value to model it on: filled with 0, as scikit-learn's
            # SimpleImputer(keep_empty_features=True) does.
            out[:, ~self.seen] = 0.0
        return out


def warn_unseen(
    layout: ModalityLayout, seen: np.ndarray, feature_names=None, *, labelled_only: bool = False
) -> None:
    """Warn about modalities and columns that are NaN in every training row."""
    where = (
        "labelled training row (this estimator does not train on unlabelled rows)"
        if labelled_only else "training row"
    )
    unseen_modalities = [name for name, cols in zip(layout.names, layout.columns) if not seen[cols].any()]
    if unseen_modalities:
        warnings.warn(
            f"Modalities {unseen_modalities} are missing in every {where}, so the model "
            "learns nothing about them: predict, transform and impute treat them as missing "
            "even in rows that have them. Fit on rows where they are observed, or leave them "
            "out of `modalities` and X.",
            UserWarning,
            stacklevel=4,
        )
    partly = [
        (name, cols[~seen[cols]]) for name, cols in zip(layout.names, layout.columns)
        if seen[cols].any() and not seen[cols].all()
    ]
    if partly:
        described = "; ".join(
            ", ".join(repr(feature_names[c]) if feature_names is not None else f"column {c}" for c in cols[:5])
            + (f" and {cols.size - 5} more" if cols.size > 5 else "")
            + f" of modality {name!r}"
            for name, cols in partly
        )
        warnings.warn(
            f"These columns are NaN in every {where}: {described}. The model learns "
            "nothing about them, so they are treated as missing features wherever they are "
            "given later (an imputation of them is 0).",
            UserWarning,
            stacklevel=4,
        )
