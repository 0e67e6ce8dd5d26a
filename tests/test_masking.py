"""Masking semantics and missing-pattern simulation, including property-based tests."""

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skmmer import ImaginationClassifier, InvariantImagination, NoiseRobustClassifier
from skmmer._random import make_generator
from skmmer.masking import (
    ModalityDropout,
    _layout_of,
    apply_condition,
    apply_modality_mask,
    hide_block,
    hide_entries,
    incomplete_matrix_from_layout,
    max_missing_rate,
    missing_conditions,
    observed_modalities,
    sample_modality_mask,
    simulate_missing,
)

SIZES = [2, 3, 1]


def test_observed_follows_the_all_nan_rule():
    X = np.ones((3, 6))
    X[0, 0:2] = np.nan  # first block missing
    X[1, 2] = np.nan  # one column of the second block: still observed
    X[2, :] = np.nan  # everything missing
    expected = [[False, True, True], [True, True, True], [False, False, False]]
    assert observed_modalities(X, SIZES).tolist() == expected


@st.composite
def nan_patterned_arrays(draw):
    n = draw(st.integers(1, 20))
    values = draw(arrays(np.float64, (n, 6), elements=st.floats(-1e6, 1e6)))
    nan_mask = draw(arrays(np.bool_, (n, 6)))
    values[nan_mask] = np.nan
    return values


@settings(max_examples=60, deadline=None)
@given(nan_patterned_arrays())
def test_observed_matrix_agrees_with_all_nan_rule_for_any_array(X):
    observed = observed_modalities(X, SIZES)
    bounds = np.cumsum([0, *SIZES])
    for m in range(len(SIZES)):
        block = X[:, bounds[m] : bounds[m + 1]]
        np.testing.assert_array_equal(observed[:, m], ~np.isnan(block).all(axis=1))


@given(nan_patterned_arrays())
def test_incomplete_blocks_are_those_with_any_nan_and_include_missing_ones(X):
    incomplete = incomplete_matrix_from_layout(X, _layout_of((X.shape[1], None), SIZES))
    bounds = np.cumsum([0, *SIZES])
    for m in range(len(SIZES)):
        np.testing.assert_array_equal(incomplete[:, m], np.isnan(X[:, bounds[m] : bounds[m + 1]]).any(axis=1))
    assert not (~observed_modalities(X, SIZES) & ~incomplete).any()


@st.composite
def observed_matrices(draw):
    n_modalities = draw(st.integers(1, 6))
    n = draw(st.integers(1, 40))
    return draw(arrays(np.bool_, (n, n_modalities)))


@settings(max_examples=80, deadline=None)
@given(
    observed_matrices(),
    st.floats(0, 1),
    st.sampled_from(["rate", "subsets", "balanced_subsets"]),
    st.integers(0, 10**6),
)
def test_simulation_keeps_one_modality_and_only_drops(observed, fraction, scheme, seed):
    rate = fraction * max_missing_rate(observed.shape[1])
    keep = sample_modality_mask(observed, scheme=scheme, rate=rate, random_state=seed)
    assert keep.shape == observed.shape
    assert not (keep & ~observed).any(), "simulation must never revive a missing modality"
    had_one = observed.any(axis=1)
    assert keep[had_one].any(axis=1).all(), "a row that had a modality must keep one"


@settings(max_examples=15, deadline=None)
@given(st.integers(2, 5), st.floats(0, 1), st.integers(0, 1000))
def test_missing_rate_matches_rate_on_complete_rows(n_modalities, fraction, seed):
    rate = fraction * max_missing_rate(n_modalities)
    observed = np.ones((20000, n_modalities), dtype=bool)
    keep = sample_modality_mask(observed, rate=rate, random_state=seed)
    assert abs((1 - keep.mean()) - rate) < 0.015


def test_rate_above_the_maximum_is_an_error():
    with pytest.raises(ValueError, match=r"must lie in \[0, 0.6667\]"):
        sample_modality_mask(np.ones((5, 3), dtype=bool), rate=0.7)


def test_subsets_scheme_draws_the_six_mmin_patterns_uniformly():
    keep = sample_modality_mask(np.ones((60000, 3), dtype=bool), scheme="subsets", random_state=0)
    patterns, counts = np.unique(keep, axis=0, return_counts=True)
    assert len(patterns) == 6  # neither empty nor full
    assert counts.min() > 0.9 * 10000 and counts.max() < 1.1 * 10000


