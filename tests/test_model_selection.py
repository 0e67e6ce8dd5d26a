"""Study protocols, group-aware splits and run_study on a tiny synthetic problem."""

from __future__ import annotations

import sys
import warnings
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    KFold,
    LeaveOneGroupOut,
    PredefinedSplit,
    StratifiedGroupKFold,
    StratifiedKFold,
    cross_validate,
)
from sklearn.pipeline import make_pipeline
from sklearn.semi_supervised import LabelSpreading, SelfTrainingClassifier
from threadpoolctl import threadpool_limits

from skmmer import MaskedFusionClassifier
from skmmer._layout import resolve_modalities
from skmmer.masking import max_missing_rate, observed_modalities
from skmmer.metrics import labelled_scorer
from skmmer.model_selection import (
    RESULT_COLUMNS,
    FixedConditions,
    FixedSplit,
    LabelFractions,
    LabelledSplit,
    MissingRates,
    default_rates,
    keep_label_fraction,
    make_folds,
    make_splitter,
    pivot_summary,
    run_study,
    summarize,
    to_markdown,
)
from skmmer.model_selection._parallel import study_backend
from skmmer.model_selection._study import _keeps_unlabelled_rows

SIZES = [4, 3, 5]
NAMES = ["m0", "m1", "m2"]


@pytest.fixture(autouse=True)
def _one_blas_thread():
    # Two shared cores: BLAS/OpenMP thread pools oversubscribe and slow tiny fits tenfold.
    with threadpool_limits(1):
        yield


