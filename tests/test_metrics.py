"""Metrics ignore unlabelled rows (y == -1) and otherwise agree with scikit-learn."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.dummy import DummyClassifier
from sklearn.impute import KNNImputer, SimpleImputer
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, get_scorer
from sklearn.model_selection import GridSearchCV, GroupKFold, KFold, cross_validate
from sklearn.pipeline import Pipeline

from skmmer.masking import hide_block
from skmmer.metrics import (
    CLASSIFICATION_METRICS,
    acc2,
    acc7,
    imputation_rmse,
    imputation_scorer,
    is_labelled,
    labelled_scorer,
    macro_f1,
    resolve_metrics,
    score_all,
    unweighted_accuracy,
    weighted_accuracy,
)

SKLEARN_TWINS = [
    (weighted_accuracy, accuracy_score),
    (unweighted_accuracy, balanced_accuracy_score),
    (macro_f1, lambda t, p, **kw: f1_score(t, p, average="macro", zero_division=0, **kw)),
]


@st.composite
def labels_with_unlabelled(draw):
    """y_true over 3 classes with some -1 rows, at least one labelled row; y_pred over 3 classes."""
    n = draw(st.integers(min_value=1, max_value=30))
    y_true = np.array(draw(st.lists(st.integers(-1, 2), min_size=n, max_size=n)))
    y_pred = np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)))
    y_true[draw(st.integers(0, n - 1))] = draw(st.integers(0, 2))
    return y_true, y_pred


@pytest.mark.filterwarnings("ignore::UserWarning")  # sklearn: classes only in y_pred
@pytest.mark.parametrize(("ours", "theirs"), SKLEARN_TWINS)
@settings(max_examples=40, deadline=None)
@given(data=labels_with_unlabelled())
def test_metrics_match_sklearn_on_labelled_rows(ours, theirs, data):
    y_true, y_pred = data
    labelled = y_true != -1
    assert ours(y_true, y_pred) == pytest.approx(theirs(y_true[labelled], y_pred[labelled]))


@pytest.mark.parametrize("metric", [weighted_accuracy, unweighted_accuracy, macro_f1, acc2, acc7])
def test_unlabelled_rows_do_not_change_any_metric(metric):
    y_true = np.array([0, 1, 1, 0, 1])
    y_pred = np.array([0, 1, 0, 0, 1])
    padded_true = np.concatenate([y_true, [-1, -1, -1]])
    padded_pred = np.concatenate([y_pred, [1, 0, 1]])
    assert metric(padded_true, padded_pred) == metric(y_true, y_pred)


@pytest.mark.parametrize("metric", [weighted_accuracy, unweighted_accuracy, macro_f1, acc2, acc7])
def test_no_labelled_row_gives_nan(metric):
    assert np.isnan(metric([-1, -1], [0, 1]))


def test_known_values():
    y_true = [0, 0, 0, 1, -1]
    y_pred = [0, 0, 1, 1, 0]
    assert weighted_accuracy(y_true, y_pred) == pytest.approx(3 / 4)
    assert unweighted_accuracy(y_true, y_pred) == pytest.approx((2 / 3 + 1) / 2)
    assert macro_f1(y_true, y_pred) == pytest.approx((0.8 + 2 / 3) / 2)


def test_sample_weight_follows_the_kept_rows():
    y_true = np.array([0, 1, -1, 1])
    y_pred = np.array([0, 0, 1, 1])
    weight = np.array([1.0, 3.0, 100.0, 1.0])
    assert weighted_accuracy(y_true, y_pred, sample_weight=weight) == pytest.approx(2 / 5)


def test_string_labels_mixed_with_minus_one():
    y_true = np.array(["happy", "sad", -1, "sad"], dtype=object)
    y_pred = np.array(["happy", "happy", "sad", "sad"], dtype=object)
    assert weighted_accuracy(y_true, y_pred) == pytest.approx(2 / 3)
    assert unweighted_accuracy(y_true, y_pred) == pytest.approx(0.75)


def test_acc2_drops_neutral_rows_and_compares_signs():
    y_true = np.array([2.4, -0.6, 0.0, 1.2, -2.2])
    y_pred = np.array([1.1, 0.3, -0.2, 0.8, -0.1])
    assert acc2(y_true, y_pred) == pytest.approx(3 / 4)
    # has-0 variant: >= 0 is positive and the neutral row counts (and is wrong here)
    assert acc2(y_true, y_pred, exclude_zero=False) == pytest.approx(3 / 5)


def test_acc2_on_binary_classes_is_accuracy():
    y_true = np.array([0, 1, 1, 0, -1])
    y_pred = np.array([0, 1, 0, 1, 1])
    assert acc2(y_true, y_pred) == weighted_accuracy(y_true, y_pred) == pytest.approx(0.5)


@pytest.mark.parametrize("exclude_zero", [True, False])
def test_acc2_refuses_binary_classes_against_scores(exclude_zero):
    # Read as sentiment scores, the 0 (negative) rows were neutral ones: the non-zero Acc-2
    # scored the positives only (1.0 here, where thresholding the scores gives 0.2).
    y_true = np.array([1, 0, 0, 0, 1, -1])
    scores = np.array([0.8, 0.6, 0.7, 0.9, 0.2, 0.5])
    with pytest.raises(ValueError, match="sentiment scores"):
        acc2(y_true, scores, exclude_zero=exclude_zero)
    assert acc2(y_true, (scores > 0.5).astype(int)) == pytest.approx(0.2)
    # sentiment scores in y_true are compared by sign as before, 0/1 predictions included
    assert acc2([2.0, -1.5, 0.5], [1, 0, 0]) == pytest.approx(2 / 3)


def test_acc7_clips_and_rounds_to_seven_classes():
    y_true = np.array([2.6, -0.4, 1.8, -3.0, 0.5])
    y_pred = np.array([3.4, 0.2, 1.2, -2.2, 0.0])  # 3, 0, 1, -2, 0 vs 3, 0, 2, -3, 0 (0.5 -> 0)
    assert acc7(y_true, y_pred) == pytest.approx(3 / 5)
    assert acc7(np.array([5.0, -9.0]), np.array([3.2, -2.6])) == 1.0


def test_continuous_minus_one_is_skipped_with_a_warning_unless_asked_not_to():
    y_true = np.array([-1.0, 1.4, -0.6])
    y_pred = np.array([-0.8, 1.0, 0.4])
    with pytest.warns(UserWarning, match="ignore_unlabelled=False"):
        assert acc2(y_true, y_pred) == pytest.approx(1 / 2)
    assert acc2(y_true, y_pred, ignore_unlabelled=False) == pytest.approx(2 / 3)
    assert acc7(y_true, y_pred, ignore_unlabelled=False) == pytest.approx(2 / 3)


def test_integer_sentiment_class_minus_one_is_skipped_only_with_a_warning():
    """Classes of -3..3 hold a real -1; next to classes 0..K-1 it reads as the marker."""
    y_true, y_pred = np.array([-3, -1, 0, 2]), np.array([-3, 0, 0, 2])
    with pytest.warns(UserWarning, match="classes of -3..3, where -1 is a real label"):
        assert acc7(y_true, y_pred) == 1.0
    assert acc7(y_true, y_pred, ignore_unlabelled=False) == pytest.approx(3 / 4)
    with pytest.warns(UserWarning, match="ignore_unlabelled=False"):
        acc2([-1.0, 2.0, -2.0], [1.0, 2.0, -2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert acc2([0, 1, -1, 1], [0, 1, 1, 0]) == pytest.approx(2 / 3)  # 0/1 classes: the marker
        assert acc7([0, 2, -1, 1], [0, 2, 1, 1]) == 1.0  # classes 0..K-1: the marker


def test_a_string_minus_one_is_an_error_not_a_label():
    """["a", "b", -1] becomes the strings "a", "b", "-1": the marker is lost, so say so."""
    for metric in (weighted_accuracy, unweighted_accuracy, macro_f1):
        with pytest.raises(ValueError, match="string '-1' among string labels.*dtype=object"):
            metric(["a", "b", -1], ["a", "b", "a"])
    assert weighted_accuracy(np.array(["a", "b", -1], dtype=object), ["a", "b", "a"]) == 1.0


@pytest.mark.parametrize(
    "y",
    [
        np.array(["a", "b", "-1"], dtype=object),
        pd.Series(["a", "b", "-1"], dtype="string"),  # a label column read from a CSV file
        pd.Series(["a", "b", "-1"], dtype=object),
    ],
    ids=["object", "pandas-string", "pandas-object"],
)
def test_a_string_minus_one_in_object_or_pandas_labels_is_an_error(y):
    # An object array went element by element and counted "-1" as a class.
    with pytest.raises(ValueError, match=r"y.astype\(object\).mask\(y == '-1', -1\)"):
        is_labelled(y)
    fixed = y.astype(object).mask(y == "-1", -1) if hasattr(y, "mask") else np.where(y == "-1", -1, y)
    assert is_labelled(fixed).tolist() == [True, True, False]


def test_sample_weight_of_another_length_is_an_error():
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        weighted_accuracy([0, 1, 1], [0, 1, 0], sample_weight=[1, 1])


def test_score_all_computes_each_classification_metric():
    y_true = np.array([0, 1, 2, 2, -1, 1])
    y_pred = np.array([0, 2, 2, 2, 0, 1])
    scores = score_all(y_true, y_pred)
    assert list(scores) == list(CLASSIFICATION_METRICS)
    for name, metric in CLASSIFICATION_METRICS.items():
        assert scores[name] == metric(y_true, y_pred)
    assert set(score_all(y_true, y_pred, metrics="sentiment")) == {"acc2", "acc7"}


def test_resolve_metrics_forms_and_errors():
    assert list(resolve_metrics(["UA", "acc7"])) == ["UA", "acc7"]
    assert list(resolve_metrics("WA")) == ["WA"]
    custom = {"recall0": lambda t, p: 1.0}
    assert resolve_metrics(custom) == custom
    with pytest.raises(ValueError, match="Unknown metric"):
        resolve_metrics(["nope"])
    with pytest.raises(ValueError):
        resolve_metrics({})


@pytest.mark.parametrize(
    "metrics, error, match",
    [
        (3, TypeError, "metrics must be None, a str, a list of str or a dict; got 3"),
        (len, TypeError, "metrics must be None, a str, a list of str or a dict"),
        ({"WA": "not a function"}, ValueError, r"metrics must name at least one callable; check \['WA'\]"),
    ],
)
def test_resolve_metrics_rejects_other_types(metrics, error, match):
    with pytest.raises(error, match=match):
        resolve_metrics(metrics)
    with pytest.raises(error, match=match):
        score_all([0, 1], [0, 1], metrics=metrics)


@pytest.mark.parametrize("metric", [weighted_accuracy, unweighted_accuracy, macro_f1, acc2, acc7])
@pytest.mark.parametrize(
    "y_true, y_pred, shapes",
    [
        ([0, 1, 1], [0, 1], r"\(3,\) and \(2,\)"),
        ([[0, 1], [1, 0]], [[0, 1], [1, 0]], r"\(2, 2\) and \(2, 2\)"),
    ],
)
def test_metrics_reject_y_pred_of_another_shape_or_2d_labels(metric, y_true, y_pred, shapes):
    with pytest.raises(ValueError, match="y_true and y_pred must be 1-D and of the same length; got shapes " + shapes):
        metric(y_true, y_pred)


def test_object_integer_labels_with_minus_one_in_y_true_and_y_pred():
    # Integer labels mixed with the -1 marker in an object array (pandas .astype(object)) in
    # y_pred too gave scikit-learn's "mix of binary and unknown targets".
    y_true = np.array([0, 1, 1, -1], dtype=object)
    y_pred = np.array([0, 1, 0, 1], dtype=object)
    for metric in (weighted_accuracy, unweighted_accuracy, macro_f1):
        assert metric(y_true, y_pred) == metric(y_true.astype(int), y_pred.astype(int))


def test_macro_f1_leaves_out_a_class_no_labelled_row_has():
    # class 2 is predicted only for the unlabelled row: it is not averaged (rather than scoring 0)
    assert macro_f1([0, 1, -1], [0, 1, 2]) == pytest.approx(1.0)
    assert macro_f1([0, 1, 1], [0, 1, 2]) == pytest.approx((1 + 2 / 3 + 0) / 3)


def test_boolean_labels_are_all_labelled():
    y = np.array([True, False, False])
    assert is_labelled(y).tolist() == [True, True, True]
    assert weighted_accuracy(y, np.array([True, True, False])) == pytest.approx(2 / 3)


def test_labelled_scorer_on_object_labels_with_minus_one():
    X = np.zeros((5, 1))
    model = DummyClassifier(strategy="constant", constant=1).fit(X, [1, 1, 0, 1, 0])
    y = np.array([1, -1, 0, 1, -1], dtype=object)  # integer classes stored as objects
    assert labelled_scorer("accuracy")(model, X, y) == pytest.approx(2 / 3)
    words = DummyClassifier(strategy="constant", constant="sad").fit(X, ["sad", "happy"] * 2 + ["sad"])
    y_words = np.array(["sad", -1, "happy", "sad", -1], dtype=object)
    assert labelled_scorer("accuracy")(words, X, y_words) == pytest.approx(2 / 3)


def test_labelled_scorer_weights_only_the_labelled_rows():
    X = pd.DataFrame({"f": np.zeros(4)}, index=[10, 11, 12, 13])
    model = DummyClassifier(strategy="constant", constant=1).fit(X, [1, 0, 0, 1])
    y = np.array([1, -1, 0, 1])
    weight = np.array([1.0, 100.0, 3.0, 1.0])
    # labelled rows 0, 2, 3 with weights 1, 3, 1; rows 0 and 3 predicted right
    score = labelled_scorer("accuracy")(model, X, y, sample_weight=weight)
    assert score == pytest.approx(2 / 5)
    assert score == pytest.approx(accuracy_score(y[[0, 2, 3]], [1, 1, 1], sample_weight=weight[[0, 2, 3]]))
    assert labelled_scorer("accuracy")(model, X, y, sample_weight=None) == pytest.approx(2 / 3)


def _routing_data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(90, 2))
    y = rng.randint(0, 2, 90)
    y[::4] = -1
    return X, y, rng.uniform(0.1, 10.0, 90)


@pytest.mark.parametrize(
    "make_scorer",
    [
        lambda: labelled_scorer("accuracy").set_score_request(sample_weight=True),
        lambda: labelled_scorer(get_scorer("accuracy").set_score_request(sample_weight=True)),
    ],
    ids=["request_on_the_wrapper", "request_on_the_wrapped_scorer"],
)
def test_labelled_scorer_receives_a_routed_sample_weight(make_scorer):
    # The wrapper had no get_metadata_routing: with routing on, cross_validate refused to pass
    # sample_weight to it (a TypeError), so weighted cross-validation could not skip -1 rows.
    X, y, weight = _routing_data()
    cv = KFold(3)
    with sklearn.config_context(enable_metadata_routing=True):
        model = DummyClassifier(strategy="constant", constant=1).set_fit_request(sample_weight=False)
        scores = cross_validate(
            model, X, y, scoring=make_scorer(), cv=cv, params={"sample_weight": weight}
        )["test_score"]
    expected = []
    for _, test in cv.split(X):
        kept = test[y[test] != -1]
        expected.append(accuracy_score(y[kept], np.ones(kept.size), sample_weight=weight[kept]))
    np.testing.assert_allclose(scores, expected)
    assert not np.allclose(expected, [weighted_accuracy(y[t], np.ones(t.size)) for _, t in cv.split(X)])


def test_labelled_scorer_without_routing_still_scores_unweighted():
    X, y, _ = _routing_data()
    scores = cross_validate(
        DummyClassifier(strategy="constant", constant=1), X, y, scoring=labelled_scorer(), cv=KFold(3)
    )["test_score"]
    np.testing.assert_allclose(scores, [weighted_accuracy(y[t], np.ones(t.size)) for _, t in KFold(3).split(X)])


def test_labelled_scorer_of_a_plain_function_takes_no_score_request():
    def scorer(estimator, X, y):
        return 0.0

    with pytest.raises(TypeError, match="no metadata requests"):
        labelled_scorer(scorer).set_score_request(sample_weight=True)


@pytest.mark.parametrize("scoring", [["accuracy", "f1"], {"acc": "accuracy"}, None, 3])
def test_labelled_scorer_refuses_what_is_not_a_scorer(scoring):
    # These were accepted and only failed when scoring, which cross_validate turns into NaN.
    with pytest.raises(TypeError, match="scorer name .str. or a scorer callable"):
        labelled_scorer(scoring)


def test_labelled_scorer_gives_nan_without_labelled_rows_and_shows_its_scorer():
    X = np.zeros((2, 1))
    model = DummyClassifier(strategy="constant", constant=1).fit(X, [1, 0])
    assert np.isnan(labelled_scorer()(model, X, np.array([-1, -1])))
    assert repr(labelled_scorer("balanced_accuracy")) == f"labelled_scorer({get_scorer('balanced_accuracy')!r})"


def test_existing_helpers_still_work():
    assert is_labelled(np.array([0, -1, 2])).tolist() == [True, False, True]
    X = np.zeros((4, 1))
    model = DummyClassifier(strategy="constant", constant=1).fit(X, [1, 1, 0, 1])
    assert labelled_scorer("accuracy")(model, X, np.array([1, -1, 0, 1])) == pytest.approx(2 / 3)


# --------------------------------------------------------------------------- #
# Imputation error
# --------------------------------------------------------------------------- #
def _follower_blocks(n=240, seed=0):
    """Block b is block a plus a little noise: knowing a, b is almost known.

    Each block holds one latent on three scales, so nearest neighbours in a
    find the right rows whatever the scales.
    """
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, 1)) * [1.0, 10.0, 100.0]
    return np.hstack([a, a + 0.05 * rng.normal(size=(n, 3)) * [1.0, 10.0, 100.0]])


def test_imputation_rmse_is_in_standardized_units_over_the_hidden_entries_only():
    X = _follower_blocks()
    hidden = np.zeros(X.shape, dtype=bool)
    hidden[:, 3:] = True
    mean_filled = np.where(hidden, np.nanmean(X, axis=0), X)
    # the mean's error on a feature is its standard deviation: 1 in standardized units
    assert imputation_rmse(X, mean_filled, hidden) == pytest.approx(1.0)
    # observed entries are not scored, whatever the output holds there
    assert imputation_rmse(X, np.where(hidden, mean_filled, 1e9), hidden) == pytest.approx(1.0)
    raw = imputation_rmse(X, mean_filled, hidden, scale=1.0)
    assert raw == pytest.approx(np.sqrt(np.mean(X[:, 3:].std(axis=0) ** 2)))
    assert np.isnan(imputation_rmse(X, X, np.zeros_like(hidden)))


def test_imputation_rmse_rejects_what_cannot_be_scored():
    X = _follower_blocks(10)
    hidden = np.zeros(X.shape, dtype=bool)
    hidden[0, 0] = True
    with pytest.raises(ValueError, match="keep_empty_features"):
        imputation_rmse(X, X[:, 1:], hidden)
    with pytest.raises(ValueError, match="still has NaN"):
        imputation_rmse(X, np.where(hidden, np.nan, X), hidden)
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="observed entries only"):
        imputation_rmse(X_nan, X, hidden)


def test_imputation_scorer_prefers_the_imputer_that_uses_the_other_modality():
    X = _follower_blocks()
    fit, val = X[:160], X[160:]
    blocks = imputation_scorer({"a": 3, "b": 3})
    entries = imputation_scorer(hide="entries", rate=0.3)
    mean = SimpleImputer().fit(fit)
    knn = KNNImputer().fit(fit)
    # the mean imputer's block score is minus the validation rows' spread about
    # the fitted mean: about 1 standardized unit
    assert blocks(mean, val) == pytest.approx(-1.0, abs=0.15)
    assert blocks(knn, val) > -0.5
    assert entries(knn, val) > entries(mean, val)
    # same masks for every call: the score is a pure function of (imputer, rows)
    assert entries(knn, val) == entries(knn, val)


def test_imputation_scorer_averages_modalities_and_keeps_dataframes():
    X = _follower_blocks()
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    imputer = SimpleImputer().fit(df)  # fitted with feature names: ndarray input would warn
    modalities = {"a": ["f0", "f1", "f2"], "b": ["f3", "f4", "f5"]}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        score = imputation_scorer(modalities)(imputer, df)
    per_block = [
        imputation_rmse(X, imputer.transform(pd.DataFrame(np.where(h, np.nan, X), columns=df.columns)), h)
        for h in (hide_block(df, modalities, "a"), hide_block(df, modalities, "b"))
    ]
    assert score == pytest.approx(-np.mean(per_block))


def test_imputation_scorer_skips_a_block_never_observed_next_to_another():
    X = np.hstack([_follower_blocks(), np.random.default_rng(1).normal(size=(240, 2))])
    modalities = {"a": 3, "b": 3, "c": 2}
    imputer = SimpleImputer().fit(X[:160])
    val = X[160:].copy()
    val[:, 6:] = np.nan  # block c is missing in every validation row
    assert not hide_block(val, modalities, "c").any()
    per_block = [
        imputation_rmse(val, imputer.transform(np.where(h, np.nan, val)), h)
        for h in (hide_block(val, modalities, "a"), hide_block(val, modalities, "b"))
    ]
    score = imputation_scorer(modalities)(imputer, val)
    assert np.isfinite(score)
    assert score == pytest.approx(-np.mean(per_block))
    # no block can be hidden anywhere: nothing to score
    alone = val.copy()
    alone[:, 3:] = np.nan
    assert np.isnan(imputation_scorer(modalities)(imputer, alone))


def test_imputation_scorer_checks_its_arguments():
    with pytest.raises(ValueError, match="needs the column blocks"):
        imputation_scorer()
    with pytest.raises(ValueError, match="hide must be"):
        imputation_scorer({"a": 1}, hide="rows")
    with pytest.raises(ValueError, match="rate must be in"):
        imputation_scorer(hide="entries", rate=0.0)
    assert "hide='entries'" in repr(imputation_scorer(hide="entries"))


def test_imputation_scorer_chooses_the_imputer_in_a_grouped_search():
    X = _follower_blocks()
    groups = np.repeat(np.arange(6), 40)
    search = GridSearchCV(
        Pipeline([("impute", SimpleImputer())]),
        {"impute": [SimpleImputer(), KNNImputer()]},
        scoring=imputation_scorer([3, 3]),
        cv=GroupKFold(3),
    ).fit(X, groups=groups)
    assert isinstance(search.best_params_["impute"], KNNImputer)
    assert search.best_score_ > -0.5


def test_labelled_scorer_cuts_every_per_row_metadata_to_the_labelled_rows():
    # Only sample_weight used to be cut: any other routed per-row array reached the scorer with
    # the unlabelled rows' entries still in it (a length mismatch, or the wrong rows' values).
    X = pd.DataFrame({"f": np.zeros(4)}, index=[10, 11, 12, 13])
    model = DummyClassifier(strategy="constant", constant=1).fit(X, [1, 0, 0, 1])
    y = np.array([1, -1, 0, 1])
    seen = {}

    def scorer(estimator, X, y_true, **metadata):
        seen.update(metadata)
        return 0.0

    labelled_scorer(scorer)(
        model, X, y, sample_weight=None, speaker=pd.Series(["a", "b", "c", "d"], index=X.index),
        quality=np.array([0.1, 0.2, 0.3, 0.4]), threshold=0.5, pair=np.array([1.0, 2.0]),
    )
    assert seen["sample_weight"] is None
    assert list(seen["speaker"]) == ["a", "c", "d"]
    np.testing.assert_array_equal(seen["quality"], [0.1, 0.3, 0.4])
    assert seen["threshold"] == 0.5
    np.testing.assert_array_equal(seen["pair"], [1.0, 2.0])  # not one entry per row: unchanged