@pytest.mark.parametrize("scheme", ["subsets", "balanced_subsets"])
def test_subset_schemes_keep_natural_patterns(scheme):
    observed = np.array([[True, False, True], [True, True, True]])
    keeps = [sample_modality_mask(observed, scheme=scheme, random_state=s) for s in range(20)]
    assert all(k[0].tolist() == [True, False, True] for k in keeps)
    assert all(0 < k[1].sum() < 3 for k in keeps)


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 5), st.floats(0.05, 1), st.integers(0, 1000))
def test_rate_on_complete_rows_only_keeps_natural_patterns(n_modalities, fraction, seed):
    rng = np.random.RandomState(seed)
    observed = rng.rand(400, n_modalities) < 0.8
    observed[:200] = True
    sampler = ModalityDropout(
        n_modalities, rate=fraction * max_missing_rate(n_modalities), complete_rows_only=True
    )
    keep = sampler(torch.as_tensor(observed), torch.Generator().manual_seed(seed)).numpy()
    complete = observed.all(axis=1)
    np.testing.assert_array_equal(keep[~complete], observed[~complete])
    assert keep[complete].any(axis=1).all() and not keep[complete].all(axis=1).all()
    # Without the flag the same rate drops modalities of incomplete rows too (the default).
    anywhere = ModalityDropout(n_modalities, rate=max_missing_rate(n_modalities))
    dropped = anywhere(torch.as_tensor(observed), torch.Generator().manual_seed(seed)).numpy()
    has_two = ~complete & (observed.sum(axis=1) >= 2)
    assert (dropped[has_two] != observed[has_two]).any() or not has_two.any()


def test_imagination_and_nmer_leave_naturally_incomplete_rows_as_they_are(monkeypatch):
    asked = []
    original = ModalityDropout.from_setting.__func__

    def spy(cls, setting, n_modalities, device="cpu", **kwargs):
        asked.append(kwargs.get("complete_rows_only", False))
        return original(cls, setting, n_modalities, device, **kwargs)

    monkeypatch.setattr(ModalityDropout, "from_setting", classmethod(spy))
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(60, 9)), np.arange(60) % 2
    for cls in (InvariantImagination, ImaginationClassifier, NoiseRobustClassifier):
        cls(modalities=[3, 3, 3], modality_dropout=0.3, max_epochs=1).fit(X, y)
    assert asked == [True, True, True]


def test_balanced_subsets_is_mmin_scheme_for_three_modalities():
    keep = sample_modality_mask(np.ones((60000, 3), dtype=bool), scheme="balanced_subsets", random_state=0)
    patterns, counts = np.unique(keep, axis=0, return_counts=True)
    assert len(patterns) == 6
    assert counts.min() > 0.9 * 10000 and counts.max() < 1.1 * 10000


def test_balanced_subsets_draws_sizes_uniformly_then_subsets_uniformly():
    n_modalities, n = 6, 100_000
    complete = np.ones((n, n_modalities), dtype=bool)
    balanced = sample_modality_mask(complete, scheme="balanced_subsets", random_state=0)
    sizes = balanced.sum(axis=1)
    np.testing.assert_allclose(np.bincount(sizes, minlength=6)[1:] / n, 0.2, atol=0.01)
    # Within a size, every modality is equally likely to be kept.
    singles = balanced[sizes == 1]
    np.testing.assert_allclose(singles.mean(axis=0), 1 / 6, atol=0.01)
    # "subsets" puts only 6 of its 62 patterns on a single modality.
    uniform = sample_modality_mask(complete, scheme="subsets", random_state=0)
    assert abs((uniform.sum(axis=1) == 1).mean() - 6 / 62) < 0.01


def test_unknown_scheme_is_an_error():
    with pytest.raises(ValueError, match="balanced_subsets"):
        sample_modality_mask(np.ones((5, 3), dtype=bool), scheme="pairs")


