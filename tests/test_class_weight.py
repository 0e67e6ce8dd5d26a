"""``class_weight``: how it is resolved, how it weights the loss, and what it does to a fit."""

import importlib
import pickle
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.metrics import recall_score

import skmmer
from skmmer._labels import resolve_class_weight
from skmmer.nn import masked_cross_entropy
from skmmer.semi_supervised._cmdm import _per_modality_cross_entropy

#: Small settings that still learn the imbalanced toy problem below.
CLASSIFIERS = {
    "MaskedFusionClassifier": dict(max_epochs=60, hidden_dim=32, embed_dim=16),
    "MultiViewDGMClassifier": dict(max_epochs=40, latent_dim=4, hidden_dims=(32,), n_samples=2),
    "CrossModalMatchingClassifier": dict(max_epochs=60, hidden_dim=32, latent_dim=16),
    "InvariantImagination": dict(max_epochs=30, embed_dim=8, hidden_dim=16, latent_dim=4, n_blocks=1),
    "ImaginationClassifier": dict(max_epochs=30, embed_dim=8, hidden_dim=16, latent_dim=4, n_blocks=1),
    "NoiseRobustClassifier": dict(
        max_epochs=30, learning_rate=1e-2, embed_dim=8, hidden_dim=16, latent_dim=4
    ),
}


def make_classifier(name, **params):
    return getattr(skmmer, name)(modalities=[4, 4], random_state=0, **{**CLASSIFIERS[name], **params})


def imbalanced_data(n, seed, minority=0.1):
    """Two overlapping classes, 9 to 1, seen by two 4-feature modalities."""
    rng = np.random.RandomState(seed)
    y = (rng.rand(n) < minority).astype(int)
    X = rng.normal(size=(n, 8)) + 0.5 * y[:, None]
    return X, y


def test_every_classifier_is_covered():
    names = {
        name for name in skmmer.__all__
        if isinstance(getattr(skmmer, name), type) and hasattr(getattr(skmmer, name), "predict_proba")
    }
    assert names == set(CLASSIFIERS)


# --------------------------------------------------------------------------- #
# Resolution of the parameter
# --------------------------------------------------------------------------- #
def test_resolve_none_is_ones():
    classes = np.array([0, 1, 2])
    np.testing.assert_array_equal(resolve_class_weight(None, classes, np.array([0, 1, 2, 2])), 1.0)


def test_resolve_balanced_counts_labelled_rows_only():
    classes = np.array(["neg", "pos"])
    y_encoded = np.array([0, 0, 0, 1, -1, -1, -1, -1, -1])  # unlabelled rows must not count
    weights = resolve_class_weight("balanced", classes, y_encoded)
    np.testing.assert_allclose(weights, [4 / (2 * 3), 4 / (2 * 1)])


def test_resolve_dict_keeps_one_for_classes_it_does_not_name():
    classes = np.array(["a", "b", "c"], dtype=object)
    weights = resolve_class_weight({"b": 3.0}, classes, np.array([0, 1, 2]))
    np.testing.assert_array_equal(weights, [1.0, 3.0, 1.0])


def test_a_dict_naming_every_class_may_name_one_absent_from_a_fold():
    # As in scikit-learn: a weight table for the whole label set works in a fold
    # that lacks a rare class; cross-validation once failed on that fold.
    classes = np.array([0, 1])
    weights = resolve_class_weight({0: 1.0, 1: 3.0, 2: 5.0}, classes, np.array([0, 1, 1]))
    np.testing.assert_array_equal(weights, [1.0, 3.0])
    with pytest.raises(ValueError, match=r"class_weight names \[2\]"):
        resolve_class_weight({1: 3.0, 2: 5.0}, classes, np.array([0, 1, 1]))  # 0 left out: a typo?
    with pytest.raises(ValueError, match="take no weight"):
        resolve_class_weight({0: 1.0, 1: 3.0, -1: 0.5}, classes, np.array([0, 1, 1]))


