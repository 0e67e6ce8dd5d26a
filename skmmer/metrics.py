"""Metrics and scorers that respect the semi-supervised label convention.

``y == -1`` marks an unlabelled row (scikit-learn's convention). Such rows have
no ground truth, so every score here ignores them; scikit-learn's own scorers
would count them as a class and as errors.

The emotion-recognition literature reports:

* **WA** (weighted accuracy): plain accuracy, :func:`weighted_accuracy`;
* **UA** (unweighted accuracy): the mean of per-class recalls, i.e. balanced
  accuracy, :func:`unweighted_accuracy`;
* **macro-F1**: :func:`macro_f1`;
* for CMU-MOSI/MOSEI sentiment scores in ``[-3, 3]``: **Acc-2**
  (:func:`acc2`) and **Acc-7** (:func:`acc7`).

:func:`score_all` computes several of them at once.

For imputers, :func:`imputation_rmse` is the error on hidden entries in
standardized units and :func:`imputation_scorer` turns it into a scorer that
hides observed values of the validation rows itself, so that
``GridSearchCV`` can choose an imputer (or its parameters) by imputation error.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    get_scorer,
)
from sklearn.utils import check_consistent_length
from sklearn.utils.metadata_routing import get_routing_for_object
from sklearn.utils.validation import _num_samples

from skmmer._preprocessing import observed_mean_and_scale
from skmmer.masking import _checked_input, _float_array_and_names, hide_block, hide_entries

__all__ = [
    "CLASSIFICATION_METRICS",
    "SENTIMENT_METRICS",
    "UNLABELLED",
    "acc2",
    "acc7",
    "imputation_rmse",
    "imputation_scorer",
    "is_labelled",
    "labelled_scorer",
    "macro_f1",
    "resolve_metrics",
    "score_all",
    "unweighted_accuracy",
    "weighted_accuracy",
]

#: The label that marks an unlabelled row.
UNLABELLED = -1


def is_labelled(y) -> np.ndarray:
    """Boolean mask of the rows whose label is not ``-1``.

    Works for numeric labels and for object arrays that mix labels (strings,
    say) with the integer ``-1``, as in :class:`~sklearn.semi_supervised.SelfTrainingClassifier`.
    An array of strings cannot hold that marker, so one containing ``"-1"``
    raises a ValueError rather than scoring the row as the label ``"-1"``.
    """
    y = np.asarray(y)
    if y.dtype.kind in "iuf":
        return y != UNLABELLED
    if y.dtype.kind == "b":
        return np.ones(y.shape, dtype=bool)
    if y.dtype.kind == "O":
        values = y.ravel()
        if any(isinstance(v, str) and v.strip() == "-1" for v in values):
            _raise_string_minus_one()  # a pandas string column (read from a CSV, say) lands here
        return np.array([not _is_minus_one(v) for v in values], dtype=bool).reshape(y.shape)
    if y.dtype.kind in "US" and np.any(np.char.strip(y.astype(str)) == "-1"):
        # ["a", "b", -1] becomes the strings "a", "b", "-1": the marker is lost, not read.
        _raise_string_minus_one()
    return np.ones(y.shape, dtype=bool)


def _raise_string_minus_one() -> None:
    raise ValueError(
        "y holds the string '-1' among string labels. Only the number -1 marks an unlabelled "
        "row; the string is ambiguous (it could be a class named '-1'), so it is refused rather "
        "than guessed. Put the integer -1 in an object array for those rows: "
        "np.array([..., -1, ...], dtype=object), or from a pandas column of strings "
        "y.astype(object).mask(y == '-1', -1)."
    )


def _is_minus_one(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, bool
    ) and value == UNLABELLED


def _is_per_row(value, n_rows: int) -> bool:
    """Whether ``value`` is metadata with one entry per row (scikit-learn's rule for splitting it)."""
    if value is None or np.isscalar(value) or isinstance(value, (dict, str)):
        return False
    try:
        return _num_samples(value) == n_rows
    except TypeError:
        return False


def _take_rows(X, rows: np.ndarray):
    return X.iloc[rows] if hasattr(X, "iloc") else np.asarray(X)[rows]


class _LabelledScorer:
    """A scorer that drops the unlabelled rows before scoring (picklable).

    The metadata it requests (``sample_weight``, say) is the wrapped
    scorer's, so scikit-learn's metadata routing reaches it. Routed metadata
    with one entry per row (``sample_weight`` or any other array as long as
    ``y``) is cut to the labelled rows like ``X`` and ``y``; other values
    (scalars, arrays of another length) pass unchanged, as in
    scikit-learn's own cross-validation.
    """

    def __init__(self, scorer: Callable):
        self.scorer = scorer

    def get_metadata_routing(self):
        """The wrapped scorer's metadata requests (scikit-learn's routing reads them here)."""
        return get_routing_for_object(self.scorer)

    def set_score_request(self, **requests) -> _LabelledScorer:
        """Request metadata, e.g. ``sample_weight=True``, from the wrapped scorer; returns self.

        Only with ``sklearn.set_config(enable_metadata_routing=True)``, as for
        scikit-learn's scorers.
        """
        if not hasattr(self.scorer, "set_score_request"):
            raise TypeError(
                f"{self.scorer!r} takes no metadata requests; wrap a scikit-learn scorer "
                "(a name or sklearn.metrics.make_scorer(...)) to route sample_weight to it."
            )
        self.scorer.set_score_request(**requests)
        return self

    def __call__(self, estimator, X, y_true, **kwargs):
        rows, y_kept = _labelled_part(y_true)
        labelled = np.flatnonzero(rows)
        if labelled.size == 0:
            return np.nan
        kwargs = {
            key: _take_rows(value, labelled) if _is_per_row(value, rows.size) else value
            for key, value in kwargs.items()
        }
        return self.scorer(estimator, _take_rows(X, labelled), y_kept, **kwargs)

    def __repr__(self) -> str:
        return f"labelled_scorer({self.scorer!r})"


def _tidy_object_labels(y: np.ndarray) -> np.ndarray:
    """Labels as scikit-learn reads them: an object array of integers becomes int64.

    scikit-learn reads an object array of ints as an unknown target type; such
    arrays arise from integer labels mixed with the integer ``-1`` marker, once
    the ``-1`` rows are dropped. Other arrays are returned as they are.
    """
    if y.dtype == object and all(isinstance(v, (int, np.integer)) for v in y.ravel()):
        return y.astype(np.int64)
    return y


def _labelled_part(y) -> tuple[np.ndarray, np.ndarray]:
    """``(mask of the labelled rows, their labels)``, ready for scikit-learn's metrics.

    Object labels that were mixed with the integer ``-1`` become integers
    again when every remaining one is an integer (scikit-learn reads an
    object array of ints as an unknown target type).
    """
    y = np.asarray(y)
    rows = is_labelled(y)
    return rows, _tidy_object_labels(y[rows])


def labelled_scorer(scoring: str | Callable = "accuracy") -> Callable:
    """A scorer for ``cross_validate``/``GridSearchCV`` that skips ``y == -1`` rows.

    Parameters
    ----------
    scoring : str or callable, default="accuracy"
        A scikit-learn scorer name (``"balanced_accuracy"``, ``"f1_macro"``,
        ...) or a scorer callable ``(estimator, X, y)``. One scorer only: for
        several, pass a dict ``{name: labelled_scorer(...)}`` as ``scoring``.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y)`` scores the labelled rows only and returns
        NaN when there are none. With scikit-learn's metadata routing enabled
        it takes the wrapped scorer's requests, and
        ``scorer.set_score_request(sample_weight=True)`` asks for row weights.

    Raises
    ------
    TypeError
        If ``scoring`` is neither a str nor a callable.

    Examples
    --------
    >>> from sklearn.model_selection import cross_val_score
    >>> from skmmer.metrics import labelled_scorer
    >>> scorer = labelled_scorer("balanced_accuracy")
    """
    if isinstance(scoring, str):
        return _LabelledScorer(get_scorer(scoring))
    if not callable(scoring):
        # A list or dict would only fail when scoring, where cross_validate turns it into NaN.
        raise TypeError(
            "scoring must be a scikit-learn scorer name (str) or a scorer callable "
            f"(estimator, X, y); got {scoring!r}. For several metrics pass a dict "
            "{name: labelled_scorer(...)} as the scoring of cross_validate or GridSearchCV."
        )
    return _LabelledScorer(scoring)


# --------------------------------------------------------------------------- #
# Metrics on predictions (y_true, y_pred)
# --------------------------------------------------------------------------- #
def _labelled_rows(y_true, y_pred, sample_weight=None, *, ignore_unlabelled: bool = True):
    """The labelled rows of ``y_true``, ``y_pred`` and ``sample_weight``."""
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_true.ndim != 1 or y_pred.shape != y_true.shape:
        raise ValueError(
            f"y_true and y_pred must be 1-D and of the same length; got shapes {y_true.shape} "
            f"and {y_pred.shape}."
        )
    if ignore_unlabelled:
        rows, y_kept = _labelled_part(y_true)
    else:
        rows, y_kept = np.ones(y_true.shape, dtype=bool), y_true
    if sample_weight is not None:
        check_consistent_length(y_true, sample_weight)
    weight = None if sample_weight is None else np.asarray(sample_weight)[rows]
    return y_kept, _tidy_object_labels(y_pred[rows]), weight


def weighted_accuracy(y_true, y_pred, *, sample_weight=None) -> float:
    """Weighted accuracy (WA): the fraction of labelled rows predicted right.

    "Weighted" because every class counts in proportion to its frequency; it
    is :func:`sklearn.metrics.accuracy_score` on the rows whose ``y_true`` is
    not ``-1``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels; ``-1`` marks an unlabelled row, which is ignored.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.

    Returns
    -------
    float
        The accuracy, or NaN when no row is labelled.

    Examples
    --------
    >>> from skmmer.metrics import weighted_accuracy
    >>> round(weighted_accuracy([0, 1, 1, -1], [0, 1, 0, 1]), 3)  # the -1 row is ignored
    0.667
    """
    y_true, y_pred, weight = _labelled_rows(y_true, y_pred, sample_weight)
    if y_true.size == 0:
        return float("nan")
    return float(accuracy_score(y_true, y_pred, sample_weight=weight))


def unweighted_accuracy(y_true, y_pred, *, sample_weight=None) -> float:
    """Unweighted accuracy (UA): the mean recall of the classes present in ``y_true``.

    Every class counts the same however rare it is; this is balanced accuracy
    (:func:`sklearn.metrics.balanced_accuracy_score`, i.e. macro-averaged
    recall) on the rows whose ``y_true`` is not ``-1``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels; ``-1`` marks an unlabelled row, which is ignored.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.

    Returns
    -------
    float
        The balanced accuracy, or NaN when no row is labelled.

    Examples
    --------
    >>> from skmmer.metrics import unweighted_accuracy
    >>> unweighted_accuracy([0, 0, 0, 1, -1], [0, 0, 0, 0, 1])  # recalls 1 and 0
    0.5
    """
    y_true, y_pred, weight = _labelled_rows(y_true, y_pred, sample_weight)
    if y_true.size == 0:
        return float("nan")
    return float(balanced_accuracy_score(y_true, y_pred, sample_weight=weight))


def macro_f1(y_true, y_pred, *, sample_weight=None) -> float:
    """Macro-averaged F1 over the labelled rows.

    The unweighted mean of per-class F1 scores over the classes that occur in
    ``y_true`` or ``y_pred`` of the labelled rows (as
    :func:`sklearn.metrics.f1_score` with ``average="macro"``). A class that
    is only predicted there, or only true there, scores 0 (without
    scikit-learn's warning); a class that no labelled row has, true or
    predicted (one predicted only for unlabelled rows, say), is left out of
    the average.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels; ``-1`` marks an unlabelled row, which is ignored.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.

    Returns
    -------
    float
        Macro-F1, or NaN when no row is labelled.

    Examples
    --------
    >>> from skmmer.metrics import macro_f1
    >>> macro_f1([0, 1, 1, -1], [0, 1, 1, 0])
    1.0
    >>> macro_f1([0, 1, -1], [0, 1, 2])  # class 2, predicted only for the -1 row, is left out
    1.0
    >>> round(macro_f1([0, 1, 1], [0, 1, 2]), 3)  # class 2, predicted for a labelled row, scores 0
    0.556
    """
    y_true, y_pred, weight = _labelled_rows(y_true, y_pred, sample_weight)
    if y_true.size == 0:
        return float("nan")
    return float(f1_score(y_true, y_pred, average="macro", sample_weight=weight, zero_division=0))


def _minus_one_looks_like_a_label(y) -> bool:
    """Whether ``-1`` in ``y`` sits on a sentiment scale, where it is a real label.

    Next to other negative or fractional labels (scores, or classes of
    -3..3) a ``-1`` is most likely a rating, not skmmer's unlabelled
    marker; next to classes 0..K-1 it reads as the marker.
    """
    y = np.asarray(y)
    if y.dtype.kind not in "iuf":
        return False
    is_minus_one = y == UNLABELLED
    others = y[~is_minus_one]
    return bool(is_minus_one.any() and (np.any(others < 0) or np.any(others != np.round(others))))


def _warn_if_score_is_minus_one(y_true: np.ndarray, ignore_unlabelled: bool) -> None:
    """Say once when the rows skipped as unlabelled look like real sentiment labels."""
    if ignore_unlabelled and _minus_one_looks_like_a_label(y_true):
        warnings.warn(
            f"{int(np.sum(y_true == UNLABELLED))} rows have y_true == -1 and are skipped as "
            "unlabelled, but y_true looks like sentiment scores or classes of -3..3, where -1 "
            "is a real label; pass ignore_unlabelled=False if every row is labelled.",
            UserWarning,
            stacklevel=3,
        )


def _sentiment_pair(y_true, y_pred, ignore_unlabelled: bool) -> tuple[np.ndarray, np.ndarray]:
    _warn_if_score_is_minus_one(np.asarray(y_true), ignore_unlabelled)
    y_true, y_pred, _ = _labelled_rows(y_true, y_pred, ignore_unlabelled=ignore_unlabelled)
    return y_true, y_pred


def _holds_only_zeros_and_ones(y: np.ndarray) -> bool:
    """``y`` takes only the values 0 and 1 (0/1 classes, not sentiment scores)."""
    return bool(np.isin(y, (0, 1)).all())


def _check_scores_are_not_compared_with_classes(y_true: np.ndarray, y_pred: np.ndarray) -> None:
    """Refuse 0/1 classes in ``y_true`` next to real-valued ``y_pred``.

    Read as sentiment scores, 0/1 classes would make every negative row
    (class 0) a neutral score: the "non-zero" Acc-2 would drop all of them
    and score the positives only.
    """
    if _holds_only_zeros_and_ones(y_true) and not _holds_only_zeros_and_ones(y_pred):
        raise ValueError(
            "acc2 got y_true of 0/1 classes but y_pred that is not 0/1. acc2 compares signs of "
            "sentiment scores, so y_true must hold scores (negative, 0 = neutral, positive), as "
            "in CMU-MOSI/MOSEI, or y_true and y_pred must both be 0/1 classes. With 0/1 labels "
            "and predicted scores or probabilities, threshold the predictions first, e.g. "
            "acc2(y_true, (proba > 0.5).astype(int)), or use weighted_accuracy."
        )


def acc2(y_true, y_pred, *, exclude_zero: bool = True, ignore_unlabelled: bool = True) -> float:
    """Binary sentiment accuracy (Acc-2) of CMU-MOSI/MOSEI-style scores.

    The sign of the predicted score is compared with the sign of the true
    score. With ``exclude_zero=True`` (the "non-zero" Acc-2 most papers
    report) rows whose true score is exactly 0 are dropped and positive means
    ``> 0``; with ``exclude_zero=False`` ("has-0" Acc-2) every row is kept and
    positive means ``>= 0``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True sentiment scores (or 0/1 classes, see Notes).
    y_pred : array-like of shape (n_samples,)
        Predicted scores (or 0/1 classes).
    exclude_zero : bool, default=True
        Drop the rows whose true score is 0 (neutral).
    ignore_unlabelled : bool, default=True
        Skip the rows where ``y_true == -1`` (the unlabelled marker).

    Returns
    -------
    float
        The accuracy, or NaN when no row remains.

    Raises
    ------
    ValueError
        If ``y_true`` holds only 0 and 1 and ``y_pred`` other values.

    Notes
    -----
    *Classifier outputs.* When ``y_true`` and ``y_pred`` both take only the
    values 0 and 1 (a classifier trained on binarised sentiment, 0 = negative,
    1 = positive), the labels already are the two Acc-2 classes and Acc-2 is
    their plain accuracy, which is what this function returns; ``exclude_zero``
    does not apply (0 is the negative class there, not a neutral score).
    When ``y_true`` takes only the values 0 and 1 but ``y_pred`` does not
    (0/1 labels against predicted scores or probabilities), it is an error:
    read as scores, every negative row would be a dropped neutral one.

    *The -1 marker.* MOSI scores are averages of annotator ratings and can be
    exactly ``-1.0``, a real label (as is the class -1 of integer labels in
    -3..3). By default such rows are skipped as unlabelled, as everywhere in
    skmmer (a warning says so when other labels are negative or fractional); pass
    ``ignore_unlabelled=False`` for fully labelled sentiment scores.

    Examples
    --------
    >>> from skmmer.metrics import acc2
    >>> round(acc2([2.4, -0.6, 0.0, 1.2], [1.1, 0.3, -0.2, 0.8]), 3)  # the 0.0 row is dropped
    0.667
    >>> acc2([2.4, -0.6, 0.0, 1.2], [1.1, 0.3, -0.2, 0.8], exclude_zero=False)
    0.5
    >>> acc2([1, 0, 0, 1], [1, 0, 1, 1])  # classes: plain accuracy
    0.75
    """
    y_true, y_pred = _sentiment_pair(y_true, y_pred, ignore_unlabelled)
    _check_scores_are_not_compared_with_classes(y_true, y_pred)
    if _holds_only_zeros_and_ones(y_true):  # and so does y_pred: classes, not scores
        return float(np.mean(y_true == y_pred)) if y_true.size else float("nan")
    y_true = y_true.astype(np.float64)
    y_pred = y_pred.astype(np.float64)
    if exclude_zero:
        rows = y_true != 0
        truth, predicted = y_true[rows] > 0, y_pred[rows] > 0
    else:
        truth, predicted = y_true >= 0, y_pred >= 0
    return float(np.mean(truth == predicted)) if truth.size else float("nan")


def acc7(y_true, y_pred, *, ignore_unlabelled: bool = True) -> float:
    """Seven-class sentiment accuracy (Acc-7) of CMU-MOSI/MOSEI-style scores.

    Scores are clipped to ``[-3, 3]`` and rounded to the nearest integer,
    giving the seven classes -3, ..., 3; Acc-7 is the accuracy of those
    classes. Rounding is numpy's (halves go to the even integer), as in the
    reference MOSI evaluation code.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True sentiment scores (or integer labels in -3..3).
    y_pred : array-like of shape (n_samples,)
        Predicted scores.
    ignore_unlabelled : bool, default=True
        Skip the rows where ``y_true == -1``; see the Notes of :func:`acc2`
        about sentiment labels equal to -1.

    Returns
    -------
    float
        The accuracy, or NaN when no row remains.

    Examples
    --------
    >>> from skmmer.metrics import acc7
    >>> acc7([2.6, -0.4, 1.8, -3.0], [3.4, 0.2, 1.2, -2.2])  # classes 3, 0, 2, -3 vs 3, 0, 1, -2
    0.5
    """
    y_true, y_pred = _sentiment_pair(y_true, y_pred, ignore_unlabelled)
    if y_true.size == 0:
        return float("nan")
    truth = np.round(np.clip(y_true.astype(np.float64), -3.0, 3.0))
    predicted = np.round(np.clip(y_pred.astype(np.float64), -3.0, 3.0))
    return float(np.mean(truth == predicted))


#: The metrics :func:`score_all` computes by default, by report name.
CLASSIFICATION_METRICS: dict[str, Callable] = {
    "WA": weighted_accuracy,
    "UA": unweighted_accuracy,
    "macro_F1": macro_f1,
}

#: The CMU-MOSI/MOSEI sentiment-score metrics, by report name.
SENTIMENT_METRICS: dict[str, Callable] = {"acc2": acc2, "acc7": acc7}

_METRIC_SETS = {"classification": CLASSIFICATION_METRICS, "sentiment": SENTIMENT_METRICS}
_ALL_METRICS = {**CLASSIFICATION_METRICS, **SENTIMENT_METRICS}


def resolve_metrics(metrics=None) -> dict[str, Callable]:
    """Turn a ``metrics`` argument into an ordered ``{name: metric}`` dict.

    Parameters
    ----------
    metrics : None, str, iterable of str, or dict, default=None
        ``None`` or ``"classification"``: WA, UA and macro-F1.
        ``"sentiment"``: Acc-2 and Acc-7. A list of names among ``"WA"``,
        ``"UA"``, ``"macro_F1"``, ``"acc2"``, ``"acc7"``. A dict
        ``name -> metric(y_true, y_pred)``; such a metric should skip the
        rows where ``y_true == -1`` itself (wrap scikit-learn ones with
        :func:`is_labelled`).

    Returns
    -------
    dict of str to callable

    Examples
    --------
    >>> from skmmer.metrics import resolve_metrics
    >>> list(resolve_metrics())
    ['WA', 'UA', 'macro_F1']
    >>> list(resolve_metrics(["UA", "acc7"]))
    ['UA', 'acc7']
    """
    if metrics is None:
        return dict(CLASSIFICATION_METRICS)
    if isinstance(metrics, str):
        if metrics in _METRIC_SETS:
            return dict(_METRIC_SETS[metrics])
        metrics = [metrics]
    if isinstance(metrics, Mapping):
        resolved = dict(metrics)
    elif isinstance(metrics, Iterable):
        names = list(metrics)
        unknown = [n for n in names if n not in _ALL_METRICS]
        if unknown:
            raise ValueError(
                f"Unknown metric names {unknown}; known are {sorted(_ALL_METRICS)} and the sets "
                f"{sorted(_METRIC_SETS)}, or pass a dict name -> metric(y_true, y_pred)."
            )
        resolved = {n: _ALL_METRICS[n] for n in names}
    else:
        raise TypeError(f"metrics must be None, a str, a list of str or a dict; got {metrics!r}.")
    not_callable = [name for name, f in resolved.items() if not callable(f)]
    if not resolved or not_callable:
        raise ValueError(f"metrics must name at least one callable; check {not_callable or metrics}.")
    return resolved


def score_all(y_true, y_pred, *, metrics=None) -> dict[str, float]:
    """Several metrics at once, each ignoring the rows where ``y_true == -1``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels; ``-1`` marks an unlabelled row.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    metrics : None, str, list of str or dict, default=None
        Which metrics (see :func:`resolve_metrics`); by default the
        classification ones, WA, UA and macro-F1.

    Returns
    -------
    dict of str to float
        ``{metric name: value}``, in the order of ``metrics``.

    Examples
    --------
    >>> from skmmer.metrics import score_all
    >>> scores = score_all([0, 0, 1, 1, -1], [0, 1, 1, 1, 0])
    >>> {name: round(value, 3) for name, value in scores.items()}
    {'WA': 0.75, 'UA': 0.75, 'macro_F1': 0.733}
    """
    return {name: float(metric(y_true, y_pred)) for name, metric in resolve_metrics(metrics).items()}


# --------------------------------------------------------------------------- #
# Imputation error
# --------------------------------------------------------------------------- #
def imputation_rmse(X_true, X_imputed, hidden, *, scale=None) -> float:
    """Root mean squared error of an imputer on the entries it had hidden.

    Parameters
    ----------
    X_true : array-like of shape (n_samples, n_features)
        The values before hiding.
    X_imputed : array-like of shape (n_samples, n_features)
        The imputer's output for ``X_true`` with the ``hidden`` entries set to NaN.
    hidden : array-like of bool, shape (n_samples, n_features)
        The entries that were hidden (observed in ``X_true``), e.g. from
        :func:`skmmer.masking.hide_block` or :func:`skmmer.masking.hide_entries`.
    scale : array-like of shape (n_features,), default=None
        Per-feature divisor of the errors. By default the standard deviation
        of each feature's observed values in ``X_true`` (1 where it is 0 or
        undefined), so the error is in standardized units and features on
        large scales do not dominate; 1.0 gives the error in raw units.

    Returns
    -------
    float
        The RMSE over the hidden entries; NaN when nothing was hidden.

    Examples
    --------
    >>> import numpy as np
    >>> from skmmer.metrics import imputation_rmse
    >>> X = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])
    >>> hidden = np.array([[True, False], [False, False], [False, True]])
    >>> imputed = np.where(hidden, 2.0, X)
    >>> round(imputation_rmse(X, imputed, hidden, scale=1.0), 3)  # errors 2 and 3
    2.55
    """
    X_true = np.asarray(X_true, dtype=np.float64)
    X_imputed = np.asarray(X_imputed, dtype=np.float64)
    hidden = np.asarray(hidden, dtype=bool)
    if not X_true.shape == X_imputed.shape == hidden.shape:
        raise ValueError(
            f"X_true {X_true.shape}, X_imputed {X_imputed.shape} and hidden {hidden.shape} must "
            "have the same shape. An imputer that drops columns (SimpleImputer drops the ones "
            "that were all NaN in fit) needs keep_empty_features=True to be scored."
        )
    if np.isnan(X_true[hidden]).any():
        raise ValueError("hidden marks entries that are NaN in X_true; hide observed entries only.")
    if not hidden.any():
        return float("nan")
    if np.isnan(X_imputed[hidden]).any():
        raise ValueError("X_imputed still has NaN at hidden entries; the imputer left them missing.")
    if scale is None:
        scale = observed_mean_and_scale(X_true)[1]
    err = (X_imputed - X_true) / np.broadcast_to(np.asarray(scale, dtype=np.float64), X_true.shape[1:])
    return float(np.sqrt(np.mean(err[hidden] ** 2)))


def _like(X, values: np.ndarray):
    """``values`` in the container of ``X``: a DataFrame keeps its columns and index."""
    if isinstance(X, pd.DataFrame):
        return pd.DataFrame(values, columns=X.columns, index=X.index)
    return values


class _ImputationScorer:
    """Negative imputation RMSE of a fitted imputer on masks it draws itself (picklable)."""

    def __init__(self, modalities, hide: str, rate: float, random_state):
        self.modalities = modalities
        self.hide = hide
        self.rate = rate
        self.random_state = random_state

    def _masks(self, X) -> dict[str, np.ndarray]:
        if self.hide == "entries":
            return {"entries": hide_entries(X, self.rate, random_state=self.random_state)}
        array, layout = _checked_input(X, self.modalities)
        return {name: hide_block(array, layout, name) for name in layout.names}

    def __call__(self, estimator, X, y=None, **kwargs) -> float:
        X_true = _float_array_and_names(X)[0]
        errors = []
        for hidden in self._masks(X).values():
            if not hidden.any():
                continue  # no row observes this block next to another one
            imputed = estimator.transform(_like(X, np.where(hidden, np.nan, X_true)))
            # Missing-value indicators (add_indicator=True) come after the imputed columns.
            imputed = np.asarray(imputed)[:, : X_true.shape[1]]
            errors.append(imputation_rmse(X_true, imputed, hidden))
        return -float(np.mean(errors)) if errors else float("nan")

    def __repr__(self) -> str:
        return (
            f"imputation_scorer(modalities={self.modalities!r}, hide={self.hide!r}, "
            f"rate={self.rate!r}, random_state={self.random_state!r})"
        )


def imputation_scorer(
    modalities=None, *, hide: str = "blocks", rate: float = 0.3, random_state=0
) -> Callable:
    """A scorer that rates a fitted imputer by how well it recovers hidden values.

    Given the validation rows, it hides some of their observed values, asks
    the imputer to fill them, and returns minus the RMSE of
    :func:`imputation_rmse` (greater is better, as scikit-learn's scorers).
    Use it as ``scoring`` in ``GridSearchCV`` or ``cross_validate`` to choose
    among imputers, or to tune one, by imputation error; ``y`` is ignored.
    With new speakers or subjects at prediction time, split by them
    (``GroupKFold``): relations between modalities learned within people
    may not carry over to new ones.

    Parameters
    ----------
    modalities : None, list of int or dict, default=None
        Column blocks of ``X`` (as the estimators' ``modalities``); needed by
        ``hide="blocks"``.
    hide : {"blocks", "entries"}, default="blocks"
        ``"blocks"``: each modality in turn is hidden in every validation row
        that observes it and another modality
        (:func:`~skmmer.masking.hide_block`), and the score is the mean of
        the per-modality RMSEs, each modality counting the same whatever its
        width. ``"entries"``: each observed entry is hidden with probability
        ``rate`` (:func:`~skmmer.masking.hide_entries`).
    rate : float, default=0.3
        The entry-hiding rate of ``hide="entries"``.
    random_state : int, default=0
        Seed of the ``"entries"`` masks. With an int every candidate of a
        search is scored on the same masks.

    Returns
    -------
    scorer : callable
        ``scorer(imputer, X, y=None)``: minus the imputation RMSE, in units
        of each feature's standard deviation over the validation rows.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.impute import KNNImputer, SimpleImputer
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.pipeline import Pipeline
    >>> from skmmer.metrics import imputation_scorer
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=(200, 3))
    >>> X = np.hstack([a, a + 0.1 * rng.normal(size=(200, 3))])  # block b follows a
    >>> search = GridSearchCV(
    ...     Pipeline([("impute", SimpleImputer())]),
    ...     {"impute": [SimpleImputer(), KNNImputer()]},
    ...     scoring=imputation_scorer({"a": 3, "b": 3}), cv=3,
    ... ).fit(X)
    >>> type(search.best_params_["impute"]).__name__
    'KNNImputer'
    """
    if hide not in ("blocks", "entries"):
        raise ValueError(f'hide must be "blocks" or "entries", got {hide!r}.')
    if hide == "blocks" and modalities is None:
        raise ValueError(
            'hide="blocks" needs the column blocks: pass modalities (as given to the '
            'estimators), or use hide="entries".'
        )
    if not 0.0 < float(rate) <= 1.0:
        raise ValueError(f"rate must be in (0, 1], got {rate!r}.")
    return _ImputationScorer(modalities, hide, float(rate), random_state)