def test_simulation_is_repeatable_and_seed_dependent():
    X = np.random.RandomState(0).normal(size=(50, 6))
    a = simulate_missing(X, SIZES, rate=0.4, random_state=3)
    b = simulate_missing(X, SIZES, rate=0.4, random_state=3)
    c = simulate_missing(X, SIZES, rate=0.4, random_state=4)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    assert not np.array_equal(np.isnan(a), np.isnan(c))
    observed = ~np.isnan(a)
    np.testing.assert_array_equal(a[observed], X[observed])


def test_torch_sampler_runs_on_device_tensors():
    sampler = ModalityDropout(3, scheme="rate", rate=0.5)
    observed = torch.ones(1000, 3, dtype=torch.bool)
    keep = sampler(observed, make_generator(0))
    assert keep.dtype == torch.bool and keep.any(dim=1).all()


def test_missing_conditions():
    assert missing_conditions(["a", "v", "l"]) == [
        ("a",), ("v",), ("l",), ("a", "v"), ("a", "l"), ("v", "l"),
    ]
    assert missing_conditions({"x": 1, "y": 2}, include_full=True) == [("x", "y"), ("x",), ("y",)]
    six = missing_conditions(6)
    assert len(six) == 12 and ("m0",) in six and ("m1", "m2", "m3", "m4", "m5") in six
    assert len(missing_conditions(4)) == 14


def test_apply_condition_and_mask():
    X = np.arange(12.0).reshape(2, 6)
    out = apply_condition(X, {"a": 2, "b": 3, "c": 1}, keep=["b"])
    assert np.isnan(out[:, [0, 1, 5]]).all() and not np.isnan(out[:, 2:5]).any()
    with pytest.raises(ValueError, match="Unknown modality 'z'"):
        apply_condition(X, {"a": 2, "b": 3, "c": 1}, keep=["z"])
    with pytest.raises(ValueError, match="keep has shape"):
        apply_modality_mask(X, SIZES, np.ones((2, 2), dtype=bool))


@pytest.mark.parametrize(
    "name",
    ["MaskedFusionClassifier", "CrossModalMatchingClassifier", "InvariantImagination", "NoiseRobustClassifier"],
)
def test_estimators_accept_every_subset_scheme_and_reject_others(name):
    from sklearn.utils._param_validation import InvalidParameterError

    import skmmer
    from skmmer.datasets import make_multimodal_classification

    X, y, modalities = make_multimodal_classification(60, modality_sizes=(3, 3, 3, 3), random_state=0)
    est_class = getattr(skmmer, name)
    fitted = est_class(modalities=modalities, modality_dropout="balanced_subsets", max_epochs=1,
                       random_state=0).fit(X, y)
    assert fitted.predict(X).shape == (60,)
    with pytest.raises(InvalidParameterError, match="modality_dropout"):
        est_class(modalities=modalities, modality_dropout="pairs", max_epochs=1).fit(X, y)


@pytest.mark.parametrize("setting", ["subsets", "balanced_subsets"])
def test_estimator_setting_selects_its_scheme(setting):
    assert ModalityDropout.from_setting(setting, 6).scheme == setting
    with pytest.raises(ValueError, match="balanced_subsets"):
        ModalityDropout.from_setting("pairs", 6)