@pytest.mark.parametrize(
    "class_weight, match",
    [
        ({"typo": 2.0}, r"class_weight names \['typo'\].*labelled classes are \['a', 'b'\]"),
        ({-1: 0.5}, r"unlabelled rows, y == -1, take no weight"),
        ({"a": -1.0}, "finite weights >= 0"),
        ({"a": np.inf}, "finite weights >= 0"),
        ({"a": 0.0, "b": 0.0}, "not all 0"),
    ],
)
def test_resolve_rejects_bad_dicts(class_weight, match):
    with pytest.raises(ValueError, match=match):
        resolve_class_weight(class_weight, np.array(["a", "b"], dtype=object), np.array([0, 1]))


def test_bad_class_weight_fails_at_fit_with_the_parameter_named():
    X, y = imbalanced_data(60, seed=0)
    with pytest.raises(ValueError, match="class_weight"):
        make_classifier("MaskedFusionClassifier", class_weight="inverse").fit(X, y)
    with pytest.raises(ValueError, match=r"class_weight names \[7\]"):
        make_classifier("MaskedFusionClassifier", class_weight={7: 2.0}).fit(X, y)


# --------------------------------------------------------------------------- #
# The weighted losses
# --------------------------------------------------------------------------- #
def test_weighted_cross_entropy_is_the_class_weighted_mean_over_labelled_rows():
    torch.manual_seed(0)
    logits = torch.randn(7, 3)
    y = torch.tensor([0, 1, 2, -1, 1, 0, -1])
    w = torch.tensor([2.0, 1.0, 0.5])
    labelled = y >= 0
    per_row = F.cross_entropy(logits[labelled], y[labelled], reduction="none")
    expected = (per_row * w[y[labelled]]).sum() / w[y[labelled]].sum()
    torch.testing.assert_close(masked_cross_entropy(logits, y, w, keep=None), expected)
    # Only the ratios matter, and uniform weights are the plain mean.
    torch.testing.assert_close(masked_cross_entropy(logits, y, 10 * w, keep=None), expected)
    torch.testing.assert_close(masked_cross_entropy(logits, y, torch.ones(3), keep=None), per_row.mean())
    assert masked_cross_entropy(logits, torch.full((7,), -1), w, keep=None).item() == 0.0


def test_weighted_per_modality_cross_entropy_skips_missing_modalities_and_unlabelled_rows():
    torch.manual_seed(0)
    logits = torch.randn(5, 2, 3)
    y = torch.tensor([0, 2, -1, 1, 2])
    observed = torch.tensor([[1, 1], [1, 0], [1, 1], [0, 1], [1, 1]], dtype=torch.float32)
    w = torch.tensor([1.0, 3.0, 0.5])
    total, weight = 0.0, 0.0
    for i in range(5):
        for m in range(2):
            if y[i] >= 0 and observed[i, m] > 0:
                ce = F.cross_entropy(logits[i, m][None], y[i][None])
                total, weight = total + w[y[i]] * ce, weight + w[y[i]]
    torch.testing.assert_close(_per_modality_cross_entropy(logits, y, observed, w), total / weight)


# --------------------------------------------------------------------------- #
# What it does to a fit
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("name", sorted(CLASSIFIERS))
def test_balanced_weights_raise_the_minority_recall(name):
    X, y = imbalanced_data(600, seed=0)
    X_test, y_test = imbalanced_data(2000, seed=1)
    plain = make_classifier(name).fit(X, y)
    balanced = make_classifier(name, class_weight="balanced").fit(X, y)
    np.testing.assert_array_equal(plain.class_weight_, [1.0, 1.0])
    counts = np.bincount(y)
    np.testing.assert_allclose(balanced.class_weight_, len(y) / (2 * counts))
    recall_plain = recall_score(y_test, plain.predict(X_test))
    recall_balanced = recall_score(y_test, balanced.predict(X_test))
    assert recall_balanced > recall_plain + 0.2, (recall_plain, recall_balanced)
    # The fit-time tensor does not outlive fit, so it never reaches a pickle.
    assert "_fit_class_weight" not in vars(balanced)
    restored = pickle.loads(pickle.dumps(balanced))
    np.testing.assert_array_equal(restored.predict_proba(X_test), balanced.predict_proba(X_test))


