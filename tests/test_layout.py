"""The ``modalities`` parameter: every accepted form and every error."""

import numpy as np
import pandas as pd
import pytest

from skmmer import MaskedFusionClassifier
from skmmer._layout import resolve_modalities


def cols(layout):
    return {n: c.tolist() for n, c in zip(layout.names, layout.columns)}


def test_none_is_one_block():
    layout = resolve_modalities(None, 4)
    assert cols(layout) == {"all": [0, 1, 2, 3]}


def test_list_of_sizes_in_column_order():
    assert cols(resolve_modalities([2, 1, 3], 6)) == {"m0": [0, 1], "m1": [2], "m2": [3, 4, 5]}


def test_dict_of_sizes_keeps_order():
    layout = resolve_modalities({"audio": 2, "text": 3}, 5)
    assert cols(layout) == {"audio": [0, 1], "text": [2, 3, 4]}


def test_dict_of_indices_and_slices():
    layout = resolve_modalities({"v": [4, 0], "a": slice(1, 4)}, 5)
    assert cols(layout) == {"v": [4, 0], "a": [1, 2, 3]}


def test_dict_of_column_names():
    names = np.array(["x1", "x2", "t1"], dtype=object)
    layout = resolve_modalities({"text": ["t1"], "x": ["x1", "x2"]}, 3, names)
    assert cols(layout) == {"text": [2], "x": [0, 1]}


def test_a_single_column_name_is_one_column_not_its_letters():
    names = np.array(["f0", "f", "0"], dtype=object)
    layout = resolve_modalities({"a": "f0", "b": ["f", "0"]}, 3, names)
    assert cols(layout) == {"a": [0], "b": [1, 2]}


def test_integers_are_positions_even_when_dataframe_labels_are_integers():
    X = pd.DataFrame(np.random.RandomState(0).normal(size=(30, 4)), columns=[3, 2, 1, 0])
    fitted = MaskedFusionClassifier({"a": [0, 1], "b": [2, 3]}, max_epochs=1).fit(X, np.arange(30) % 2)
    assert {k: v.tolist() for k, v in fitted.modalities_.items()} == {"a": [0, 1], "b": [2, 3]}
    with pytest.raises(ValueError, match="all of its column labels strings"):
        MaskedFusionClassifier({"a": ["0", "1"], "b": ["2", "3"]}, max_epochs=1).fit(X, np.arange(30) % 2)


@pytest.mark.parametrize(
    "modalities, match",
    [
        ([2, 2], "add up to 4 columns but X has 5"),
        ({"a": [0, 1, 2], "b": [2, 3, 4]}, r"blocks 'a' and 'b' overlap on columns \[2\]"),
        ({"a": [0, 1], "b": [3]}, r"columns \[2, 4\] belong to no block"),
        ({"a": [0, 7]}, r"column indices \[7\] outside 0..4"),
        ({"a": 2, "b": [2, 3, 4]}, "mix of block sizes and column lists"),
        ([2, 0, 3], "must be a positive integer"),
        ({"a": []}, "has no columns"),
        ({}, "the dict is empty"),
        ("abc", "must be None, a list of block sizes, or a dict"),
        ({"a": ["c1"], "b": [1, 2, 3, 4]}, "needs X to be a pandas DataFrame"),
        ({"a": [0, 1, 1], "b": [2, 3, 4]}, "block 'a' lists a column more than once"),
        ({"a": [0.0, 1.0], "b": [2, 3, 4]}, r"block 'a' must be a size, .* got \[0.0, 1.0\]"),
        ({"a": [True, False], "b": [2, 3, 4]}, r"block 'a' must be a size, .* got \[True, False\]"),
        ({1: 2, "1": 3}, "two blocks have the same name once converted to str"),
        ([], "the list is empty; give at least one block size"),
        (np.array([], dtype=int), "the list is empty; give at least one block size"),
    ],
)
def test_bad_modalities_name_the_problem(modalities, match):
    with pytest.raises(ValueError, match=match):
        resolve_modalities(modalities, 5)