@settings(max_examples=60, deadline=None)
@given(nan_patterned_arrays(), nan_patterned_arrays())
def test_columns_unseen_in_training_are_missing_afterwards(X_train, X_new):
    """A column NaN in every training row counts as NaN later; a block of such
    columns counts as a missing modality, whatever values it is given."""
    import warnings

    from skmmer._preprocessing import ModalityScaler

    layout = _layout_of((6, None), SIZES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        scaler = ModalityScaler(layout).fit(X_train)
    seen = ~np.isnan(X_train).all(axis=0)
    values, observed = scaler.transform(X_new.copy())
    as_if_nan = np.where(seen, X_new, np.nan)
    values_nan, observed_nan = scaler.transform(as_if_nan)
    np.testing.assert_array_equal(values, values_nan)
    np.testing.assert_array_equal(observed, observed_nan)
    np.testing.assert_array_equal(observed, observed_modalities(as_if_nan, SIZES))
    assert np.isfinite(values).all()


@settings(max_examples=80, deadline=None)
@given(nan_patterned_arrays(), st.integers(0, len(SIZES) - 1))
def test_hide_block_hides_the_observed_block_of_exactly_the_rows_with_something_left(X, m):
    name = f"m{m}"
    hidden = hide_block(X, SIZES, name)
    observed = observed_modalities(X, SIZES)
    cols = _layout_of((X.shape[1], None), SIZES).columns[m]
    # only observed entries, only in the named block
    assert not (hidden & np.isnan(X)).any()
    assert not np.delete(hidden, cols, axis=1).any()
    # a row qualifies iff it observes the block and another modality; then
    # every observed entry of the block is hidden
    qualifies = observed[:, m] & np.delete(observed, m, axis=1).any(axis=1)
    block_observed = ~np.isnan(X[:, cols])
    assert (hidden[:, cols] == (block_observed & qualifies[:, None])).all()
    # hiding never takes a row's last observed modality
    after = observed_modalities(np.where(hidden, np.nan, X), SIZES)
    assert (after.any(axis=1) == observed.any(axis=1)).all()


@settings(max_examples=60, deadline=None)
@given(nan_patterned_arrays(), st.floats(0, 1), st.integers(0, 1000))
def test_hide_entries_hides_only_observed_entries_and_repeats_with_a_seed(X, rate, seed):
    hidden = hide_entries(X, rate, random_state=seed)
    assert hidden.shape == X.shape
    assert not (hidden & np.isnan(X)).any()
    assert (hidden == hide_entries(X, rate, random_state=seed)).all()
    if rate == 0:
        assert not hidden.any()
    if rate == 1:
        assert (hidden == ~np.isnan(X)).all()


def test_hide_entries_rate_is_the_share_of_observed_entries_hidden():
    X = np.ones((2000, 6))
    X[::2, :3] = np.nan
    hidden = hide_entries(X, 0.3, random_state=0)
    assert hidden[~np.isnan(X)].mean() == pytest.approx(0.3, abs=0.01)
    with pytest.raises(ValueError, match="rate must be in"):
        hide_entries(X, 1.5)


def test_hide_block_names_an_unknown_modality_in_its_error():
    with pytest.raises(ValueError, match="Unknown modality 'video'"):
        hide_block(np.ones((2, 6)), {"audio": 3, "text": 3}, "video")


@pytest.mark.parametrize(
    "function",
    [
        lambda X: observed_modalities(X, None),
        lambda X: simulate_missing(X, None, rate=0.0),
        lambda X: hide_entries(X, 0.5),
    ],
    ids=["observed_modalities", "simulate_missing", "hide_entries"],
)
@pytest.mark.parametrize("shape", [(6,), (2, 3, 2)])
def test_x_that_is_not_two_dimensional_is_an_error(function, shape):
    with pytest.raises(ValueError, match=rf"Expected a 2-D array of shape \(n_samples, n_features\), got {len(shape)}-D"):
        function(np.ones(shape))


@pytest.mark.parametrize("observed", [np.ones(3, dtype=bool), np.ones((2, 3, 2), dtype=bool)])
def test_sample_modality_mask_rejects_an_observed_matrix_that_is_not_two_dimensional(observed):
    with pytest.raises(ValueError, match=r"observed must be a 2-D boolean matrix \(n_samples, n_modalities\)"):
        sample_modality_mask(observed)


def test_subsets_scheme_handles_62_modalities_and_rejects_more():
    keep = sample_modality_mask(np.ones((200, 62), dtype=bool), scheme="subsets", random_state=0)
    kept = keep.sum(axis=1)
    assert ((kept >= 1) & (kept <= 61)).all()
    assert keep.any(axis=0).all()  # every modality is kept somewhere, the high bits included
    with pytest.raises(ValueError, match="scheme='subsets' supports at most 62 modalities"):
        sample_modality_mask(np.ones((2, 63), dtype=bool), scheme="subsets")
    # the balanced scheme draws ranks, not bit patterns: no such limit
    keep = sample_modality_mask(np.ones((5, 63), dtype=bool), scheme="balanced_subsets", random_state=0)
    assert (keep.sum(axis=1) >= 1).all() and (keep.sum(axis=1) <= 62).all()


def test_missing_conditions_names_a_list_of_sizes_m0_m1():
    assert missing_conditions([2, 3]) == [("m0",), ("m1",)]
    assert missing_conditions(np.array([1, 1, 4]), include_full=True) == [
        ("m0", "m1", "m2"), ("m0",), ("m1",), ("m2",), ("m0", "m1"), ("m0", "m2"), ("m1", "m2"),
    ]


@pytest.mark.parametrize(
    "bad, error, message",
    [
        (None, TypeError, "number of modalities, a list of names"),
        ("avl", TypeError, "got 'avl'"),  # a string is not a list of one-letter names
        (True, TypeError, "got True"),
        (0, ValueError, "at least one modality"),
        (["a", "a"], ValueError, "repeat a name"),
    ],
)
def test_missing_conditions_rejects_what_names_no_modalities(bad, error, message):
    with pytest.raises(error, match=message):
        missing_conditions(bad)


def test_estimator_rate_setting_gives_a_rate_sampler_and_zero_gives_none():
    assert ModalityDropout.from_setting(0.0, 3) is None
    sampler = ModalityDropout.from_setting(0.5, 3)
    assert (sampler.scheme, sampler.rate) == ("rate", 0.5)
    with pytest.raises(ValueError, match=r"rate=0.9 is not reachable with 3 modalities"):
        ModalityDropout.from_setting(0.9, 3)


def test_a_positive_rate_with_one_modality_says_it_needs_two():
    with pytest.raises(ValueError, match=r"rate=0.2 needs at least two modalities: with one"):
        simulate_missing(np.ones((4, 3)), [3], rate=0.2, random_state=0)
    np.testing.assert_array_equal(simulate_missing(np.ones((4, 3)), [3], rate=0.0), np.ones((4, 3)))


@pytest.mark.parametrize("scheme", ["rate", "subsets", "balanced_subsets"])
@pytest.mark.parametrize("shape", [(4, 1), (0, 3)], ids=["one-modality", "no-rows"])
def test_nothing_to_drop_keeps_the_observed_matrix(scheme, shape):
    observed = np.zeros(shape, dtype=bool)
    observed[::2] = True
    keep = sample_modality_mask(observed, scheme=scheme, rate=0.0, random_state=0)
    np.testing.assert_array_equal(keep, observed)


def test_pandas_nullable_columns_read_na_as_nan_like_the_estimators():
    frame = pd.DataFrame({
        "a": pd.array([1.0, None, 3.0, None], dtype="Float64"),
        "b": pd.array([1, None, 2, 5], dtype="Int64"),
        "c": [1.0, 2.0, np.nan, 4.0],
    })
    plain = frame.astype("float64").to_numpy()
    modalities = {"ab": ["a", "b"], "c": ["c"]}
    np.testing.assert_array_equal(observed_modalities(frame, modalities), observed_modalities(plain, [2, 1]))
    assert observed_modalities(frame, modalities).tolist() == [[True, True], [False, True], [True, False], [True, True]]
    np.testing.assert_array_equal(
        simulate_missing(frame, modalities, rate=0.3, random_state=0),
        simulate_missing(plain, [2, 1], rate=0.3, random_state=0),
    )
    np.testing.assert_array_equal(hide_entries(frame, 0.5, random_state=0), hide_entries(plain, 0.5, random_state=0))
    np.testing.assert_array_equal(hide_block(frame, modalities, "c"), hide_block(plain, {"ab": 2, "c": 1}, "c"))


@pytest.mark.parametrize(
    "function",
    [
        lambda X: observed_modalities(X, {"audio": 2, "text": 1}),
        lambda X: simulate_missing(X, {"audio": 2, "text": 1}, rate=0.3, random_state=0),
        lambda X: hide_block(X, {"audio": 2, "text": 1}, "audio"),
        lambda X: apply_condition(X, {"audio": 2, "text": 1}, ("audio",)),
    ],
    ids=["observed_modalities", "simulate_missing", "hide_block", "apply_condition"],
)
def test_inf_is_an_error_naming_the_column_and_modality(function):
    X = np.ones((4, 3))
    X[2, 1] = -np.inf
    with pytest.raises(ValueError, match="infinity in column 1 of modality 'audio'. Replace inf"):
        function(X)


def test_hide_entries_rejects_inf_naming_the_column():
    frame = pd.DataFrame({"x": [1.0, 2.0], "y": [np.inf, 0.0]})
    with pytest.raises(ValueError, match=r"infinity in column 1 \('y'\)\. Replace inf"):
        hide_entries(frame, 0.3)