def make_problem(n=60, n_classes=3, n_groups=6, seed=0):
    """Three modality blocks whose means depend on the class; one group per speaker."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % n_classes
    X = rng.normal(size=(n, sum(SIZES))) + 1.5 * (y[:, None] == np.arange(sum(SIZES)) % n_classes)
    groups = np.arange(n) // (n // n_groups)
    return X, y, groups


def cheap_models():
    return {
        "impute+logreg": make_pipeline(SimpleImputer(), LogisticRegression(max_iter=200)),
        "hgb": HistGradientBoostingClassifier(max_iter=20, random_state=0),
    }


def values_only(results: pd.DataFrame) -> pd.DataFrame:
    """Everything but the timings, which differ run to run."""
    return results.drop(columns=["fit_time", "predict_time"]).reset_index(drop=True)


# --------------------------------------------------------------------------- #
# Protocols
# --------------------------------------------------------------------------- #
def test_fixed_conditions_keep_exactly_the_named_blocks():
    X, y, _ = make_problem()
    (setting,) = FixedConditions().transform_fold(X[:40], y[:40], X[40:], SIZES)
    assert list(setting.tests) == ["m0+m1+m2", "m0", "m1", "m2", "m0+m1", "m0+m2", "m1+m2"]
    np.testing.assert_array_equal(setting.X_train, X[:40])  # training untouched by default
    for label, X_test in setting.tests.items():
        expected = np.isin(NAMES, label.split("+"))
        observed = observed_modalities(X_test, SIZES)
        assert (observed == expected).all()
        kept_columns = np.repeat(expected, SIZES)
        np.testing.assert_array_equal(X_test[:, kept_columns], X[40:, kept_columns])
        assert np.isnan(X_test[:, ~kept_columns]).all()


def test_named_conditions_and_unknown_names():
    layout = resolve_modalities({"a": 2, "v": 2, "l": 2}, 6)
    plan = FixedConditions([("l", "a"), "v"]).plan(layout)
    assert [label for label, _ in plan[0].tests] == ["a+l", "v"]
    with pytest.raises(ValueError, match="Unknown modality"):
        FixedConditions(["x"]).plan(layout)


@pytest.mark.parametrize("rate", [0.1, 0.3, 0.5, "max"])
def test_missing_rates_roughly_match_and_keep_one_block(rate):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3000, sum(SIZES)))
    y = np.arange(3000) % 3
    (setting,) = MissingRates([rate]).transform_fold(X[:10], y[:10], X, SIZES, random_state=3)
    observed = observed_modalities(next(iter(setting.tests.values())), SIZES)
    target = max_missing_rate(3) if rate == "max" else rate
    assert 1 - observed.mean() == pytest.approx(target, abs=0.02)
    assert observed.any(axis=1).all()
    if rate == "max":
        assert (observed.sum(axis=1) == 1).all()


def test_rates_grid_and_out_of_reach_rates():
    assert default_rates(3) == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, "max"]
    layout = resolve_modalities(SIZES, sum(SIZES))
    with pytest.raises(ValueError, match="'max'"):
        MissingRates([0.7]).plan(layout)
    with pytest.raises(ValueError):
        MissingRates([0.1], train_missing="sometimes")


def test_train_missing_options():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(2000, sum(SIZES)))
    y = np.arange(2000) % 3
    (setting,) = FixedConditions(train_missing=0.4).transform_fold(X, y, X[:5], SIZES)
    assert setting.train_setting == "missing=0.4"
    assert 1 - observed_modalities(setting.X_train, SIZES).mean() == pytest.approx(0.4, abs=0.02)
    (subsets,) = FixedConditions(train_missing="subsets").transform_fold(X, y, X[:5], SIZES)
    kept = observed_modalities(subsets.X_train, SIZES).sum(axis=1)
    assert set(np.unique(kept)) == {1, 2}  # every row a non-empty proper subset
    same = MissingRates([0.0, 0.2, "max"], train_missing="same").transform_fold(X, y, X[:5], SIZES)
    assert [(s.train_setting, list(s.tests)) for s in same] == [
        ("observed", ["0.0"]),
        ("missing=0.2", ["0.2"]),
        ("missing=max", ["max"]),
    ]


def test_label_fractions_keep_stratified_counts():
    y = np.array([0] * 50 + [1] * 30 + [2] * 7 + [-1] * 5)
    X = np.zeros((len(y), sum(SIZES)))
    settings = LabelFractions([0.01, 0.2, 1.0]).transform_fold(X, y, X[:4], SIZES, random_state=5)
    assert [s.train_setting for s in settings] == ["labels=0.01", "labels=0.2", "labels=1.0"]
    expected = {0.01: [1, 1, 1], 0.2: [10, 6, 1], 1.0: [50, 30, 7]}  # round(f * n), at least 1
    kept_rows = []
    for fraction, setting in zip([0.01, 0.2, 1.0], settings, strict=True):
        y_scarce = setting.y_train
        counts = [(y_scarce == c).sum() for c in (0, 1, 2)]
        assert counts == expected[fraction]
        assert (y_scarce == -1).sum() == len(y) - sum(counts)
        changed = y_scarce != y
        assert (y_scarce[changed] == -1).all()  # labels are only ever removed
        kept_rows.append(set(np.flatnonzero(y_scarce != -1)))
        np.testing.assert_array_equal(setting.tests["observed"], X[:4])
    assert kept_rows[0] <= kept_rows[1] <= kept_rows[2]  # nested fractions


def test_keep_label_fraction_strings_and_continuous_targets():
    y = np.array(["neu", "ang", "neu", "neu", "ang", "hap"])
    y_scarce = keep_label_fraction(y, 0.5, random_state=0)
    assert y_scarce.dtype == object
    assert sorted(v for v in y_scarce if v != -1) == ["ang", "hap", "neu", "neu"]
    with pytest.raises(ValueError, match="class labels"):
        keep_label_fraction(np.array([0.3, -1.2, 2.6]), 0.5)


@pytest.mark.parametrize("rate", ["half", "MAX", "same"])
def test_a_rate_string_other_than_max_is_an_error(rate):
    layout = resolve_modalities(SIZES, sum(SIZES))
    with pytest.raises(ValueError, match=f"A rate is a number or 'max'; got '{rate}'"):
        MissingRates([0.1, rate]).plan(layout)


@pytest.mark.parametrize(
    "protocol, text",
    [
        (FixedConditions(), "FixedConditions(conditions=None, train_missing=None, name='fixed_conditions')"),
        (
            MissingRates([0.1, "max"], train_missing="same", name="imder"),
            "MissingRates(rates=[0.1, 'max'], train_missing='same', name='imder')",
        ),
        (
            LabelFractions([0.5, 1], test_conditions="all"),
            "LabelFractions(fractions=(0.5, 1.0), train_missing=None, test_conditions='all', "
            "name='label_fractions')",
        ),
    ],
)
def test_protocol_repr_shows_its_parameters(protocol, text):
    assert repr(protocol) == text


@pytest.mark.parametrize("fraction", [0.0, -0.1, 1.5])
def test_label_fractions_outside_zero_one_are_an_error(fraction):
    with pytest.raises(ValueError, match=rf"Label fractions lie in \(0, 1\]; got {fraction!r}"):
        LabelFractions([0.2, fraction])
    with pytest.raises(ValueError, match=rf"fraction must lie in \(0, 1\]; got {fraction!r}"):
        keep_label_fraction(np.array([0, 1, 0, 1]), fraction)


def test_keep_label_fraction_needs_one_dimensional_labels():
    with pytest.raises(ValueError, match="y must be 1-D"):
        keep_label_fraction(np.zeros((4, 2), dtype=int), 0.5)


def test_keep_label_fraction_on_object_labels_with_minus_one():
    y = np.array([0, 0, 0, 0, 1, 1, -1, -1], dtype=object)
    np.testing.assert_array_equal(keep_label_fraction(y, 1.0, random_state=0), y)
    y_scarce = keep_label_fraction(y, 0.5, random_state=0)
    assert y_scarce.dtype == object
    assert [int((y_scarce == c).sum()) for c in (0, 1, -1)] == [2, 1, 5]
    assert (y_scarce[6:] == -1).all()
    # the draw is the one of the same labels stored as integers
    np.testing.assert_array_equal(
        y_scarce.astype(int), keep_label_fraction(y.astype(int), 0.5, random_state=0)
    )
    words = np.array(["ang", "ang", "hap", "hap", -1], dtype=object)
    kept = keep_label_fraction(words, 0.5, random_state=0)
    assert sorted(v for v in kept if not isinstance(v, int)) == ["ang", "hap"]
    assert kept[4] == -1


@pytest.mark.parametrize(
    "make_protocol, error, match",
    [
        # Each would fit every fold and return no result, or blank every modality.
        (lambda: MissingRates([]), ValueError, "MissingRates: rates is empty"),
        (lambda: MissingRates([], train_missing="same"), ValueError, "MissingRates: rates is empty"),
        (lambda: FixedConditions([]), ValueError, "FixedConditions: conditions is empty"),
        (lambda: LabelFractions([]), ValueError, "LabelFractions: fractions is empty"),
        (
            lambda: LabelFractions([0.5], test_conditions=[]),
            ValueError,
            "LabelFractions: test_conditions is empty",
        ),
        (lambda: FixedConditions([()]), ValueError, "holds a condition that keeps no modality"),
        (lambda: FixedConditions(["m0", ()]), ValueError, "holds a condition that keeps no modality"),
        (lambda: FixedConditions(5), TypeError, "conditions must be None, 'all', a modality name or a list"),
        (lambda: FixedConditions([1]), TypeError, "a condition is a modality name or a tuple of names; got 1"),
    ],
    ids=["rates", "rates-same", "conditions", "fractions", "test-conditions", "empty-condition",
         "one-empty-condition", "int-conditions", "int-condition"],
)
def test_protocols_refuse_empty_grids_and_empty_conditions(make_protocol, error, match):
    with pytest.raises(error, match=match):
        make_protocol()


@pytest.mark.parametrize(
    "protocol, settings",
    [
        (MissingRates(0.3), ["0.3"]),
        (MissingRates("max"), ["max"]),
        (FixedConditions("m1"), ["m1"]),  # one condition keeping m1, not the letters 'm' and '1'
        (FixedConditions(np.array(["m2", "m0"])), ["m2", "m0"]),
        (FixedConditions(np.array([["m2", "m0"]])), ["m0+m2"]),
        (FixedConditions("all"), ["m0+m1+m2", "m0", "m1", "m2", "m0+m1", "m0+m2", "m1+m2"]),
        (LabelFractions([1.0], test_conditions="m1"), ["m1"]),
    ],
    ids=["one-rate", "max", "one-name", "array-of-names", "array-of-conditions", "all",
         "one-test-condition"],
)
def test_protocols_read_a_single_rate_or_modality_name_as_one_setting(protocol, settings):
    layout = resolve_modalities(SIZES, sum(SIZES))
    assert [label for label, _ in protocol.plan(layout)[0].tests] == settings


def test_label_fractions_read_a_single_fraction_as_one():
    layout = resolve_modalities(SIZES, sum(SIZES))
    assert [p.train_label for p in LabelFractions(0.1).plan(layout)] == ["labels=0.1"]


# --------------------------------------------------------------------------- #
# Splitting
# --------------------------------------------------------------------------- #
def test_make_splitter_picks_group_and_class_aware_splitters():
    X, y, groups = make_problem()
    assert isinstance(make_splitter(3, y=y, groups=groups), StratifiedGroupKFold)
    assert isinstance(make_splitter(3, y=y), StratifiedKFold)
    assert isinstance(make_splitter("logo", y=y, groups=groups), LeaveOneGroupOut)
    assert type(make_splitter(3, y=np.linspace(-3, 3, 60))).__name__ == "KFold"
    assert type(make_splitter(3, y=np.linspace(-3, 3, 60), groups=groups)).__name__ == "GroupKFold"
    assert isinstance(make_splitter({"train": [0, 1], "test": [2]}), FixedSplit)
    with pytest.raises(ValueError, match="needs groups"):
        make_splitter("logo", y=y)


@pytest.mark.parametrize("cv", [3, "logo"])
def test_no_group_is_on_both_sides(cv):
    X, y, groups = make_problem()
    y = y.copy()
    y[::7] = -1  # some unlabelled rows
    folds = make_folds(cv, X, y, groups)
    assert len(folds) == (3 if cv == 3 else 6)
    tested = np.concatenate([test for _, test in folds])
    assert sorted(tested) == sorted(np.flatnonzero(y != -1))  # each labelled row tested once
    for train, test in folds:
        assert not set(groups[train]) & set(groups[test])
        assert (y[test] != -1).all()


def test_labelled_split_gives_unlabelled_rows_to_training():
    y = np.array([0, 1] * 10)
    y[[3, 8, 15]] = -1
    folds = list(LabelledSplit(4).split(np.zeros((20, 1)), y))
    for train, test in folds:
        assert {3, 8, 15} <= set(train.tolist())
        assert (y[test] != -1).all()
        assert not set(train) & set(test)


@pytest.mark.filterwarnings("ignore:The groups parameter is ignored:UserWarning")
@pytest.mark.parametrize("cv", [KFold(3), StratifiedKFold(3, shuffle=True, random_state=0)])
def test_make_folds_warns_when_the_splitter_puts_a_group_on_both_sides(cv):
    X, y, _ = make_problem()
    groups = np.arange(60) % 6  # speakers interleaved: every fold of these splitters shares them
    with pytest.warns(UserWarning, match="are in both train and test"):
        folds = make_folds(cv, X, y, groups)
    assert any(set(groups[train]) & set(groups[test]) for train, test in folds)


@pytest.mark.parametrize("cv", [3, "logo", GroupKFold(3), LeaveOneGroupOut()])
def test_make_folds_is_silent_when_groups_are_respected(cv):
    X, y, groups = make_problem()
    y = y.copy()
    y[::7] = -1  # unlabelled rows of a test group are left out, so no leak to warn about
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        make_folds(cv, X, y, groups)


def test_fixed_split_is_used_as_given():
    X, y, groups = make_problem()
    split = {"train": np.arange(40), "test": np.arange(40, 60)}
    ((train, test),) = make_folds(split, X, y)
    np.testing.assert_array_equal(train, np.arange(40))
    with pytest.warns(UserWarning, match="both train and test"):
        make_folds({"train": [0, 1, 2], "test": [3, 4]}, X, y, np.zeros(60))
    with pytest.raises(ValueError, match="both"):
        FixedSplit({"train": [0, 1], "test": [1]})


def test_fixed_split_accepts_boolean_masks():
    test = np.zeros(6, dtype=bool)
    test[[1, 4]] = True
    ((train_rows, test_rows),) = FixedSplit({"train": ~test, "test": test, "valid": [9]}).split(np.zeros((6, 1)))
    assert train_rows.tolist() == [0, 2, 3, 5]
    assert test_rows.tolist() == [1, 4]


def test_fixed_split_accepts_a_list_of_pairs():
    pairs = [([0, 1, 2], [3, 4]), (np.array([2, 3, 4]), np.array([0, 1]))]
    cv = FixedSplit(pairs)
    assert cv.get_n_splits() == 2
    assert cv.get_n_splits(np.zeros((5, 1)), np.zeros(5), np.zeros(5)) == 2
    folds = [(train.tolist(), test.tolist()) for train, test in cv.split(np.zeros((5, 1)))]
    assert folds == [([0, 1, 2], [3, 4]), ([2, 3, 4], [0, 1])]
    assert repr(cv) == "FixedSplit(<2 fold(s)>)"
    assert repr(FixedSplit({"train": [0], "test": [1]})) == "FixedSplit(<1 fold(s)>)"


@pytest.mark.parametrize(
    "split, error, match",
    [
        ({"train": [0.5, 1.0], "test": [2]}, ValueError, "FixedSplit: train indices must be integers or a boolean mask"),
        ({"train": [0, 1], "test": ["2"]}, ValueError, "FixedSplit: test indices must be integers or a boolean mask"),
        ({"train": [0, 1]}, ValueError, "FixedSplit: a dict split needs 'train' and 'test' entries"),
        ({"test": [0, 1]}, ValueError, "FixedSplit: a dict split needs 'train' and 'test' entries"),
        ([], ValueError, "FixedSplit: no fold given"),
        (5, TypeError, "FixedSplit: give a dict with 'train'/'test' or a list of pairs"),
        ("train", TypeError, "FixedSplit: give a dict with 'train'/'test' or a list of pairs"),
        # -1 would be the last row: on both sides, unseen by the overlap check
        ({"train": [0, 1, 2], "test": [-1]}, ValueError, r"FixedSplit: test indices must be row positions >= 0; got -1"),
        ([([-7, 0], [1])], ValueError, r"FixedSplit: train indices must be row positions >= 0; got -7"),
        # a repeated row would be scored (or trained on) twice
        ({"train": [0, 1, 1, 2], "test": [3]}, ValueError, r"FixedSplit: train indices repeat rows \[1\]; list each row once"),
        ([([0, 1], [3, 3, 2])], ValueError, r"FixedSplit: test indices repeat rows \[3\]"),
    ],
    ids=["float-train", "str-test", "no-test", "no-train", "empty-list", "int", "str", "negative-test",
         "negative-train", "repeated-train", "repeated-test"],
)
def test_fixed_split_rejects_what_is_not_a_split(split, error, match):
    with pytest.raises(error, match=match):
        FixedSplit(split)


def test_fixed_split_index_out_of_range_for_x_is_an_error():
    cv = FixedSplit({"train": [0, 1], "test": [5]})
    assert len(list(cv.split())) == 1  # without X nothing to check against
    with pytest.raises(ValueError, match="FixedSplit: an index is out of range for 3 rows"):
        list(cv.split(np.zeros((3, 1))))


def test_fixed_split_boolean_mask_must_have_one_entry_per_row():
    test = np.array([False, True, False, True])
    cv = FixedSplit({"train": ~test, "test": test})
    assert len(list(cv.split(np.zeros((4, 1))))) == 1
    with pytest.raises(ValueError, match="the train boolean mask has 4 entries for 6 rows"):
        list(cv.split(np.zeros((6, 1))))  # rows 4 and 5 would be on neither side


def test_fixed_split_inside_grid_search_is_one_split():
    X, y, _ = make_problem()
    cv = FixedSplit({"train": np.arange(40), "test": np.arange(40, 60)})
    search = GridSearchCV(LogisticRegression(max_iter=200), {"C": [0.1, 1.0]}, cv=cv).fit(X, y)
    assert search.n_splits_ == 1
    for k, C in enumerate([0.1, 1.0]):
        alone = LogisticRegression(max_iter=200, C=C).fit(X[:40], y[:40]).score(X[40:], y[40:])
        assert search.cv_results_["split0_test_score"][k] == pytest.approx(alone)


def test_make_splitter_defaults_and_pass_through():
    X, y, groups = make_problem()
    default = make_splitter(None, y=y)
    assert isinstance(default, StratifiedKFold) and default.get_n_splits() == 5
    assert isinstance(make_splitter(None), KFold) and make_splitter(None).get_n_splits() == 5
    assert type(make_splitter(4, y=None)) is KFold  # no y: nothing to stratify
    assert type(make_splitter(4, groups=groups)) is GroupKFold
    splitter = GroupKFold(2)
    assert make_splitter(splitter, y=y, groups=groups) is splitter
    for spelling in ("LOGO", "leave_one_group_out"):
        assert isinstance(make_splitter(spelling, groups=groups), LeaveOneGroupOut)


def test_make_splitter_stratifies_object_labels_ignoring_minus_one():
    ints = np.array([0, 1, 2, -1] * 5, dtype=object)
    assert isinstance(make_splitter(3, y=ints), StratifiedKFold)
    words = np.array(["neu", "ang", -1, "hap"] * 5, dtype=object)
    assert isinstance(make_splitter(3, y=words, groups=np.arange(20) % 4), StratifiedGroupKFold)


@pytest.mark.parametrize("cv", ["kfold", "loo", ""])
def test_make_splitter_accepts_logo_as_its_only_string(cv):
    with pytest.raises(ValueError, match=rf"cv='{cv}': the only string accepted is 'logo' \(LeaveOneGroupOut\)"):
        make_splitter(cv, groups=np.zeros(4))


@pytest.mark.parametrize("cv", [1, 0, -3, True, 2.5, np.float64(3.0)])
def test_make_splitter_rejects_a_fold_count_that_is_not_an_int_of_at_least_two(cv):
    with pytest.raises(ValueError, match=r"cv must be an int >= 2, 'logo', a split or a splitter; got "):
        make_splitter(cv)


def test_labelled_split_on_object_labels_with_minus_one():
    y = np.array(["neu", "ang", "hap", -1] * 6, dtype=object)
    folds = list(LabelledSplit(3).split(np.zeros((24, 1)), y))
    assert len(folds) == 3
    unlabelled = set(range(3, 24, 4))
    tested = np.concatenate([test for _, test in folds])
    assert sorted(tested.tolist()) == sorted(set(range(24)) - unlabelled)
    for train, test in folds:
        assert unlabelled <= set(train.tolist())
        assert not set(train) & set(test)
        # stratified on the three real classes, never on -1
        assert sorted(y[test].tolist()) == ["ang", "ang", "hap", "hap", "neu", "neu"]


def test_labelled_split_counts_folds_with_and_without_y():
    groups = np.repeat(np.arange(5), 4)
    y = np.array([0, 1] * 10)
    y[16:] = -1  # group 4 has no labelled row
    assert LabelledSplit(4).get_n_splits() == 4
    assert LabelledSplit(4).get_n_splits(None, y, groups) == 4
    # "logo" counts groups: all of them without y, those with labelled rows with y
    assert LabelledSplit("logo").get_n_splits(groups=groups) == 5
    assert LabelledSplit("logo").get_n_splits(np.zeros((20, 1)), y, groups) == 4
    assert len(list(LabelledSplit("logo").split(np.zeros((20, 1)), y, groups))) == 4
    with pytest.raises(ValueError, match="needs groups"):
        LabelledSplit("logo").get_n_splits()


def fixed_split_problem():
    """Rows 0, 1, 10, 11 unlabelled; 10 (group 2) is trained on and 11 (group 3) tested on."""
    y = np.array([-1, -1, 0, 1, 0, 1, 0, 1, 0, 1, -1, -1])
    groups = np.array([0, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 3])
    split = {"train": [0, 1, 2, 3, 4, 5, 10], "test": [6, 7, 8, 9, 11]}
    return np.zeros((12, 1)), y, groups, split


@pytest.mark.parametrize(
    "as_cv",
    [lambda split: split, lambda split: [(split["train"], split["test"])], FixedSplit],
    ids=["dict", "list-of-pairs", "FixedSplit"],
)
def test_labelled_split_uses_fixed_folds_over_all_rows(as_cv):
    X, y, groups, split = fixed_split_problem()
    cv = LabelledSplit(as_cv(split))
    ((train, test),) = cv.split(X, y)
    # the given rows, not positions among the labelled rows; unlabelled row 11 leaves the test side
    assert test.tolist() == [6, 7, 8, 9]
    assert train.tolist() == [0, 1, 2, 3, 4, 5, 10]
    ((train, test),) = cv.split(X, y, groups)
    assert test.tolist() == [6, 7, 8, 9]
    assert train.tolist() == [0, 1, 2, 3, 4, 5]  # unlabelled row 10 is of test group 2
    assert cv.get_n_splits(X, y, groups) == 1


def test_labelled_split_refuses_a_fixed_fold_without_a_labelled_test_row():
    X, y, _, _ = fixed_split_problem()
    with pytest.raises(ValueError, match="fold 1 of the fixed split has no labelled test row"):
        list(LabelledSplit([([2, 3], [4, 5]), ([2, 3], [0, 1])]).split(X, y))


def test_labelled_split_refuses_a_splitter_that_indexes_all_rows():
    X, y, _, _ = fixed_split_problem()
    predefined = PredefinedSplit([-1, -1, 0, 0, 0, 0, 1, 1, 1, 1, -1, -1])  # over all 12 rows
    with pytest.raises(
        ValueError,
        match=r"splitter objects see only the labelled rows \(8 here\).*pass a FixedSplit or a list "
        r"of \(train, test\) pairs",
    ):
        list(LabelledSplit(predefined).split(X, y))


@pytest.mark.parametrize(
    "y, match",
    [
        (None, r"y is required to split"),
        (np.full(6, -1), r"No row of y is labelled \(every label is -1\)"),
        (np.array([0, 1, np.nan, 1, 0, -1]), r"NaN or None as the label of 1 row\. Mark unlabelled rows with -1"),
        (pd.Series([0, 1, None, 1, 0, -1], dtype="Int64"), r"NaN or None as the label of 1 row\. Mark unlabelled"),
        (np.array(["a", None, "b", "a", -1, "b"], dtype=object), r"NaN or None as the label of 1 row\."),
    ],
    ids=["none", "all-unlabelled", "nan", "pandas-na", "object-none"],
)
def test_labelled_split_says_why_y_cannot_be_split(y, match):
    with pytest.raises(ValueError, match=match):
        list(LabelledSplit(2).split(np.zeros((6, 1)), y))
    if y is not None:
        with pytest.raises(ValueError, match=match):
            make_folds({"train": [0, 1, 2], "test": [3, 4, 5]}, np.zeros((6, 1)), y)


def test_labelled_split_repr():
    assert repr(LabelledSplit()) == "LabelledSplit(cv=5, shuffle=True, random_state=0)"
    assert repr(LabelledSplit("logo", shuffle=False, random_state=None)) == (
        "LabelledSplit(cv='logo', shuffle=False, random_state=None)"
    )


class SpyLabelledSplit(LabelledSplit):
    """A LabelledSplit that records the folds scikit-learn asks it for."""

    def __init__(self, cv=5, **kwargs):
        super().__init__(cv, **kwargs)
        self.folds = []

    def split(self, X, y, groups=None):
        folds = list(super().split(X, y, groups))
        self.folds.extend(folds)
        yield from folds


def semi_supervised_problem():
    """Six speakers; some unlabelled rows in each, and speaker 5 is not labelled at all."""
    X, y, groups = make_problem(n=60, n_classes=2)
    y = y.copy()
    y[::5] = -1
    y[groups == 5] = -1
    return X, y, groups


def check_folds_respect_labels_and_groups(folds, y, groups):
    for train, test in folds:
        assert len(test) and (y[test] != -1).all()  # every test fold holds labelled rows only
        test_groups = set(groups[test].tolist())
        assert not test_groups & set(groups[train].tolist())  # no unlabelled row of a test group leaks
        assert not set(train.tolist()) & set(test.tolist())
        assert set(np.flatnonzero(groups == 5).tolist()) <= set(train.tolist())  # never tested, always trained


def test_labelled_split_drives_cross_validate_of_a_semi_supervised_learner():
    X, y, groups = semi_supervised_problem()
    cv = SpyLabelledSplit(3)
    scores = cross_validate(
        SelfTrainingClassifier(LogisticRegression(max_iter=200), max_iter=2), X, y,
        groups=groups, cv=cv, return_indices=True,
    )
    assert len(scores["test_score"]) == 3 and np.isfinite(scores["test_score"]).all()
    folds = list(zip(scores["indices"]["train"], scores["indices"]["test"]))
    check_folds_respect_labels_and_groups(folds, y, groups)
    assert len(cv.folds) == 3
    tested = np.concatenate(scores["indices"]["test"])
    assert sorted(tested.tolist()) == np.flatnonzero(y != -1).tolist()


def test_labelled_split_logo_drives_grid_search_over_labelled_groups():
    X, y, groups = semi_supervised_problem()
    cv = SpyLabelledSplit("logo")
    search = GridSearchCV(
        SelfTrainingClassifier(LogisticRegression(max_iter=200), max_iter=2),
        {"estimator__C": [0.1, 1.0]},
        cv=cv,
    ).fit(X, y, groups=groups)
    n_labelled_groups = len(np.unique(groups[y != -1]))
    assert n_labelled_groups == 5
    assert search.n_splits_ == n_labelled_groups
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert cv.folds  # the search split with it
    check_folds_respect_labels_and_groups(cv.folds, y, groups)
    assert sorted(groups[test][0] for _, test in cv.folds[:5]) == [0, 1, 2, 3, 4]


def test_labelled_split_receives_groups_under_metadata_routing():
    X, y, groups = semi_supervised_problem()
    cv = SpyLabelledSplit("logo")
    with sklearn.config_context(enable_metadata_routing=True):
        scores = cross_validate(
            SelfTrainingClassifier(LogisticRegression(max_iter=200), max_iter=2), X, y,
            params={"groups": groups}, cv=cv, scoring=labelled_scorer(),
        )
    assert len(scores["test_score"]) == len(np.unique(groups[y != -1])) == 5
    check_folds_respect_labels_and_groups(cv.folds, y, groups)


# --------------------------------------------------------------------------- #
# run_study
# --------------------------------------------------------------------------- #
RECORDS: dict[str, list] = defaultdict(list)


class NanPatternRecorder(ClassifierMixin, BaseEstimator):
    """Predicts the majority class and logs the NaN pattern of what it is given."""

    def __init__(self, tag="a"):
        self.tag = tag

    def fit(self, X, y):
        self.classes_, counts = np.unique(y, return_counts=True)
        RECORDS[self.tag].append(("fit", np.isnan(X), np.asarray(y).copy()))
        return self

    def predict(self, X):
        RECORDS[self.tag].append(("predict", np.isnan(X), None))
        return np.full(len(X), self.classes_[0])


def test_every_method_sees_the_same_masks_and_labels():
    X, y, groups = make_problem()
    RECORDS.clear()
    protocols = [
        MissingRates([0.2, "max"], train_missing=0.3),
        LabelFractions([0.1], train_missing="subsets", test_conditions=[("m0",)]),
    ]
    estimators = {"a": NanPatternRecorder("a"), "b": NanPatternRecorder("b")}
    run_study(estimators, X, y, SIZES, protocols=protocols, cv=2, groups=groups, random_state=4)
    first, second = RECORDS["a"], RECORDS["b"]
    assert len(first) == len(second) == 2 * (1 + 2 + 1 + 1)  # folds x (fits + predicts)
    for (kind_a, nan_a, y_a), (kind_b, nan_b, y_b) in zip(first, second, strict=True):
        assert kind_a == kind_b
        np.testing.assert_array_equal(nan_a, nan_b)
        np.testing.assert_array_equal(y_a, y_b)
    # ... and they are the masks transform_fold shows for the same fold and seed
    train, test = make_folds(2, X, y, groups, random_state=4)[0]
    (rates,) = protocols[0].transform_fold(X[train], y[train], X[test], SIZES, random_state=4)
    np.testing.assert_array_equal(first[0][1], np.isnan(rates.X_train))
    np.testing.assert_array_equal(first[1][1], np.isnan(rates.tests["0.2"]))
    np.testing.assert_array_equal(first[2][1], np.isnan(rates.tests["max"]))


def test_dataframe_input_reaches_the_estimator_with_its_columns():
    X, y, _ = make_problem(n=12)
    columns = [f"{m}_{j}" for m, size in zip(NAMES, SIZES, strict=True) for j in range(size)]
    frame = pd.DataFrame(X, columns=columns)
    modalities = {m: [c for c in columns if c.startswith(m)] for m in NAMES}
    RECORDS.clear()
    run_study(
        {"rec": NanPatternRecorder("df")}, frame, y, modalities, cv=2,
        protocols=FixedConditions([("m1",)]),
    )
    kinds = [kind for kind, _, _ in RECORDS["df"]]
    assert kinds == ["fit", "predict"] * 2
    assert all(list(X_seen.columns) == columns for _, X_seen, _ in RECORDS["df"])
    kept = RECORDS["df"][1][1]
    assert not kept[modalities["m1"]].any().any() and kept[modalities["m0"]].all().all()


def test_run_study_returns_the_expected_tidy_frame():
    X, y, groups = make_problem()
    protocols = [FixedConditions(), MissingRates([0.0, 0.3, "max"]), LabelFractions([0.2, 1.0])]
    results = run_study(
        cheap_models(), X, y, SIZES, protocols=protocols, cv=3, groups=groups, dataset="toy"
    )
    assert list(results.columns) == RESULT_COLUMNS
    n_settings = 7 + 3 + 2  # conditions + rates + label fractions
    assert len(results) == 2 * 3 * n_settings * 3  # methods x folds x settings x metrics
    assert set(results["metric"]) == {"WA", "UA", "macro_F1"}
    assert set(results["dataset"]) == {"toy"}
    assert results["value"].between(0, 1).all()
    assert (results["fit_time"] > 0).all() and (results["predict_time"] > 0).all()
    # One fit per (method, fold, training data): protocols that train on the observed
    # rows share it, so every row of such a group reports the same fit_time.
    fits = results.groupby(["method", "fold", "train_setting"])["fit_time"].nunique()
    assert (fits == 1).all()
    observed_fit = results[results["train_setting"].isin(["observed", "labels=1.0"])]
    assert (observed_fit.groupby(["method", "fold"])["fit_time"].nunique() == 1).all()
    # Every block carries signal: all three together beat any one alone.
    ua = results[(results["metric"] == "UA") & (results["method"] == "impute+logreg")]
    by_setting = ua.groupby("setting")["value"].mean()
    assert by_setting["m0+m1+m2"] > by_setting[["m0", "m1", "m2"]].max()


@pytest.mark.filterwarnings("ignore:y contains no unlabeled samples:UserWarning")
def test_unlabelled_rows_are_dropped_for_supervised_and_kept_for_semi_supervised():
    X, y, groups = make_problem()
    estimators = {
        "logreg": make_pipeline(SimpleImputer(), LogisticRegression(max_iter=200)),
        "self_training": make_pipeline(
            SimpleImputer(), SelfTrainingClassifier(LogisticRegression(max_iter=200), max_iter=2)
        ),
    }
    results = run_study(
        estimators, X, y, SIZES, protocols=LabelFractions([0.2]), cv=2, groups=groups
    )
    sizes = results.groupby("method")[["n_train", "n_labelled"]].first()
    # The pipeline's imputer sees every training row; its classifier the 6 labelled ones.
    assert sizes.loc["logreg", "n_train"] == 30 > sizes.loc["logreg", "n_labelled"] == 6
    assert sizes.loc["self_training", "n_train"] == 30 > sizes.loc["self_training", "n_labelled"]
    forced = run_study(
        estimators, X, y, SIZES, protocols=LabelFractions([0.2]), cv=2, groups=groups,
        unlabelled={"self_training": "drop", "logreg": "drop"},
    )
    assert (forced["n_train"] == 6).all()


class RowCounter(TransformerMixin, BaseEstimator):
    """A pass-through transformer that records the rows and the y it was fitted with."""

    def fit(self, X, y=None):
        self.n_rows_, self.y_given_ = len(X), y is not None
        FITTED_TRANSFORMERS.append(self)
        return self

    def transform(self, X):
        return X


class NeedsY(RowCounter):
    """Like RowCounter, but its tags say it needs y (a supervised feature selector, say)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags


FITTED_TRANSFORMERS: list = []


def _fitted_rows(transformer_class, **study) -> list[tuple[int, bool]]:
    X, y, groups = make_problem()
    FITTED_TRANSFORMERS.clear()
    pipeline = make_pipeline(transformer_class(), SimpleImputer(), LogisticRegression(max_iter=200))
    results = run_study(
        {"m": pipeline}, X, y, SIZES, protocols=LabelFractions([0.2]), cv=2, groups=groups,
        n_jobs=1, **study,
    )
    assert (results["n_labelled"] == 6).all()
    return [(t.n_rows_, t.y_given_) for t in FITTED_TRANSFORMERS]


def test_a_pipelines_transformers_learn_from_every_training_row_without_labels():
    # A DiffusionImputer in front of a classifier must see the unlabelled rows (it ignores y);
    # the classifier must not (it would learn -1 as a class), and no step is given y with -1.
    assert _fitted_rows(RowCounter) == [(30, False), (30, False)]
    assert _fitted_rows(RowCounter, unlabelled="drop") == [(6, True), (6, True)]


def test_a_pipeline_with_a_step_that_needs_y_sees_the_labelled_rows_only():
    assert _fitted_rows(NeedsY) == [(6, True), (6, True)]
    with pytest.raises(ValueError, match="unlabelled='transformers' for 'm' needs a Pipeline"):
        _fitted_rows(NeedsY, unlabelled="transformers")


