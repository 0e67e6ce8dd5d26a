"""Every bad input gets a clear error that says what is wrong."""

import numpy as np
import pandas as pd
import pytest
from _views import MODALITIES, shared_latent_views

from skmmer import (
    CrossModalMatchingClassifier,
    ImaginationClassifier,
    InvariantImagination,
    MaskedFusionClassifier,
    NoiseRobustClassifier,
)


def data(n=40, d=6):
    rng = np.random.RandomState(0)
    return rng.normal(size=(n, d)), np.arange(n) % 2


def clf(**kw):
    return MaskedFusionClassifier(**{"modalities": [2, 4], "max_epochs": 2, **kw})


def test_inf_names_the_column_and_modality():
    X, y = data()
    X[3, 4] = np.inf
    with pytest.raises(ValueError, match=r"infinity in column 4 of modality 'm1'"):
        clf().fit(X, y)


def test_inf_names_dataframe_columns():
    X, y = data()
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    frame.iloc[0, 1] = -np.inf
    with pytest.raises(ValueError, match=r"column 1 \('f1'\) of modality 'm0'"):
        clf().fit(frame, y)


def test_inf_at_predict():
    X, y = data()
    fitted = clf().fit(X, y)
    X[0, 0] = np.inf
    with pytest.raises(ValueError, match="contains infinity"):
        fitted.predict(X)


def test_wrong_number_of_columns_at_predict():
    X, y = data()
    fitted = clf().fit(X, y)
    with pytest.raises(ValueError, match="X has 5 features, but MaskedFusionClassifier is expecting 6"):
        fitted.predict(X[:, :5])


def test_overlapping_modalities():
    X, y = data()
    with pytest.raises(ValueError, match=r"blocks 'a' and 'b' overlap on columns \[2\]"):
        clf(modalities={"a": [0, 1, 2], "b": [2, 3, 4, 5]}).fit(X, y)


def test_incomplete_modalities():
    X, y = data()
    with pytest.raises(ValueError, match=r"columns \[5\] belong to no block"):
        clf(modalities={"a": [0, 1, 2], "b": [3, 4]}).fit(X, y)


def test_sizes_not_matching_width():
    X, y = data()
    with pytest.raises(ValueError, match="add up to 5 columns but X has 6"):
        clf(modalities=[2, 3]).fit(X, y)


def test_no_labelled_rows():
    X, _ = data()
    with pytest.raises(ValueError, match="y has no labelled rows"):
        clf().fit(X, -np.ones(len(X), dtype=int))


@pytest.mark.parametrize(
    "missing_label",
    [
        lambda y: np.where(np.arange(len(y)) < 3, np.nan, y.astype(float)),
        lambda y: pd.Series(y, dtype="Int64").mask(pd.Series(np.arange(len(y)) < 3)),
        lambda y: np.where(np.arange(len(y)) < 3, None, np.array(["a", "b"])[y]).astype(object),
    ],
    ids=["float-nan", "pandas-NA", "object-None"],
)
def test_nan_label_points_to_the_minus_one_convention(missing_label):
    X, y = data()
    with pytest.raises(ValueError, match=r"Input y contains NaN\. .* of 3 rows\. Mark unlabelled rows with -1"):
        clf().fit(X, missing_label(y))


def test_single_labelled_class():
    X, _ = data()
    y = np.full(len(X), -1)
    y[:5] = 1
    with pytest.raises(ValueError, match="only one class"):
        clf().fit(X, y)


def test_one_dimensional_X():
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        clf().fit(np.ones(10), np.arange(10) % 2)


def test_empty_X():
    with pytest.raises(ValueError, match="0 sample"):
        clf().fit(np.empty((0, 6)), np.empty(0))


def test_feature_level_nan_is_not_an_error():
    X, y = data()
    X[::3, 1] = np.nan  # partial: block m0 is still observed in those rows
    fitted = clf().fit(X, y)
    assert fitted.predict(X).shape == (len(X),)


def test_invalid_parameter_value():
    X, y = data()
    with pytest.raises(ValueError, match="'fusion' parameter"):
        clf(fusion="max").fit(X, y)


def test_modality_dropout_above_reachable_rate():
    X, y = data()
    with pytest.raises(ValueError, match="modality_dropout=0.9 is not reachable with 2 modalities"):
        clf(modality_dropout=0.9).fit(X, y)


def test_modality_missing_in_every_training_row_warns_and_is_ignored_later():
    X, y = data()
    X_train = X.copy()
    X_train[:, :2] = np.nan  # modality m0 never observed
    with pytest.warns(UserWarning, match=r"\['m0'\] are missing in every training row"):
        fitted = clf().fit(X_train, y)
    np.testing.assert_array_equal(fitted.predict_proba(X), fitted.predict_proba(X_train))