def test_unknown_column_names():
    with pytest.raises(ValueError, match=r"names columns \['zz'\] that are not in X"):
        resolve_modalities({"a": ["zz"]}, 1, np.array(["x"], dtype=object))


def test_a_long_list_of_columns_is_cut_after_ten_with_the_count():
    with pytest.raises(ValueError) as error:
        resolve_modalities({"a": [0]}, 13)
    assert "columns [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, ... (12 in all)] belong to no block" in str(error.value)
    names = np.array([f"c{i}" for i in range(12)], dtype=object)
    with pytest.raises(ValueError, match=r"overlap on columns \[c0, c1, .*, c9, \.\.\. \(12 in all\)\]"):
        resolve_modalities({"a": list(names), "b": list(names)}, 12, names)


def test_dataframe_column_names_given_twice_in_a_block_are_an_error():
    names = np.array(["a1", "a2", "b1"], dtype=object)
    with pytest.raises(ValueError, match="block 'a' lists a column more than once"):
        resolve_modalities({"a": ["a1", "a1", "a2"], "b": ["b1"]}, 3, names)


def test_uncovered_columns_reported_by_name():
    names = np.array(["a1", "a2", "b1"], dtype=object)
    with pytest.raises(ValueError, match=r"columns \[b1\] belong to no block"):
        resolve_modalities({"a": ["a1", "a2"]}, 3, names)


def test_estimator_sets_fitted_layout_from_dataframe_names():
    from skmmer import MaskedFusionClassifier

    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.normal(size=(40, 3)), columns=["a1", "b1", "a2"])
    y = np.arange(40) % 2
    clf = MaskedFusionClassifier(modalities={"a": ["a1", "a2"], "b": ["b1"]}, max_epochs=2)
    clf.fit(X, y)
    assert list(clf.modalities_) == ["a", "b"]
    assert clf.modalities_["a"].tolist() == [0, 2]
    assert clf.n_modalities_ == 2
    assert clf.feature_names_in_.tolist() == ["a1", "b1", "a2"]


@pytest.mark.parametrize(
    "modalities, match",
    [
        ({"a": ["a1", "zz"], "b": ["b1"]}, r"block 'a' names columns \['zz'\] that are not in X"),
        ({"a": ["a1", "a1", "a2"], "b": ["b1"]}, "block 'a' lists a column more than once"),
        ({"a": [0.5, 2.0], "b": ["b1"]}, "block 'a' must be a size, a list of column indices"),
    ],
)
def test_estimator_fit_reports_a_bad_dataframe_modalities_dict(modalities, match):
    X = pd.DataFrame(np.zeros((6, 3)), columns=["a1", "b1", "a2"])
    with pytest.raises(ValueError, match=match):
        MaskedFusionClassifier(modalities=modalities, max_epochs=1).fit(X, np.arange(6) % 2)


@pytest.mark.parametrize(
    "modalities, bounds",
    [
        ({"a": slice(0, 3), "b": slice(3, 8)}, "3:8"),  # was cut to columns 3..4 without a word
        ({"a": slice(-7, 3), "b": slice(3, None)}, "-7:3"),
    ],
)
def test_a_slice_past_the_columns_of_X_is_an_error_like_a_list(modalities, bounds):
    with pytest.raises(ValueError, match=rf"is the slice {bounds}, which reaches outside 0..4"):
        resolve_modalities(modalities, 5)


def test_a_slice_up_to_the_last_column_is_accepted():
    layout = resolve_modalities({"a": slice(0, 2), "b": slice(-3, 5)}, 5)
    assert cols(layout) == {"a": [0, 1], "b": [2, 3, 4]}


def test_a_numpy_block_size_is_shown_as_a_plain_number():
    with pytest.raises(ValueError, match=r"must be a positive integer, got 0\.$"):
        resolve_modalities([np.int64(5), np.int64(0)], 5)