def test_a_pipeline_fitted_on_every_row_predicts_as_one_fitted_by_hand():
    X, y, groups = make_problem()
    pipeline = make_pipeline(SimpleImputer(), LogisticRegression(max_iter=200))
    folds = [(np.arange(30), np.arange(30, len(y)))]
    y_train = keep_label_fraction(y[:30], 0.2, random_state=0)
    y_semi = np.concatenate([y_train, y[30:]])
    results = run_study(
        {"m": pipeline}, X, y_semi, SIZES, cv=folds, metrics="WA", protocols=MissingRates([0.0])
    )
    by_hand = clone(pipeline)
    by_hand[0].fit(X[:30])
    labelled = y_train != -1
    by_hand[1].fit(by_hand[0].transform(X[:30])[labelled], y_train[labelled])
    expected = np.mean(by_hand.predict(X[30:]) == y[30:])
    assert len(results) == 1 and results["n_train"].iloc[0] == 30
    assert results["value"].iloc[0] == pytest.approx(expected)


class UsersMaskedFusion(MaskedFusionClassifier):
    """A variant of a skmmer estimator defined outside skmmer, as a user would write one."""


@pytest.mark.parametrize(
    "estimator, keeps",
    [
        (UsersMaskedFusion(), True),
        (GridSearchCV(MaskedFusionClassifier(), {"fusion": ["mean"]}), True),
        (make_pipeline(SimpleImputer(), GridSearchCV(LabelSpreading(), {"alpha": [0.2]})), True),
        (GridSearchCV(LogisticRegression(), {"C": [1.0]}), False),
        (SelfTrainingClassifier(LogisticRegression()), True),
        (make_pipeline(SimpleImputer(), LogisticRegression()), False),
    ],
    ids=["subclass", "search", "pipeline-search", "supervised-search", "self-training", "supervised"],
)
def test_auto_keeps_unlabelled_rows_for_semi_supervised_learners_however_wrapped(estimator, keeps):
    assert _keeps_unlabelled_rows(estimator) is keeps


