"""The semi-supervised label convention: -1 is unlabelled."""

import warnings

import numpy as np
import pytest

from skmmer import MaskedFusionClassifier
from skmmer._labels import encode_semi_supervised_labels
from skmmer.datasets import make_multimodal_classification
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
    with pytest.raises(ValueError, match="only one class") as error:
        encode_semi_supervised_labels(np.array([3, 3]))
    assert "-1" not in str(error.value)  # no -1 in y: nothing to recode


def test_one_class_left_by_minus_one_says_how_to_recode():
    # -1 / 1 coded labels: the -1 class is read as unlabelled, leaving one class.
    with pytest.raises(ValueError, match="only one class") as error:
        encode_semi_supervised_labels(np.array([1, -1, 1, -1, -1]))
    assert "3 rows have y == -1" in str(error.value)
    assert "recode the labels" in str(error.value)


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


def test_minus_one_on_a_sentiment_scale_warns_that_fit_drops_it():
    y = np.arange(14) % 7 - 3  # classes -3..3: -1 is a real label here
    with pytest.warns(UserWarning, match=r"2 rows have y == -1 and fit treats them as unlabelled.*"
                                         r"shift the labels \(y \+ 3 for classes -3..3\)"):
        classes, _ = encode_semi_supervised_labels(y)
    assert -1 not in classes.tolist()


def test_minus_one_next_to_classes_from_zero_is_the_marker_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        encode_semi_supervised_labels(np.array([0, 1, 2, -1]))
        encode_semi_supervised_labels(np.array([-3, -2, 5]))  # negative labels, no -1


def test_score_warns_when_it_skips_a_real_minus_one_label():
    X, y7 = make_multimodal_classification(n_samples=70, random_state=0)[0], np.arange(70) % 7 - 3
    with pytest.warns(UserWarning, match="fit treats them as unlabelled"):
        clf = MaskedFusionClassifier(max_epochs=1, random_state=0).fit(X, y7)
    with pytest.warns(UserWarning, match="10 rows have y == -1 and score skips them as unlabelled"):
        clf.score(X, y7)


def test_the_single_class_error_shows_the_label_as_a_plain_value():
    with pytest.raises(ValueError, match=r"only one class \(3\);"):  # not np.int64(3)
        encode_semi_supervised_labels(np.array([3, -1, 3]))
