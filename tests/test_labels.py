"""The semi-supervised label convention: -1 is unlabelled."""

import numpy as np
import pytest

from skmmer._labels import encode_semi_supervised_labels
from skmmer.metrics import is_labelled, labelled_scorer


def test_classes_come_from_labelled_rows_only():
    classes, encoded = encode_semi_supervised_labels(np.array([2, -1, 5, 2, -1]))
    assert classes.tolist() == [2, 5]
    assert encoded.tolist() == [0, -1, 1, 0, -1]


def test_object_labels_with_integer_minus_one():
    y = np.array(["sad", -1, "happy", "sad"], dtype=object)
    classes, encoded = encode_semi_supervised_labels(y)
    assert classes.tolist() == ["happy", "sad"]
    assert encoded.tolist() == [1, -1, 0, 1]


def test_object_integer_labels_with_integer_minus_one_are_integer_classes():
    # An object array of ints (pandas .astype(object) with the -1 marker) gave scikit-learn's
    # "Unknown label type" error; they are read as integer labels, as the metrics read them.
    classes, encoded = encode_semi_supervised_labels(np.array([0, 2, 2, -1, 0], dtype=object))
    assert classes.dtype == np.int64
    assert classes.tolist() == [0, 2]
    assert encoded.tolist() == [0, 1, 1, -1, 0]


def test_string_labels_fully_labelled():
    classes, encoded = encode_semi_supervised_labels(np.array(["b", "a", "b"]))
    assert classes.tolist() == ["a", "b"] and encoded.tolist() == [1, 0, 1]


def test_string_minus_one_is_refused():
    with pytest.raises(ValueError, match="Put the integer -1 in an object array"):
        encode_semi_supervised_labels(np.array(["a", "-1", "b"]))


def test_no_labelled_rows():
    with pytest.raises(ValueError, match="y has no labelled rows"):
        encode_semi_supervised_labels(np.array([-1, -1]))


def test_one_class():
    with pytest.raises(ValueError, match="only one class"):
        encode_semi_supervised_labels(np.array([3, -1, 3]))


def test_is_labelled_forms():
    assert is_labelled(np.array([1.0, -1.0])).tolist() == [True, False]
    assert is_labelled(np.array(["x", -1], dtype=object)).tolist() == [True, False]


def test_labelled_scorer_ignores_unlabelled_rows():
    from sklearn.dummy import DummyClassifier

    constant = DummyClassifier(strategy="constant", constant=0).fit(np.zeros((2, 1)), [0, 1])
    scorer = labelled_scorer("accuracy")
    X = np.zeros((4, 1))
    assert scorer(constant, X, np.array([0, -1, 0, -1])) == 1.0  # -1 rows would be errors
    assert np.isnan(scorer(constant, X, np.array([-1, -1, -1, -1])))