def test_parallel_run_gives_the_sequential_numbers():
    X, y, groups = make_problem()
    protocols = [FixedConditions([("m0",), ("m1", "m2")]), MissingRates([0.3], train_missing=0.2)]
    kwargs = {"protocols": protocols, "cv": 2, "groups": groups, "random_state": 7}
    sequential = run_study(cheap_models(), X, y, SIZES, **kwargs)
    parallel = run_study(cheap_models(), X, y, SIZES, n_jobs=2, **kwargs)
    pd.testing.assert_frame_equal(values_only(sequential), values_only(parallel))


def test_dask_local_cluster_gives_the_sequential_numbers():
    pytest.importorskip("dask")
    pytest.importorskip("distributed")
    X, y, groups = make_problem()
    kwargs = {"protocols": MissingRates([0.0, "max"]), "cv": 2, "groups": groups}
    sequential = run_study(cheap_models(), X, y, SIZES, **kwargs)
    # run_study starts a two-worker LocalCluster (one thread each) and closes it. Worker
    # processes each import torch and scikit-learn (~30 s on two shared cores), so the
    # workers are threads here; test_parallel_run_gives_the_sequential_numbers covers
    # worker processes.
    on_dask = run_study(
        cheap_models(), X, y, SIZES, backend="dask", dask_options={"processes": False}, **kwargs
    )
    pd.testing.assert_frame_equal(values_only(sequential), values_only(on_dask))


