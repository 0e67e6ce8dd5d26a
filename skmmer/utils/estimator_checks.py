"""skmmer's own estimator checks: the masking semantics every estimator must keep.

scikit-learn's ``check_estimator`` knows nothing of missing modalities. These
checks do; run them on any estimator that takes ``modalities``:

>>> from skmmer import MaskedFusionClassifier
>>> from skmmer.utils.estimator_checks import check_masking_semantics
>>> check_masking_semantics(MaskedFusionClassifier(max_epochs=5, random_state=0))

or, under pytest, one test per check with :func:`yield_masking_checks`.
"""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Callable, Iterator
from functools import partial

import numpy as np
from sklearn.base import clone, is_classifier

__all__ = [
    "check_accepts_missing_blocks",
    "check_all_missing_rows",
    "check_labels_of_empty_rows_ignored",
    "check_masking_semantics",
    "check_observed_values_unchanged",
    "check_partial_nan_is_not_missing",
    "check_pickle_round_trip",
    "check_random_state_repeatable",
    "check_row_independence",
    "check_unseen_modality_is_missing",
    "yield_masking_checks",
]

#: Block sizes of the checks' synthetic data.
CHECK_MODALITIES = {"a": 3, "b": 4, "c": 2}
_RTOL, _ATOL = 1e-4, 1e-5  # float32 outputs: BLAS results vary with batch size


