"""Semi-supervised labels: ``y == -1`` marks an unlabelled row."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.utils.multiclass import check_classification_targets

from skmmer.metrics import UNLABELLED, _labelled_part, _minus_one_looks_like_a_label

__all__ = [
    "check_no_missing_labels",
    "encode_semi_supervised_labels",
    "resolve_class_weight",
    "warn_if_minus_one_looks_like_a_label",
]


def check_no_missing_labels(y) -> None:
    """Reject NaN / None labels with a pointer to the ``-1`` convention.

    A user with pandas often marks an unknown label with NaN; scikit-learn's
    own error ("Input y contains NaN") does not say what to do instead.
    """
    if y is None:
        return  # scikit-learn's "requires y to be passed" error follows
    missing = pd.isna(np.asarray(y, dtype=object))
    if np.any(missing):
        n_missing = int(np.count_nonzero(missing))
        raise ValueError(
            f"Input y contains NaN. Found NaN or None as the label of {n_missing} "
            f"row{'s' if n_missing > 1 else ''}. Mark unlabelled rows with -1 (scikit-learn's "
            "semi-supervised convention; with string labels use an object array holding the "
            "integer -1), e.g. y = y.fillna(-1) for a pandas Series of numbers."
        )


#: Matches the warning of :func:`warn_if_minus_one_looks_like_a_label` from ``fit``, so that
#: a caller that already warned once (``run_study``) can silence the per-fit copies.
FIT_MINUS_ONE_WARNING = r"\d+ rows have y == -1 and fit treats them as unlabelled"


def warn_if_minus_one_looks_like_a_label(y, consequence: str, *, stacklevel: int) -> None:
    """Warn when the rows taken as unlabelled (``y == -1``) look like a real label.

    Next to other negative or fractional labels (sentiment classes -3..3,
    say) a ``-1`` is most likely a rating, and reading it as the unlabelled
    marker would silently drop a whole class. ``consequence`` says what
    happens to those rows ("fit treats them as unlabelled").
    """
    if not _minus_one_looks_like_a_label(y):
        return
    n_rows = int(np.count_nonzero(np.asarray(y) == UNLABELLED))
    warnings.warn(
        f"{n_rows} rows have y == -1 and {consequence} as unlabelled, but the other labels "
        "look like sentiment scores or classes of -3..3 (negative or fractional), where -1 is "
        "a real label. If those rows are labelled, shift the labels (y + 3 for classes -3..3) "
        "or map -1 to another value; -1 marks an unlabelled row only.",
        UserWarning,
        stacklevel=stacklevel + 1,
    )


def _minus_one_hint(n_unlabelled: int) -> str:
    """The reminder an error about too few labelled classes owes a y holding -1.

    Labels coded -1 / 1 (or -1 / 0 / 1) lose their -1 class to the unlabelled
    marker without a trace; when that leaves too few classes, say so.
    """
    if n_unlabelled == 0:
        return ""
    return (
        f" {n_unlabelled} rows have y == -1, which marks an unlabelled row; if -1 is one of "
        "your classes, recode the labels (for example y + 1, or sklearn.preprocessing."
        "LabelEncoder) and mark unlabelled rows with -1 only."
    )


def encode_semi_supervised_labels(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Classes from the labelled rows and labels encoded as 0..K-1, -1 unlabelled.

    The rule for ``-1``: with numeric labels the value -1 marks an unlabelled
    row; with other labels (strings, say) use an object array in which the
    unlabelled rows hold the integer -1, as scikit-learn's
    ``SelfTrainingClassifier`` does. An array of strings cannot mark
    unlabelled rows, so a string ``"-1"`` in it is an error rather than a guess.
    The labelled rows of an object array that holds only integers are read
    as integer labels, as by the metrics of :mod:`skmmer.metrics`.

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

    Warns
    -----
    UserWarning
        If ``-1`` sits among other negative or fractional labels (a
        sentiment scale), where it is more likely a real label than the
        unlabelled marker.
    """
    y = np.asarray(y)
    labelled, y_labelled = _labelled_part(y)  # raises on a string array holding "-1"
    # Called by fit: the warning points at the caller's call of fit.
    warn_if_minus_one_looks_like_a_label(y, "fit treats them", stacklevel=3)
    if not labelled.any():
        raise ValueError(
            "y has no labelled rows: every label is -1 (unlabelled). A classifier needs labelled "
            "rows of at least two classes."
        )
    check_classification_targets(y_labelled)  # -1 mixed with strings can't be sorted
    classes = np.unique(y_labelled)
    if len(classes) < 2:
        raise ValueError(
            f"The labelled rows of y hold only one class ({classes.tolist()[0]!r}); a classifier "
            "needs at least two classes among the labelled rows."
            + _minus_one_hint(int(np.sum(~labelled)))
        )
    encoded = np.full(y.shape[0], -1, dtype=np.int64)
    encoded[labelled] = np.searchsorted(classes, y_labelled)
    return classes, encoded


def resolve_class_weight(class_weight, classes: np.ndarray, y_encoded: np.ndarray) -> np.ndarray:
    """Weight of each class in the labelled rows' cross-entropy, shape (n_classes,).

    ``None`` gives ones; ``"balanced"`` gives ``n_labelled / (n_classes *
    count_k)`` over the labelled rows (unlabelled rows do not count); a dict
    maps labels to weights, a class it does not name keeps weight 1.

    Raises
    ------
    ValueError
        If the dict names ``-1`` (unlabelled rows carry no cross-entropy to
        weight), or names a label that no labelled row has while leaving a
        labelled class out (a typo; as in scikit-learn, a dict that names
        every labelled class may name others, such as a class absent from a
        cross-validation fold), or if a weight is negative, not finite, or
        every weight is 0.
    """
    n_classes = len(classes)
    if class_weight is None:
        return np.ones(n_classes)
    if isinstance(class_weight, str) and class_weight == "balanced":
        counts = np.bincount(y_encoded[y_encoded >= 0], minlength=n_classes)
        return counts.sum() / (n_classes * counts)
    known = classes.tolist()
    unknown = [label for label in class_weight if label not in known]
    every_class_named = all(label in class_weight for label in known)
    # As in scikit-learn: a table that names every labelled class may name more (a class
    # absent from this cross-validation fold); with a class left out, an extra key is a typo.
    if UNLABELLED in unknown or (unknown and not every_class_named):
        raise ValueError(
            f"class_weight names {unknown}, which no labelled row of y has; the labelled classes "
            f"are {known}. Give weights for those labels only (unlabelled rows, y == -1, take "
            "no weight)."
        )
    weights = np.array([float(class_weight.get(label, 1.0)) for label in known])
    if not np.all(np.isfinite(weights)) or np.any(weights < 0) or not np.any(weights > 0):
        raise ValueError(
            f"class_weight must hold finite weights >= 0, not all 0; got {class_weight!r}."
        )
    return weights
