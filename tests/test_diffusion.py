"""Tests of DiffusionImputer: conditioning, observed values, draws, calibration, pipelines."""

import copy

import numpy as np
import pytest
import torch
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import InvalidParameterError

from skmmer.impute import DiffusionImputer
from skmmer.impute._score_network import row_keys, row_normal
from skmmer.masking import hide_block
from skmmer.metrics import imputation_rmse, imputation_scorer

FAST = dict(hidden_dim=64, n_layers=2, max_epochs=80, batch_size=64, n_steps=8, random_state=0)


def _functional_data(n=600, seed=0):
    """Block "b" is a deterministic nonlinear function of block "a"; "c" is noise."""
    rng = np.random.RandomState(seed)
    a = rng.normal(size=(n, 4))
    W = rng.normal(size=(4, 3))
    b = np.tanh(a @ W) * 2.0 + 5.0
    c = rng.normal(size=(n, 2))
    return np.hstack([a, b, c]), {"a": 4, "b": 3, "c": 2}


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    """Small networks: one thread is faster than two on a shared 2-core machine."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def fitted():
    X, modalities = _functional_data()
    X_train = X[:500].copy()
    rng = np.random.RandomState(1)
    X_train[rng.rand(500) < 0.2, 4:7] = np.nan  # some rows miss block b in training
    return DiffusionImputer(modalities=modalities, **FAST).fit(X_train), X[500:]


def test_conditioning_recovers_a_function_of_the_observed_block(fitted):
    imp, X_test = fitted
    X_miss = X_test.copy()
    X_miss[:, 4:7] = np.nan
    truth = X_test[:, 4:7]
    scale = truth.std(axis=0)
    mean_err = np.sqrt((((truth.mean(axis=0) - truth) / scale) ** 2).mean())
    assert mean_err > 0.9

    def error(imputed):
        return np.sqrt((((imputed[:, 4:7] - truth) / scale) ** 2).mean())

    err_conditional = error(imp.transform(X_miss))  # default: the conditional mean
    try:
        err_one = error(imp.set_params(sample_posterior=True).transform(X_miss))
        err_mean = error(imp.set_params(n_draws=5).transform(X_miss))
    finally:
        imp.set_params(sample_posterior=False, n_draws=1)
    assert err_one < 0.7 * mean_err, (err_one, mean_err)
    assert err_mean < 0.4 * mean_err, (err_mean, mean_err)
    assert err_mean < err_one
    assert err_conditional < 0.4 * mean_err, (err_conditional, mean_err)
    assert err_conditional < err_one


def test_conditional_mean_is_the_centre_of_the_draws_and_row_independent(fitted):
    imp, X_test = fitted
    X_miss = X_test[:40].copy()
    X_miss[:, 4:7] = np.nan
    conditional = imp.transform(X_miss)[:, 4:7]
    draws = imp.sample(X_miss, n_draws=30)[:, :, 4:7]
    spread = draws.std(axis=0).mean()
    gap = np.abs(conditional - draws.mean(axis=0)).mean()
    assert spread > 0.05 and gap < spread, (gap, spread)
    np.testing.assert_array_equal(imp.transform(X_miss)[:, 4:7], conditional)  # deterministic
    np.testing.assert_allclose(imp.transform(X_miss[::-1])[::-1, 4:7], conditional, atol=1e-5)
    np.testing.assert_allclose(imp.transform(X_miss[3:4])[:, 4:7], conditional[3:4], atol=1e-5)


def test_condition_is_used(fitted):
    """The same hidden block imputed from different observed blocks must differ."""
    imp, X_test = fitted
    X_miss = X_test[:50].copy()
    X_miss[:, 4:7] = np.nan
    X_swapped = X_miss.copy()
    X_swapped[:, :4] = X_miss[::-1, :4]
    out_swapped = imp.transform(X_swapped)[:, 4:7]
    truth = X_test[:50, 4:7]
    # the imputations follow block a: they match the truth of the rows a came from
    follows = np.corrcoef(out_swapped.ravel(), truth[::-1].ravel())[0, 1]
    ignores = np.corrcoef(out_swapped.ravel(), truth.ravel())[0, 1]
    assert follows > 0.7 and follows > ignores + 0.3, (follows, ignores)


def test_observed_values_bit_for_bit_and_no_nan(fitted):
    imp, X_test = fitted
    X_miss = X_test.copy()
    X_miss[::2, 4:7] = np.nan
    X_miss[1::4, :4] = np.nan
    X_miss[3, 0] = np.nan  # feature-level NaN
    X_miss[5] = np.nan  # nothing observed
    out = imp.transform(X_miss)
    observed = ~np.isnan(X_miss)
    assert out.dtype == np.float64
    assert np.array_equal(out[observed], X_miss[observed])
    assert np.isfinite(out).all()
    draws = imp.sample(X_miss, n_draws=3)
    assert np.isfinite(draws).all()
    assert all(np.array_equal(d[observed], X_miss[observed]) for d in draws)


def test_sample_shapes_and_repeatability(fitted):
    imp, X_test = fitted
    X_miss = X_test[:20].copy()
    X_miss[:, 7:] = np.nan
    draws = imp.sample(X_miss, n_draws=5)
    assert draws.shape == (5, 20, 9)
    assert np.array_equal(draws, imp.sample(X_miss, n_draws=5))
    # the draws differ from each other for the missing entries
    assert draws[:, :, 7:].std(axis=0).mean() > 0.05
    # with sample_posterior, transform with n_draws=k is the mean of the first k draws
    try:
        mean3 = imp.set_params(sample_posterior=True, n_draws=3).transform(X_miss)
        one = imp.set_params(n_draws=1).transform(X_miss)
    finally:
        imp.set_params(sample_posterior=False, n_draws=1)
    np.testing.assert_allclose(mean3[:, 7:], draws[:3, :, 7:].mean(axis=0))
    np.testing.assert_array_equal(one, draws[0])
    with pytest.raises(ValueError, match="n_draws"):
        imp.sample(X_miss, n_draws=0)


def test_row_independence_of_draws(fitted):
    imp, X_test = fitted
    X_miss = X_test[:30].copy()
    X_miss[:, 4:7] = np.nan
    whole = imp.sample(X_miss, n_draws=2)
    order = np.random.RandomState(0).permutation(30)
    np.testing.assert_allclose(imp.sample(X_miss[order], n_draws=2), whole[:, order], atol=1e-5)
    np.testing.assert_allclose(imp.sample(X_miss[7:8], n_draws=2), whole[:, 7:8], atol=1e-5)


def test_calibration_sanity(fitted):
    """Where the truth is noise (block c, independent of the rest), 90% intervals cover ~90%."""
    imp, X_test = fitted
    X_miss = X_test.copy()
    X_miss[:, 7:] = np.nan
    draws = imp.sample(X_miss, n_draws=30)
    lo, hi = np.quantile(draws[:, :, 7:], [0.05, 0.95], axis=0)
    truth = X_test[:, 7:]
    coverage = ((truth >= lo) & (truth <= hi)).mean()
    assert 0.7 < coverage < 0.99, coverage
    # intervals are far narrower for the predictable block b than for block c
    X_b = X_test.copy()
    X_b[:, 4:7] = np.nan
    draws_b = imp.sample(X_b, n_draws=30)
    width_b = np.diff(np.quantile(draws_b[:, :, 4:7], [0.05, 0.95], axis=0), axis=0).mean()
    width_c = np.diff(np.quantile(draws[:, :, 7:], [0.05, 0.95], axis=0), axis=0).mean()
    assert width_b / X_test[:, 4:7].std() < 0.5 * width_c / X_test[:, 7:].std()


def test_counter_based_noise():
    X = np.random.RandomState(0).normal(size=(50, 4))
    X[3, 1] = np.nan
    keys = row_keys(X, seed=0)
    assert len(np.unique(keys)) == 50
    np.testing.assert_array_equal(row_keys(X[::-1], seed=0), keys[::-1])
    assert not np.array_equal(row_keys(X, seed=1), keys)
    many = row_keys(np.random.RandomState(1).normal(size=(10_000, 3)), seed=0)
    z = row_normal(many, 0, 100).astype(np.float64)  # 1e6 values
    assert abs(z.mean()) < 0.005 and abs(z.std() - 1) < 0.005
    assert abs(np.mean(z[:, 0] * z[:, 1])) < 0.05  # columns uncorrelated
    assert abs(np.mean(z * row_normal(many, 1, 100))) < 0.005  # streams uncorrelated
    assert not np.array_equal(row_normal(keys, 1, 4), row_normal(keys, 0, 4))


def test_pipeline_grid_search_and_pandas_output():
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    n = 200
    y = np.arange(n) % 2
    X = rng.normal(size=(n, 6)) + 1.5 * y[:, None]
    X[rng.rand(n) < 0.3, :3] = np.nan
    pipe = Pipeline([
        ("impute", DiffusionImputer(modalities=[3, 3], hidden_dim=16, n_layers=1, max_epochs=5,
                                    n_steps=3, random_state=0)),
        ("clf", LogisticRegression()),
    ])
    search = GridSearchCV(pipe, {"impute__n_steps": [2, 4]}, cv=2).fit(X, y)
    assert search.best_score_ > 0.8

    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    imp = DiffusionImputer(modalities={"u": ["f0", "f1", "f2"], "v": ["f3", "f4", "f5"]},
                           hidden_dim=16, n_layers=1, max_epochs=5, n_steps=3, random_state=0)
    out = imp.set_output(transform="pandas").fit_transform(frame)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(frame.columns)
    assert not out.isna().any().any()
    np.testing.assert_array_equal(imp.get_feature_names_out(), frame.columns)


def test_ve_schedule_samples_conditionally_and_repeatably():
    """IMDer's VE schedule and its Euler-Maruyama sampler: draws that use the condition."""
    X, modalities = _functional_data()
    imp = DiffusionImputer(modalities=modalities, schedule="ve", **{**FAST, "n_steps": 30})
    imp.fit(X[:500])
    X_test = X[500:]
    X_miss = X_test.copy()
    X_miss[:, 4:7] = np.nan
    X_miss[0, 0] = np.nan  # feature-level NaN in an observed block
    draws = imp.sample(X_miss, n_draws=4)
    observed = ~np.isnan(X_miss)
    assert draws.shape == (4, 100, 9) and np.isfinite(draws).all()
    assert all(np.array_equal(d[observed], X_miss[observed]) for d in draws)
    assert np.array_equal(draws, imp.sample(X_miss, n_draws=4))
    assert draws[:, :, 4:7].std(axis=0).mean() > 0.01  # fresh noise at every step
    truth = X_test[:, 4:7]
    scale = truth.std(axis=0)

    def error(block):
        return np.sqrt((((block - truth) / scale) ** 2).mean())

    mean_err = error(truth.mean(axis=0))
    assert mean_err > 0.9
    draws = draws[:, :, 4:7]
    assert error(draws[0]) < 0.7 * mean_err, (error(draws[0]), mean_err)
    assert error(draws.mean(axis=0)) < 0.5 * mean_err