#: Every module that computes a cross-entropy for a classifier.
CROSS_ENTROPY_MODULES = (
    "skmmer.fusion._masked_fusion",
    "skmmer.generative._dgm_network",
    "skmmer.semi_supervised._cmdm",
    "skmmer.imagination._estimators",
    "skmmer.imagination._networks",
    "skmmer.noise._nmer",
)


@pytest.mark.parametrize("name", sorted(CLASSIFIERS))
def test_every_cross_entropy_term_gets_the_class_weights(name, monkeypatch):
    """Each stage's loss and each early-stopping monitor passes the weights on."""
    received = []

    def spy(logits, y, class_weight=None, *, keep):
        assert keep is not None and keep.shape[0] == len(y), "rows with no input must be ignored"
        received.append(class_weight)
        return masked_cross_entropy(logits, y, class_weight, keep=keep)

    def per_modality_spy(logits, y, weights, class_weight=None):
        received.append(class_weight)
        return _per_modality_cross_entropy(logits, y, weights, class_weight)

    for module in CROSS_ENTROPY_MODULES:
        monkeypatch.setattr(importlib.import_module(module), "masked_cross_entropy", spy)
    monkeypatch.setattr(
        importlib.import_module("skmmer.semi_supervised._cmdm"), "_per_modality_cross_entropy", per_modality_spy
    )
    X, y = imbalanced_data(200, seed=4)
    model = make_classifier(
        name, class_weight={0: 1.0, 1: 3.0}, max_epochs=2, early_stopping=True, validation_fraction=0.3,
        **({"modality_head_weight": 1.0} if name == "CrossModalMatchingClassifier" else {}),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model.fit(X, y)
    assert received, "no cross-entropy was computed"
    assert all(w is not None and w.tolist() == [1.0, 3.0] for w in received), received


def test_uniform_weights_fit_exactly_as_none_and_unlabelled_rows_take_no_weight():
    X, y = imbalanced_data(300, seed=2)
    y_semi = np.where(np.arange(len(y)) % 3 == 0, -1, y)
    plain = make_classifier("MultiViewDGMClassifier").fit(X, y_semi)
    uniform = make_classifier("MultiViewDGMClassifier", class_weight={0: 2.0, 1: 2.0}).fit(X, y_semi)
    np.testing.assert_array_equal(uniform.predict_proba(X), plain.predict_proba(X))
    balanced = make_classifier("MultiViewDGMClassifier", class_weight="balanced").fit(X, y_semi)
    counts = np.bincount(y_semi[y_semi >= 0])
    np.testing.assert_allclose(balanced.class_weight_, counts.sum() / (2 * counts))


def test_rows_with_nothing_observed_get_the_reweighted_prior():
    """The weighted cross-entropy's answer for an input that says nothing: w * prior, renormalized."""
    X, y = imbalanced_data(300, seed=3)
    empty = np.full((2, X.shape[1]), np.nan)
    counts = np.bincount(y)
    for class_weight, weights in ((None, [1.0, 1.0]), ("balanced", len(y) / (2 * counts)), ({1: 4.0}, [1.0, 4.0])):
        model = make_classifier("MaskedFusionClassifier", class_weight=class_weight, max_epochs=2).fit(X, y)
        expected = counts * np.asarray(weights) / (counts * np.asarray(weights)).sum()
        np.testing.assert_allclose(model.class_prior_, expected)
        np.testing.assert_allclose(model.predict_proba(empty), np.tile(expected, (2, 1)), rtol=1e-6)
    assert np.allclose(make_classifier("MaskedFusionClassifier", class_weight="balanced", max_epochs=2)
                       .fit(X, y).class_prior_, 0.5)