def _check_data(n_samples: int = 120, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three blocks that all carry the label; block ``b`` missing in a quarter of rows."""
    rng = np.random.RandomState(seed)
    y = np.arange(n_samples) % 2
    sizes = list(CHECK_MODALITIES.values())
    X = rng.normal(size=(n_samples, sum(sizes))) + 1.5 * y[:, None]
    X[rng.rand(n_samples) < 0.25, 3:7] = np.nan
    return X, y


def _fitted(estimator, X, y):
    est = clone(estimator).set_params(modalities=dict(CHECK_MODALITIES))
    with warnings.catch_warnings():
        # Some checks label rows with nothing observed on purpose; fit's warning about them
        # says what the check is about, not something the user has to act on.
        warnings.filterwarnings("ignore", message=".*labelled rows have no modality observed")
        return est.fit(X, y) if is_classifier(est) else est.fit(X)


def _outputs(estimator, X) -> dict[str, np.ndarray]:
    """Every deterministic per-row output the estimator offers."""
    outputs = {}
    for method in ("predict_proba", "transform", "impute"):
        if hasattr(estimator, method):
            outputs[method] = np.asarray(getattr(estimator, method)(X), dtype=np.float64)
    return outputs


def check_accepts_missing_blocks(name: str, estimator) -> None:
    """Fit and predict on data with missing blocks and feature-level NaN."""
    X, y = _check_data()
    X[5, 0] = np.nan  # feature-level NaN inside an observed block
    fitted = _fitted(estimator, X, y)
    for method, out in _outputs(fitted, X).items():
        assert out.shape[0] == X.shape[0], f"{name}.{method} changed the number of rows"
        assert np.isfinite(out).all(), f"{name}.{method} returned NaN or inf for missing blocks"


def check_all_missing_rows(name: str, estimator) -> None:
    """Rows with every modality missing are allowed in fit and in predict."""
    X, y = _check_data()
    X[:4] = np.nan
    fitted = _fitted(estimator, X, y)
    outputs = _outputs(fitted, X)
    for method, out in outputs.items():
        assert np.isfinite(out[:4]).all(), f"{name}.{method} fails on all-missing rows"
    if is_classifier(fitted):
        prior = getattr(fitted, "class_prior_", None)
        if prior is not None:
            np.testing.assert_allclose(outputs["predict_proba"][:4], np.tile(prior, (4, 1)), rtol=1e-5)


def check_labels_of_empty_rows_ignored(name: str, estimator) -> None:
    """A row with every modality missing says nothing about its label.

    Relabelling such training rows must change no prediction on the other
    rows (a classifier that trained on them would learn to map "no input"
    to their labels, pulling every row's output towards them).
    """
    if not is_classifier(estimator):
        return
    X, y = _check_data()
    X[:10] = np.nan
    est = clone(estimator)
    if "early_stopping" in est.get_params():
        est.set_params(early_stopping=False)  # its validation split is stratified by label
    y_zero, y_one = y.copy(), y.copy()
    y_zero[:10], y_one[:10] = 0, 1
    zero = _fitted(est, X, y_zero).predict_proba(X[10:])
    one = _fitted(est, X, y_one).predict_proba(X[10:])
    np.testing.assert_allclose(
        zero, one, rtol=_RTOL, atol=_ATOL,
        err_msg=f"{name} learns from the labels of rows with no modality observed",
    )


def check_row_independence(name: str, estimator) -> None:
    """A row's output does not depend on the other rows or on the batch size."""
    X, y = _check_data()
    fitted = _fitted(estimator, X, y)
    whole = _outputs(fitted, X)
    order = np.random.RandomState(1).permutation(len(X))
    shuffled = _outputs(fitted, X[order])
    for method in whole:
        np.testing.assert_allclose(
            shuffled[method], whole[method][order], rtol=_RTOL, atol=_ATOL,
            err_msg=f"{name}.{method} depends on the order of the rows",
        )
        for i in (0, 7, 50):
            single = _outputs(fitted, X[i : i + 1])[method]
            np.testing.assert_allclose(
                single[0], whole[method][i], rtol=_RTOL, atol=_ATOL,
                err_msg=f"{name}.{method} of a row depends on the rest of the batch",
            )


def check_random_state_repeatable(name: str, estimator) -> None:
    """Two fits with the same integer ``random_state`` give identical outputs."""
    X, y = _check_data()
    est = clone(estimator).set_params(random_state=0)
    first, second = _outputs(_fitted(est, X, y), X), _outputs(_fitted(est, X, y), X)
    for method in first:
        np.testing.assert_array_equal(
            first[method], second[method], err_msg=f"{name}.{method} is not repeatable"
        )


def check_pickle_round_trip(name: str, estimator) -> None:
    """A fitted estimator survives pickling with identical outputs."""
    X, y = _check_data()
    fitted = _fitted(estimator, X, y)
    restored = pickle.loads(pickle.dumps(fitted))
    before, after = _outputs(fitted, X), _outputs(restored, X)
    for method in before:
        np.testing.assert_array_equal(after[method], before[method], err_msg=f"{name}.{method}")


def check_observed_values_unchanged(name: str, estimator) -> None:
    """Outputs in feature space (imputations) return observed entries unchanged."""
    X, y = _check_data()
    X[3, 0] = np.nan
    fitted = _fitted(estimator, X, y)
    for method in ("impute", "transform"):
        if not hasattr(fitted, method) or (method == "transform" and is_classifier(fitted)):
            continue
        out = np.asarray(getattr(fitted, method)(X))
        if out.shape != X.shape:
            continue
        observed = ~np.isnan(X)
        np.testing.assert_array_equal(
            out[observed], X[observed], err_msg=f"{name}.{method} changed observed values"
        )
        assert not np.isnan(out).any(), f"{name}.{method} left NaN in its output"


def check_partial_nan_is_not_missing(name: str, estimator) -> None:
    """NaN in some columns of a block is not the same as the block missing."""
    X, y = _check_data()
    fitted = _fitted(estimator, X, y)
    rows = np.flatnonzero(~np.isnan(X[:, 3]))[:10]
    partial_nan, block_missing = X[rows].copy(), X[rows].copy()
    partial_nan[:, 3] = np.nan  # one of block b's four columns
    block_missing[:, 3:7] = np.nan
    out_partial, out_missing = _outputs(fitted, partial_nan), _outputs(fitted, block_missing)
    for method in out_partial:
        assert np.isfinite(out_partial[method]).all(), f"{name}.{method} on partial NaN"
        assert not np.allclose(out_partial[method], out_missing[method]), (
            f"{name}.{method} treats a block with one NaN column as a missing block"
        )


def check_unseen_modality_is_missing(name: str, estimator) -> None:
    """A modality missing in every training row is warned about and ignored later.

    The model has learned nothing about it, so giving its values at
    prediction must change nothing: every output equals the output with the
    block missing. An imputer returns the block's given values unchanged and
    fills it with 0 where it is missing.
    """
    X, y = _check_data()
    X_train = X.copy()
    X_train[:, 7:9] = np.nan  # block c never observed
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fitted = _fitted(estimator, X_train, y)
    assert any("['c'] are missing in every training row" in str(w.message) for w in caught), (
        f"{name}.fit does not warn about a modality missing in every training row"
    )
    given, absent = _outputs(fitted, X), _outputs(fitted, X_train)
    for method in given:
        out_given, out_absent = given[method], absent[method]
        if out_given.shape == X.shape:  # imputations
            np.testing.assert_array_equal(
                out_given[:, 7:9], X[:, 7:9], err_msg=f"{name}.{method} changed given values of an unseen block"
            )
            np.testing.assert_array_equal(
                out_absent[:, 7:9], 0.0, err_msg=f"{name}.{method} does not fill an unseen block with 0"
            )
            out_given, out_absent = out_given[:, :7], out_absent[:, :7]
        np.testing.assert_allclose(
            out_given, out_absent, rtol=_RTOL, atol=_ATOL,
            err_msg=f"{name}.{method} uses a modality it never saw in training",
        )


_CHECKS: tuple[Callable[[str, object], None], ...] = (
    check_accepts_missing_blocks,
    check_all_missing_rows,
    check_labels_of_empty_rows_ignored,
    check_row_independence,
    check_random_state_repeatable,
    check_pickle_round_trip,
    check_observed_values_unchanged,
    check_partial_nan_is_not_missing,
    check_unseen_modality_is_missing,
)


def yield_masking_checks(estimator) -> Iterator[tuple[object, Callable[[], None]]]:
    """``(estimator, check)`` pairs; each ``check()`` raises AssertionError on failure."""
    name = type(estimator).__name__
    for check in _CHECKS:
        runner = partial(check, name, estimator)
        runner.__name__ = check.__name__  # type: ignore[attr-defined]
        yield estimator, runner


def check_masking_semantics(estimator) -> None:
    """Run every masking check on ``estimator``; raise on the first failure."""
    for _, check in yield_masking_checks(estimator):
        check()