def test_a_users_dask_client_or_address_runs_the_study_and_stays_open():
    pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    X, y, groups = make_problem()
    kwargs = {"protocols": MissingRates([0.0, "max"]), "cv": 2, "groups": groups}
    sequential = values_only(run_study(cheap_models(), X, y, SIZES, **kwargs))
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            # a scheduler implies backend="dask"; the caller's client is theirs to close
            on_client = run_study(cheap_models(), X, y, SIZES, scheduler=client, **kwargs)
            assert client.status == "running"
            pd.testing.assert_frame_equal(sequential, values_only(on_client))
        on_address = run_study(cheap_models(), X, y, SIZES, scheduler=cluster.scheduler_address, **kwargs)
        pd.testing.assert_frame_equal(sequential, values_only(on_address))
    with pytest.raises(TypeError, match="scheduler must be None .* a distributed.Client; got int"):
        run_study(cheap_models(), X, y, SIZES, scheduler=8786, **kwargs)


def test_a_joblib_backend_by_name_gives_the_sequential_numbers():
    """Threads share torch's default generators: seeded fits must not interleave their draws."""
    X, y, groups = make_problem()
    models = {
        **cheap_models(),
        "fusion": MaskedFusionClassifier(modalities=SIZES, max_epochs=3, hidden_dim=8, embed_dim=4,
                                         dropout=0.3, random_state=0),
    }
    kwargs = {"protocols": MissingRates([0.3]), "cv": 3, "groups": groups}
    sequential = run_study(models, X, y, SIZES, **kwargs)
    threaded = run_study(models, X, y, SIZES, backend="threading", n_jobs=2, **kwargs)
    pd.testing.assert_frame_equal(values_only(sequential), values_only(threaded))


def test_dask_backend_without_dask_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import now raises ImportError
    X, y, _ = make_problem(n=12)
    with pytest.raises(ImportError, match="pip install"):
        run_study({"m": NanPatternRecorder()}, X, y, SIZES, cv=2, backend="dask")


@pytest.mark.parametrize(
    "backend, options",
    [
        ("loky", {"scheduler": "tcp://localhost:8786"}),
        ("threading", {"dask_options": {"n_workers": 4}}),
        (None, {"dask_options": {"n_workers": 4}}),
        ("dask", {"scheduler": "tcp://localhost:8786", "dask_options": {"n_workers": 4}}),
    ],
    ids=["scheduler-with-loky", "options-with-threading", "options-without-backend",
         "options-with-an-address"],
)
def test_dask_settings_that_would_be_ignored_are_an_error(backend, options):
    with pytest.raises(ValueError, match="dask_options|scheduler"):
        with study_backend(backend, None, **options):
            pass  # pragma: no cover - never entered


def test_error_score_records_failures():
    X, y, _ = make_problem(n=12)
    failing = make_pipeline(LogisticRegression())  # no imputer: NaN input fails
    with pytest.warns(UserWarning, match="failed"):
        results = run_study(
            {"no_imputer": failing}, X, y, SIZES, cv=2,
            protocols=FixedConditions([("m0",)]), error_score=np.nan,
        )
    assert results["value"].isna().all()
    with pytest.raises(ValueError):
        run_study({"no_imputer": failing}, X, y, SIZES, cv=2, protocols=FixedConditions([("m0",)]))


class FailsToFit(ClassifierMixin, BaseEstimator):
    """A classifier whose fit always raises."""

    def fit(self, X, y):
        raise RuntimeError("cannot fit this one")

    def predict(self, X):  # pragma: no cover - never fitted
        raise AssertionError("predict of an unfitted model")


def test_a_failing_fit_scores_error_score_and_the_other_methods_still_run():
    X, y, _ = make_problem(n=12)
    estimators = {"broken": FailsToFit(), "fine": NanPatternRecorder("fine")}
    kwargs = {"cv": 2, "protocols": FixedConditions([("m0",), ("m1", "m2")])}
    with pytest.warns(UserWarning, match=r"fit failed for method 'broken', fold [01], training setting 'observed' \(fixed_conditions\); scored nan\. RuntimeError: cannot fit this one"):
        results = run_study(estimators, X, y, SIZES, error_score=np.nan, **kwargs)
    broken = results[results["method"] == "broken"]
    fine = results[results["method"] == "fine"]
    assert len(broken) == len(fine) == 2 * 2 * 3  # folds x settings x metrics
    assert broken["value"].isna().all()
    assert broken["fit_time"].isna().all() and broken["predict_time"].isna().all()
    assert fine["value"].notna().all() and (fine["fit_time"] >= 0).all()
    with pytest.warns(UserWarning, match="scored 0.0"):
        zeros = run_study(estimators, X, y, SIZES, error_score=0.0, **kwargs)
    assert (zeros.loc[zeros["method"] == "broken", "value"] == 0.0).all()
    pd.testing.assert_frame_equal(
        values_only(zeros[zeros["method"] == "fine"]), values_only(fine)
    )


def test_warnings_of_parallel_workers_reach_the_caller():
    X, y, _ = make_problem(n=12)
    estimators = {"broken": FailsToFit(), "fine": NanPatternRecorder("fine")}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_study(estimators, X, y, SIZES, cv=2, error_score=np.nan, n_jobs=2,
                  protocols=FixedConditions([("m0",)]))
    failed = sorted(str(w.message)[:40] for w in caught if "fit failed" in str(w.message))
    assert failed == [
        "fit failed for method 'broken', fold 0, ",
        "fit failed for method 'broken', fold 1, ",
    ]
    assert all(w.filename == __file__ for w in caught if "fit failed" in str(w.message))


