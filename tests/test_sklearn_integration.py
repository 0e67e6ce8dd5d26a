"""What a scikit-learn user does: pipelines, search, CV, clone, set_output, string labels."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import DataConversionWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmmer import MaskedFusionClassifier
from skmmer.masking import simulate_missing
from skmmer.metrics import labelled_scorer

SIZES = {"a": 4, "b": 3, "c": 5}


def make_data(n=240, seed=0):
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 2, n)
    X = rng.normal(size=(n, 12)) + 1.5 * y[:, None]
    X = simulate_missing(X, SIZES, rate=0.3, random_state=seed)
    y_semi = y.copy()
    y_semi[rng.rand(n) < 0.4] = -1
    return X, y, y_semi


def fast(**kw):
    params = dict(modalities=SIZES, max_epochs=40, hidden_dim=16, embed_dim=8, random_state=0)
    return MaskedFusionClassifier(**{**params, **kw})


def test_score_ignores_unlabelled_rows():
    X, y, y_semi = make_data()
    clf = fast().fit(X, y_semi)
    labelled = y_semi >= 0
    expected = np.mean(clf.predict(X[labelled]) == y_semi[labelled])
    assert clf.score(X, y_semi) == expected


def test_score_compares_labels_as_given():
    # score once cast y to classes_' dtype: "cats" became "cat" and every wrong label counted right.
    X, y, _ = make_data()
    names = np.array(["cat", "dog"])
    clf = fast(max_epochs=5).fit(X, names[y])
    assert clf.score(X, np.char.add(clf.predict(X).astype(str), "s")) == 0.0
    as_object = clf.predict(X).astype(object)
    as_object[:10] = -1
    assert clf.score(X, as_object) == 1.0
    numeric = fast(max_epochs=5).fit(X, y)
    assert numeric.score(X, numeric.predict(X).astype(float)) == 1.0
    with pytest.raises(ValueError, match="continuous"):
        numeric.score(X, numeric.predict(X) + 0.5)


def test_score_checks_its_arguments_like_scikit_learn():
    X, y, _ = make_data()
    with pytest.raises(NotFittedError):
        fast().score(X, y)
    clf = fast(max_epochs=5).fit(X, y)
    with pytest.warns(DataConversionWarning):
        assert clf.score(X, y.reshape(-1, 1)) == clf.score(X, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        clf.score(X, y[:-1])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        clf.score(X, y, sample_weight=np.ones(3))


def test_standard_scaler_in_front_keeps_missing_blocks():
    X, y, _ = make_data()
    pipe = make_pipeline(StandardScaler(), fast()).fit(X, y)
    assert pipe.score(X, y) > 0.8


def test_grid_search_in_parallel_with_labelled_scorer():
    X, _, y_semi = make_data()
    search = GridSearchCV(
        fast(), {"hidden_dim": [8, 16]}, cv=StratifiedKFold(3), n_jobs=2,
        scoring=labelled_scorer("balanced_accuracy"),
    ).fit(X, y_semi)
    assert search.best_score_ > 0.7
    assert set(search.best_estimator_.classes_) == {0, 1}


def test_cross_validate_default_scoring_uses_labelled_rows():
    X, _, y_semi = make_data()
    scores = cross_validate(fast(), X, y_semi, cv=3)["test_score"]
    assert (scores > 0.7).all()


def test_clone_and_params():
    est = fast(fusion="concat")
    twin = clone(est)
    assert twin.get_params() == est.get_params()
    assert twin.set_params(embed_dim=3).embed_dim == 3


def test_transform_and_set_output_pandas():
    X, y, _ = make_data()
    clf = fast().fit(X, y)
    assert clf.transform(X).shape == (len(X), 8)
    assert clf.transform(X).dtype == np.float32
    clf.set_output(transform="pandas")
    out = clf.transform(X)
    assert isinstance(out, pd.DataFrame)
    assert out.columns[0] == "maskedfusionclassifier0"
    concat = fast(fusion="concat").fit(X, y)
    assert concat.transform(X).shape == (len(X), 8 * 3)


def test_string_labels_and_object_labels_with_unlabelled_rows():
    X, y, y_semi = make_data()
    names = np.array(["calm", "stressed"])
    fitted = fast().fit(X, names[y])
    assert set(fitted.predict(X)) <= {"calm", "stressed"}
    y_object = names[np.clip(y_semi, 0, 1)].astype(object)
    y_object[y_semi < 0] = -1
    fitted = fast().fit(X, y_object)
    assert fitted.classes_.tolist() == ["calm", "stressed"]
    assert 0.0 <= fitted.score(X, y_object) <= 1.0


def test_dataframe_in_and_modalities_by_name():
    X, y, _ = make_data()
    frame = pd.DataFrame(X, columns=[f"{m}{i}" for m, k in SIZES.items() for i in range(k)])
    modalities = {m: [c for c in frame.columns if c.startswith(m)] for m in SIZES}
    clf = MaskedFusionClassifier(modalities=modalities, max_epochs=5, random_state=0).fit(frame, y)
    assert clf.predict(frame).shape == (len(X),)