def test_column_missing_in_every_training_row_is_named_and_ignored_later():
    X, y = data()
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    train = frame.copy()
    train["f4"] = np.nan  # one column of modality m1, which is otherwise observed
    with pytest.warns(UserWarning, match="'f4' of modality 'm1'"):
        fitted = clf().fit(train, y)
    np.testing.assert_array_equal(fitted.predict_proba(frame), fitted.predict_proba(train))


def test_imputer_fills_a_column_unseen_in_training_with_zero_and_keeps_given_values():
    from skmmer import DiffusionImputer

    X, _ = data()
    X_train = X.copy()
    X_train[:, 4] = np.nan
    with pytest.warns(UserWarning, match="column 4 of modality 'm1'"):
        imputer = DiffusionImputer(modalities=[2, 4], max_epochs=2, n_steps=2, random_state=0).fit(X_train)
    filled = imputer.transform(X_train)
    np.testing.assert_array_equal(filled[:, 4], 0.0)
    # Block m0 missing, column 4 given: its value is returned unchanged and is no
    # evidence for the imputation of m0, which equals the one with column 4 NaN.
    query = X.copy()
    query[:, :2] = np.nan
    without = query.copy()
    without[:, 4] = np.nan
    out, out_without = imputer.transform(query), imputer.transform(without)
    np.testing.assert_array_equal(out[:, 4], X[:, 4])
    np.testing.assert_array_equal(out[:, :2], out_without[:, :2])


def test_column_names_with_an_array_point_to_pandas_output():
    X, y = data()
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    by_name = {"a": ["f0", "f1"], "b": ["f2", "f3", "f4", "f5"]}
    pipeline = make_pipeline(StandardScaler(), clf(modalities=by_name))
    with pytest.raises(ValueError, match=r'set_output\(transform="pandas"\)'):
        pipeline.fit(frame, y)
    assert pipeline.set_output(transform="pandas").fit(frame, y).score(frame, y) > 0


def test_labelled_rows_with_no_modality_observed_are_counted_in_a_warning():
    X, y = data(n=60)
    X[:6] = np.nan  # six labelled rows with nothing observed: no label signal
    with pytest.warns(UserWarning, match=r"6 of the 60 labelled rows have no modality observed") as record:
        clf().fit(X, y)
    assert "No labelled row of the classes" not in str(record[0].message)  # both classes keep rows


def test_a_class_whose_labelled_rows_all_have_nothing_observed_is_named():
    X, y = data(n=60)
    y = np.arange(60) % 3
    X[y == 2] = np.nan
    with pytest.warns(UserWarning, match=r"No labelled row of the classes \[2\] has a modality observed"):
        clf().fit(X, y)


@pytest.mark.filterwarnings("ignore:Modalities .* are missing in every labelled training row")
def test_every_labelled_row_with_nothing_observed_is_an_error():
    X, y = data(n=60)
    y = np.where(np.arange(60) % 3 == 0, y, -1)
    X[y >= 0] = np.nan  # only the unlabelled rows have input
    with pytest.raises(ValueError, match="None of the 20 labelled rows of X has a modality observed"):
        clf().fit(X, y)


#: Every estimator with ``modality_dropout``; the stage-wise ones draw their masks only in stage 2.
WITH_MODALITY_DROPOUT = [
    MaskedFusionClassifier, CrossModalMatchingClassifier, ImaginationClassifier,
    InvariantImagination, NoiseRobustClassifier,
]


@pytest.mark.parametrize("cls", WITH_MODALITY_DROPOUT)
def test_an_unreachable_modality_dropout_is_refused_before_any_training(cls, monkeypatch):
    # The stage-wise estimators used to refuse it at stage 2, after stage 1 had trained,
    # without naming the parameter.
    X, y = shared_latent_views(40)

    def no_training(self, *args, **kwargs):
        raise AssertionError("trained before checking modality_dropout")

    monkeypatch.setattr(cls, "_train", no_training)
    with pytest.raises(ValueError, match=r"modality_dropout=0.9 is not reachable with 3 modalities"):
        cls(modalities=MODALITIES, modality_dropout=0.9, max_epochs=2).fit(X, y)


@pytest.mark.parametrize("cls", WITH_MODALITY_DROPOUT)
@pytest.mark.parametrize("modality_dropout", [0.5, "subsets", "balanced_subsets"])
def test_modality_dropout_with_a_single_modality_does_nothing_whatever_its_setting(cls, modality_dropout):
    # A rate used to be an error there while a subset scheme was silently ignored.
    X, y = shared_latent_views(60)
    params = dict(modalities=None, max_epochs=2, random_state=0)
    without = cls(modality_dropout=0.0, **params).fit(X, y).predict_proba(X)
    fitted = cls(modality_dropout=modality_dropout, **params).fit(X, y)
    np.testing.assert_array_equal(fitted.predict_proba(X), without)