def test_a_failing_fit_raises_with_error_score_raise():
    X, y, _ = make_problem(n=12)
    with pytest.raises(RuntimeError, match="cannot fit this one"):
        run_study({"fine": NanPatternRecorder("fine"), "broken": FailsToFit()}, X, y, SIZES, cv=2)


def test_protocols_given_as_a_dict_are_named_by_their_keys():
    X, y, _ = make_problem(n=12)
    protocols = {"mmin": FixedConditions([("m0",)]), "imder": MissingRates([0.0])}
    results = run_study({"m": NanPatternRecorder("dict")}, X, y, SIZES, cv=2, protocols=protocols)
    assert list(pd.unique(results["protocol"])) == ["mmin", "imder"]


@pytest.mark.parametrize(
    "estimators, error, match",
    [
        ({}, TypeError, r"estimators must be a non-empty dict \{method name: estimator\}"),
        ([NanPatternRecorder()], TypeError, "estimators must be a non-empty dict"),
        (LogisticRegression, TypeError, "estimators must be a non-empty dict"),
        ({"ok": NanPatternRecorder(), "bad": SimpleImputer()}, TypeError, r"estimators\['bad'\] has no fit/predict"),
    ],
    ids=["empty", "list", "class", "no-predict"],
)
def test_run_study_checks_the_estimators(estimators, error, match):
    X, y, _ = make_problem(n=12)
    with pytest.raises(error, match=match):
        run_study(estimators, X, y, SIZES, cv=2)


@pytest.mark.parametrize(
    "protocols, error, match",
    [
        (5, TypeError, "protocols must be a protocol, a list of protocols or a dict name -> protocol"),
        ([FixedConditions(), "missing_rates"], TypeError, r"Protocol 'str' has no plan\(layout\) method"),
        ({"mine": object()}, TypeError, r"Protocol 'mine' has no plan\(layout\) method"),
        ([], ValueError, r"Protocol names \[\] must be unique and non-empty"),
    ],
    ids=["int", "list-with-str", "dict-with-object", "empty"],
)
def test_run_study_checks_the_protocols(protocols, error, match):
    X, y, _ = make_problem(n=12)
    with pytest.raises(error, match=match):
        run_study({"m": NanPatternRecorder()}, X, y, SIZES, cv=2, protocols=protocols)


@pytest.mark.parametrize(
    "unlabelled, shown",
    [("sometimes", "'sometimes'"), ({"m": "never"}, "'never'"), (None, "None")],
)
def test_run_study_checks_the_unlabelled_option(unlabelled, shown):
    X, y, _ = make_problem(n=12)
    with pytest.raises(
        ValueError, match=f"unlabelled must be 'auto', 'keep', 'drop' or 'transformers'; got {shown}"
    ):
        run_study({"m": NanPatternRecorder()}, X, y, SIZES, cv=2, unlabelled=unlabelled)


@pytest.mark.parametrize(
    "X_shape, y_shape, match",
    [
        ((12,), (12,), "Expected a 2-D array of shape \\(n_samples, n_features\\), got 1-D"),
        ((2, 6, 12), (2,), "Expected a 2-D array of shape \\(n_samples, n_features\\), got 3-D"),
        ((12, 12), (11,), r"y must be 1-D with one label per row of X \(12 rows\)"),
        ((12, 12), (12, 1), r"y must be 1-D with one label per row of X \(12 rows\)"),
    ],
)
def test_run_study_checks_the_shapes_of_x_and_y(X_shape, y_shape, match):
    with pytest.raises(ValueError, match=match):
        run_study({"m": NanPatternRecorder()}, np.zeros(X_shape), np.zeros(y_shape, dtype=int), SIZES, cv=2)


def test_protocol_names_must_be_unique():
    X, y, _ = make_problem(n=12)
    with pytest.raises(ValueError, match="unique"):
        run_study({"m": NanPatternRecorder()}, X, y, SIZES, protocols=[MissingRates(), MissingRates()])


@pytest.mark.parametrize(
    "protocol, match",
    [
        (MissingRates([0.1, 0.3, 0.1]), r"test setting '0.1' of training setting 'observed' twice"),
        (FixedConditions([("m0",), "m0"]), r"test setting 'm0' of training setting 'observed' twice"),
        (LabelFractions([0.5, 0.5]), r"training settings \['labels=0.5'\] more than once"),
    ],
    ids=["rate", "condition", "fraction"],
)
def test_a_setting_listed_twice_is_an_error_not_two_folds_each(protocol, match):
    # Scored twice, a setting's every fold would count twice in summarize.
    X, y, _ = make_problem(n=12)
    with pytest.raises(ValueError, match=match):
        run_study({"m": NanPatternRecorder()}, X, y, SIZES, cv=2, protocols=protocol)


# --------------------------------------------------------------------------- #
# Reports
# --------------------------------------------------------------------------- #
def test_summarize_pivot_and_markdown():
    results = pd.DataFrame(
        {
            "method": ["a"] * 4 + ["b"] * 4,
            "protocol": "p",
            "setting": ["full", "full", "v", "v"] * 2,
            "fold": [0, 1] * 4,
            "metric": "UA",
            "value": [0.8, 0.6, 0.5, 0.5, 0.9, 0.7, 0.4, 0.6],
            "fit_time": 1.0,
        }
    )
    summary = summarize(results)
    assert list(summary.columns) == [
        "method", "protocol", "setting", "metric", "mean", "std", "n_folds", "n_failed", "fit_time"
    ]
    row = summary[(summary["method"] == "a") & (summary["setting"] == "full")].iloc[0]
    assert row["mean"] == pytest.approx(0.7) and row["std"] == pytest.approx(np.std([0.8, 0.6], ddof=1))
    assert row["n_folds"] == 2 and row["n_failed"] == 0
    table = pivot_summary(summary, digits=2)
    assert list(table.columns) == ["method", "full", "v"]
    assert table.iloc[0].tolist() == ["a", "0.70 ± 0.14", "0.50 ± 0.00"]
    markdown = to_markdown(table)
    lines = markdown.strip().split("\n")
    assert lines[0] == "| method | full | v |"
    assert lines[1] == "| :--- | :--- | :--- |"
    assert lines[3] == "| b | 0.80 ± 0.14 | 0.50 ± 0.14 |"
    numeric = to_markdown(summary[["method", "mean"]].head(1), floatfmt=".1f")
    assert numeric.split("\n")[1:3] == ["| :--- | ---: |", "| a | 0.7 |"]


def test_a_cell_with_a_failed_fold_has_no_mean():
    # error_score=np.nan: method a failed on fold 1. Its mean over folds 0 and 2 would be
    # compared with b's over all three.
    results = pd.DataFrame({
        "method": ["a"] * 3 + ["b"] * 3, "setting": "full", "metric": "UA",
        "fold": [0, 1, 2] * 2, "value": [0.9, np.nan, 0.7, 0.6, 0.5, 0.4],
        "fit_time": [1.0, np.nan, 3.0, 1.0, 1.0, 1.0],
    })
    summary = summarize(results).set_index("method")
    assert np.isnan(summary.loc["a", "mean"]) and np.isnan(summary.loc["a", "std"])
    assert (summary.loc["a", "n_folds"], summary.loc["a", "n_failed"]) == (3, 1)
    assert summary.loc["a", "fit_time"] == pytest.approx(2.0)  # over the fits that ran
    assert summary.loc["b", "mean"] == pytest.approx(0.5) and summary.loc["b", "n_failed"] == 0
    table = pivot_summary(summary.reset_index(), digits=2)
    assert table.to_dict("records") == [
        {"method": "a", "full": "failed (1/3 folds)"},
        {"method": "b", "full": "0.50 ± 0.10"},
    ]


