"""Semi-supervised labels: ``y == -1`` marks an unlabelled row."""

from __future__ import annotations

import numpy as np
from sklearn.utils.multiclass import check_classification_targets

from skmmer.metrics import is_labelled

__all__ = ["encode_semi_supervised_labels"]


def encode_semi_supervised_labels(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Classes from the labelled rows and labels encoded as 0..K-1, -1 unlabelled.

    The rule for ``-1``: with numeric labels the value -1 marks an unlabelled
    row; with other labels (strings, say) use an object array in which the
    unlabelled rows hold the integer -1, as scikit-learn's
    ``SelfTrainingClassifier`` does. An array of strings cannot mark
    unlabelled rows, so a string ``"-1"`` in it is an error rather than a guess.

    Returns
    -------
    classes : ndarray
        Sorted unique labels of the labelled rows.
    y_encoded : ndarray of int64
        Index into ``classes``, or -1 for an unlabelled row.

    Raises
    ------
    ValueError
        If no row is labelled, if the labelled rows hold fewer than two
        classes, or if a string array contains ``"-1"``.
    """
    y = np.asarray(y)
    if y.dtype.kind in "US" and np.any(y.astype(str) == "-1"):
        raise ValueError(
            "y is an array of strings that contains '-1'. To mark unlabelled rows with string "
            "labels, use an object array holding the integer -1 for those rows "
            "(np.array([..., -1, ...], dtype=object)); the string '-1' is not read as unlabelled."
        )
    labelled = is_labelled(y)
    if not labelled.any():
        raise ValueError(
            "y has no labelled rows: every label is -1 (unlabelled). A classifier needs labelled "
            "rows of at least two classes."
        )
    check_classification_targets(y[labelled])  # -1 mixed with strings can't be sorted
    classes = np.unique(y[labelled])
    if len(classes) < 2:
        raise ValueError(
            f"The labelled rows of y hold only one class ({classes[0]!r}); a classifier needs at "
            "least two classes among the labelled rows."
        )
    encoded = np.full(y.shape[0], -1, dtype=np.int64)
    encoded[labelled] = np.searchsorted(classes, y[labelled])
    return classes, encoded