def test_ve_schedule_and_errors():
    X, modalities = _functional_data(n=200)
    imp = DiffusionImputer(modalities=modalities, hidden_dim=16, n_layers=1, max_epochs=3,
                           schedule="ve", n_steps=5, random_state=0).fit(X)
    X_miss = X.copy()
    X_miss[:, 4:7] = np.nan
    assert np.isfinite(imp.transform(X_miss)).all()
    with pytest.raises(ValueError, match="schedule"):
        DiffusionImputer(schedule="vp").fit(X)
    X_inf = X.copy()
    X_inf[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        imp.fit(X_inf)


def test_imputation_scorer_rates_the_fitted_imputer_above_the_mean(fitted):
    imp, X_test = fitted
    mean = SimpleImputer().fit(_functional_data()[0][:500])
    blocks = imputation_scorer(imp.modalities)
    # block b is a function of block a: the conditional model recovers it and
    # the mean cannot, so the mean over the three blocks separates the two
    assert blocks(imp, X_test) > blocks(mean, X_test)
    hidden = hide_block(X_test, imp.modalities, "b")
    error_b = imputation_rmse(X_test, imp.transform(np.where(hidden, np.nan, X_test)), hidden)
    assert error_b < 0.4


@pytest.mark.parametrize(
    "params, name",
    [
        (dict(sample_posterior=True, n_draws=0), "n_draws"),  # returned NaN
        (dict(sample_posterior=True, n_draws=2.5), "n_draws"),  # a cryptic TypeError
        (dict(sample_posterior=True, n_steps=0), "n_steps"),  # returned the mean, no draw
        (dict(sample_posterior="yes"), "sample_posterior"),
    ],
)
def test_prediction_parameters_set_after_fit_are_checked_at_transform(fitted, params, name):
    imp, X_test = fitted
    imp = copy.deepcopy(imp).set_params(**params)
    X_miss = X_test[:5].copy()
    X_miss[:, 4:7] = np.nan  # block b to impute
    with pytest.raises(InvalidParameterError, match=f"The '{name}' parameter of DiffusionImputer"):
        imp.transform(X_miss)


def test_sample_checks_its_n_draws_and_the_n_steps_parameter(fitted):
    imp, X_test = fitted
    with pytest.raises(InvalidParameterError, match="'n_draws' parameter .* Got 0 instead"):
        imp.sample(X_test[:5], n_draws=0)
    with pytest.raises(InvalidParameterError, match="'n_steps' parameter .* Got 0 instead"):
        copy.deepcopy(imp).set_params(n_steps=0).sample(X_test[:5], n_draws=2)


def test_add_indicator_appends_one_missing_block_column_per_modality(fitted):
    imp, X_test = fitted
    X_miss = X_test[:20].copy()
    X_miss[:8, 4:7] = np.nan  # block b missing in 8 rows
    X_miss[5:10, 7:9] = np.nan  # block c missing in 5 rows
    X_miss[15, 0] = np.nan  # one feature of block a: not a missing block
    plain = imp.transform(X_miss)
    with_indicator = copy.deepcopy(imp).set_params(add_indicator=True)  # no refit needed
    out = with_indicator.transform(X_miss)
    assert out.shape == (20, 9 + 3)
    np.testing.assert_array_equal(out[:, :9], plain)
    expected = np.zeros((20, 3))
    expected[:8, 1] = 1.0
    expected[5:10, 2] = 1.0
    np.testing.assert_array_equal(out[:, 9:], expected)
    names = with_indicator.get_feature_names_out()
    assert names[:9].tolist() == [f"x{i}" for i in range(9)]
    assert names[9:].tolist() == ["missingindicator_a", "missingindicator_b", "missingindicator_c"]
    # the scorer compares the imputed columns only, with or without indicators
    scorer = imputation_scorer(imp.modalities)
    assert scorer(with_indicator, X_test) == scorer(imp, X_test)


def test_add_indicator_in_a_pandas_pipeline():
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    y = np.arange(120) % 2
    frame = pd.DataFrame(rng.normal(size=(120, 4)) + y[:, None], columns=["a0", "a1", "v0", "v1"])
    frame.iloc[rng.rand(120) < 0.3, 2:] = np.nan
    imp = DiffusionImputer(modalities={"audio": ["a0", "a1"], "video": ["v0", "v1"]}, add_indicator=True,
                           hidden_dim=16, n_layers=1, max_epochs=3, n_steps=2, random_state=0)
    out = imp.set_output(transform="pandas").fit_transform(frame)
    assert list(out.columns) == ["a0", "a1", "v0", "v1", "missingindicator_audio", "missingindicator_video"]
    np.testing.assert_array_equal(out["missingindicator_video"], frame["v0"].isna().astype(float))
    pipe = Pipeline([("impute", imp), ("clf", LogisticRegression())]).fit(frame, y)
    assert pipe[-1].n_features_in_ == 6


def test_imputation_scorer_ignores_sklearn_indicator_columns():
    X, modalities = _functional_data(n=200)
    X_train = X[:150].copy()
    X_train[:20, 4:7] = np.nan
    scorer = imputation_scorer(modalities)
    plain = SimpleImputer().fit(X_train)
    flagged = SimpleImputer(add_indicator=True).fit(X_train)
    assert scorer(flagged, X[150:]) == scorer(plain, X[150:])