def test_pivot_summary_of_a_single_fold_shows_the_mean_alone():
    results = pd.DataFrame({"method": ["a", "a"], "setting": ["full", "v"], "metric": "UA",
                            "fold": 0, "value": [0.7, 0.5]})
    summary = summarize(results)
    assert summary["std"].isna().all()  # the std of one fold
    assert pivot_summary(summary, digits=2).to_dict("records") == [
        {"method": "a", "full": "0.70", "v": "0.50"}
    ]


def test_markdown_with_the_index_as_first_column():
    frame = pd.DataFrame({"UA": [0.61234, np.nan]}, index=pd.Index(["a", "b|c"], name="method"))
    assert to_markdown(frame, floatfmt=".2f", index=True) == (
        "| method | UA |\n| :--- | ---: |\n| a | 0.61 |\n| b\\|c |  |\n"
    )
    assert to_markdown(frame, floatfmt=".2f").startswith("| UA |\n| ---: |\n| 0.61 |")


def test_a_real_sentiment_label_of_minus_one_is_flagged_by_run_study():
    X, _, groups = make_problem(n=70)
    y = np.arange(70) % 7 - 3  # classes -3..3: -1 is a rating here, not the marker
    with pytest.warns(UserWarning, match="10 rows have y == -1 and are treated as unlabelled"):
        run_study(cheap_models(), X, y, SIZES, cv=2, groups=groups, protocols=MissingRates([0.0]))


def test_run_study_says_once_that_minus_one_looks_like_a_label():
    X, _, groups = make_problem(n=70)
    y = np.arange(70) % 7 - 3
    model = MaskedFusionClassifier(modalities=SIZES, max_epochs=2, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y)  # alone, fit says it
        assert sum("rows have y == -1" in str(w.message) for w in caught) == 1
        caught.clear()
        run_study({"fusion": model}, X, y, SIZES, cv=2, groups=groups, protocols=MissingRates([0.0, 0.3]))
    said = [str(w.message) for w in caught if "rows have y == -1" in str(w.message)]
    assert len(said) == 1 and "treated as unlabelled" in said[0]


@pytest.mark.parametrize(
    "groups, match",
    [
        (np.arange(72) % 6, r"groups must be 1-D with one entry per row of X \(60 rows\); got shape \(72,\)"),
        (np.arange(48) % 6, r"got shape \(48,\)"),
        (np.r_[np.arange(59) % 6, np.nan], "groups has 1 missing ids"),
        (np.array([None] + ["s1"] * 59, dtype=object), "groups has 1 missing ids"),
    ],
    ids=["longer", "shorter", "nan", "none"],
)
def test_groups_must_match_the_rows_and_have_no_missing_id(groups, match):
    X, y, _ = make_problem()
    with pytest.raises(ValueError, match=match):
        make_folds(3, X, y, groups)
    with pytest.raises(ValueError, match=match):
        list(LabelledSplit(3).split(X, y, groups))
    with pytest.raises(ValueError, match=match):
        run_study(cheap_models(), X, y, SIZES, cv=3, groups=groups)


def test_an_unknown_method_in_the_unlabelled_dict_is_an_error():
    X, y, _ = make_problem()
    with pytest.raises(ValueError, match=r"unlabelled names \['LogReg'\], which are not methods"):
        run_study(cheap_models(), X, y, SIZES, cv=2, unlabelled={"LogReg": "keep"})


def test_pivot_summary_keeps_every_varying_key_of_the_summary():
    results = pd.DataFrame({
        "method": ["a"] * 4, "setting": ["s"] * 4, "metric": ["UA"] * 4,
        "seed": [0, 0, 1, 1], "fold": [0, 1, 0, 1], "value": [0.8, 0.9, 0.3, 0.4],
    })
    table = pivot_summary(summarize(results, by=["method", "setting", "metric", "seed"]), digits=2)
    assert table.to_dict("records") == [
        {"method": "a", "seed": 0, "s": "0.85 ± 0.07"},
        {"method": "a", "seed": 1, "s": "0.35 ± 0.07"},
    ]


def test_transform_fold_matches_dataframe_test_columns_by_name():
    X, y, _ = make_problem(n=12)
    names = [f"c{j}" for j in range(12)]
    frame = pd.DataFrame(X, columns=names)
    modalities = {"a": names[:4], "b": names[4:7], "c": names[7:]}
    protocol = FixedConditions([("a",), ("b", "c")])
    expected = protocol.transform_fold(frame, y, frame, modalities)
    shuffled = frame[names[::-1]]
    got = protocol.transform_fold(frame, y, shuffled, modalities)
    for want, have in zip(expected, got):
        for label in want.tests:
            np.testing.assert_array_equal(want.tests[label], have.tests[label])
    with pytest.raises(ValueError, match=r"X_test's columns are not X_train's: \['c0', 'zz'\]"):
        protocol.transform_fold(frame, y, frame.rename(columns={"c0": "zz"}), modalities)


def test_label_fraction_rounds_halves_up_despite_binary_error():
    y = np.zeros(50, dtype=int)  # 0.29 * 50 = 14.5 (14.499999999999998 in floating point)
    assert np.count_nonzero(keep_label_fraction(y, 0.29, random_state=0) != -1) == 15


def test_a_single_train_test_tuple_is_not_read_as_folds():
    X, y, _ = make_problem(n=10, n_groups=5)
    for cv in [(np.arange(6), np.arange(6, 10)), ([0, 1], [2, 3])]:
        with pytest.raises(ValueError, match="fold 0 is not a \\(train, test\\) pair.*wrap it in a list"):
            make_folds(cv, X, y)
    ((train, test),) = make_folds([(np.arange(6), np.arange(6, 10))], X, y)
    assert train.tolist() == list(range(6)) and test.tolist() == [6, 7, 8, 9]
    assert len(FixedSplit([np.array([[0, 1], [2, 3]])]).folds) == 1  # a 2-row array is a pair


def test_run_study_reads_pandas_na_as_a_missing_value():
    X, y, groups = make_problem()
    X[::4, :4] = np.nan  # block m0 missing in a quarter of the rows
    frame = pd.DataFrame(X, columns=[f"c{j}" for j in range(X.shape[1])]).astype("Float64")
    assert frame.isna().to_numpy().sum() == np.isnan(X).sum()
    kwargs = {"protocols": MissingRates([0.3]), "cv": 2, "groups": groups}
    on_array = run_study(cheap_models(), X, y, SIZES, **kwargs)
    on_nullable = run_study(cheap_models(), frame, y, SIZES, **kwargs)
    pd.testing.assert_frame_equal(values_only(on_array), values_only(on_nullable))


@pytest.mark.parametrize("unlabelled", ["auto", "drop"])
def test_run_study_fits_a_pipeline_on_object_labels_mixed_with_minus_one(unlabelled):
    # Integer classes stored as objects next to the int -1: the pipeline's classifier got the
    # object array and raised "Unknown label type", in both the transformers and the drop paths.
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    rng = np.random.RandomState(0)
    y_int = np.arange(60) % 2
    X = rng.normal(size=(60, 4)) + y_int[:, None]
    y = np.where(np.arange(60) % 3 == 0, -1, y_int).astype(object)
    results = run_study(
        {"lr": make_pipeline(SimpleImputer(), LogisticRegression())}, X, y, [2, 2],
        protocols=[LabelFractions([1.0])], cv=2, unlabelled=unlabelled, error_score="raise",
    )
    assert results["value"].notna().all() and (results.loc[results.metric == "UA", "value"] > 0.7).all()


def test_protocol_values_may_come_from_a_generator():
    # A generator of rates was taken for one value and failed in float().
    assert MissingRates(r / 10 for r in range(3)).rates == MissingRates([0.0, 0.1, 0.2]).rates
    assert LabelFractions(f for f in (0.1, 1.0)).fractions == LabelFractions([0.1, 1.0]).fractions
