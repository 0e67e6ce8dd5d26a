"""The shared training engine and base-class plumbing, through MaskedFusionClassifier."""

import contextlib
import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from skmmer import MaskedFusionClassifier
from skmmer._engine import TrainingConfig, train_module
from skmmer._preprocessing import observed_mean_and_scale
from skmmer._random import make_generator, seed_from_random_state, seeded
from skmmer.masking import simulate_missing

SIZES = {"a": 4, "b": 3, "c": 5}


def make_data(n=300, seed=0, unlabelled_fraction=0.0):
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 3, n)
    X = rng.normal(size=(n, 12)) + np.repeat(np.eye(3)[y], 4, axis=1)
    X = simulate_missing(X, SIZES, rate=0.3, random_state=seed)
    y = y.copy()
    y[rng.rand(n) < unlabelled_fraction] = -1
    return X, y


def fast(**kw):
    params = dict(modalities=SIZES, max_epochs=15, hidden_dim=16, embed_dim=8, random_state=0)
    params.update(kw)
    return MaskedFusionClassifier(**params)


def test_random_state_repeatable_and_global_rng_untouched():
    X, y = make_data()
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()
    first = fast().fit(X, y).predict_proba(X)
    second = fast().fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, second)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], numpy_state[1])
    assert not np.array_equal(fast(random_state=1).fit(X, y).predict_proba(X), first)


def test_distinct_int_seeds_stay_distinct_and_out_of_range_ones_are_errors():
    # A modulo 2**31 - 1 once made random_state=0 and 2**31 - 1 the same fit.
    assert seed_from_random_state(2**31 - 1) == 2**31 - 1
    assert seed_from_random_state(2**32 - 1) == 2**32 - 1
    assert seed_from_random_state(np.int64(7)) == 7
    for bad in (-1, 2**32):
        with pytest.raises(ValueError, match="between 0 and 2\\*\\*32 - 1"):
            seed_from_random_state(bad)
    X, y = make_data(n=120)
    largest = fast(max_epochs=2, random_state=2**32 - 1).fit(X, y).predict_proba(X)
    zero = fast(max_epochs=2, random_state=0).fit(X, y).predict_proba(X)
    assert not np.array_equal(largest, zero)


def test_history_and_stop_reason_without_early_stopping():
    X, y = make_data()
    clf = fast(max_epochs=7, early_stopping=False).fit(X, y)
    assert [h["epoch"] for h in clf.history_] == list(range(1, 8))
    assert set(clf.history_[0]) == {"epoch", "loss", "cross_entropy"}
    assert clf.n_epochs_ == 7 and clf.stop_reason_ == "max_epochs=7 reached"
    assert clf.history_[-1]["loss"] < clf.history_[0]["loss"]


def test_early_stopping_stops_and_restores_best_epoch():
    X, y = make_data(n=400)
    clf = fast(max_epochs=300, early_stopping=True, n_iter_no_change=3, tol=0.0).fit(X, y)
    valid = [h["valid_loss"] for h in clf.history_]
    assert clf.n_epochs_ < 300 and "validation loss did not improve" in clf.stop_reason_
    assert clf.best_epoch_ == int(np.argmin(valid)) + 1
    assert clf.n_epochs_ == clf.best_epoch_ + 3


def test_validation_split_is_stratified_on_labelled_rows_only():
    X, y = make_data(n=1000, unlabelled_fraction=0.5)
    clf = MaskedFusionClassifier(
        modalities=SIZES, validation_fraction=0.2, early_stopping=True, random_state=0
    )
    clf._start_fit(len(y), y)
    rows = clf._valid_rows
    assert clf.early_stopping_
    assert (y[rows] >= 0).all(), "unlabelled rows must stay in training"
    labelled = y[y >= 0]
    assert len(rows) == round(0.2 * len(labelled))
    np.testing.assert_allclose(
        np.bincount(y[rows]) / len(rows), np.bincount(labelled) / len(labelled), atol=0.02
    )


def test_auto_early_stopping_counts_the_labelled_rows():
    """Validation draws from labelled rows, so "auto" asks for 1000 of those, not 1000 rows."""
    _, y = make_data(n=1200, unlabelled_fraction=0.5)
    clf = MaskedFusionClassifier(modalities=SIZES, random_state=0)
    clf._start_fit(len(y), y)
    assert not clf.early_stopping_ and clf._valid_rows is None
    _, y_full = make_data(n=1200)
    clf._start_fit(len(y_full), y_full)
    assert clf.early_stopping_ and len(clf._valid_rows) == 120


def test_early_stopping_on_a_handful_of_labelled_rows_warns_and_auto_avoids_it():
    X, y = make_data(n=400, unlabelled_fraction=0.9)  # about 40 labelled rows: 4 held out
    with pytest.warns(UserWarning, match="only 4 rows for validation"):
        fast(max_epochs=3, early_stopping=True).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf = fast(max_epochs=3).fit(X, y)  # "auto": off, no warning
    assert not clf.early_stopping_ and clf.n_epochs_ == 3


def test_engine_restores_weights_of_best_validation_epoch():
    g = make_generator(0)
    x = torch.randn(200, 3, generator=g)
    data = {"x": x, "t": x @ torch.tensor([1.0, -2.0, 0.5])}
    valid = {"x": x[:50] + 3.0, "t": torch.zeros(50)}  # a shifted target: overfitting shows

    def loss_fn(module, batch, generator):
        return {"mse": ((module(batch["x"]).squeeze(1) - batch["t"]) ** 2).mean()}

    module = torch.nn.Linear(3, 1)
    result = train_module(
        module, data, loss_fn, TrainingConfig(max_epochs=40, batch_size=32, n_iter_no_change=40),
        g, validation_data=valid,
    )
    best = min(h["valid_loss"] for h in result.history)
    with torch.no_grad():
        now = loss_fn(module, valid, g)["mse"].item()
    assert now == pytest.approx(best, rel=1e-5)


def test_a_non_finite_training_loss_stops_with_advice():
    g = make_generator(0)
    data = {"x": torch.randn(64, 3, generator=g)}

    def diverging(module, batch, generator):
        return {"mse": module(batch["x"]).pow(2).mean() * float("inf")}

    with pytest.raises(FloatingPointError, match="became (nan|inf) at epoch 1; lower learning_rate"):
        train_module(torch.nn.Linear(3, 1), data, diverging, TrainingConfig(max_epochs=5), g)


def test_validation_rows_without_stratification_when_a_class_has_one_labelled_row():
    """A class seen once cannot be split by StratifiedShuffleSplit: a plain random draw instead."""
    y = np.array([0] * 75 + [1] * 74 + [2] + [-1] * 40)
    clf = MaskedFusionClassifier(modalities=SIZES, validation_fraction=0.2, early_stopping=True,
                                 random_state=0)
    clf._start_fit(len(y), y)
    rows = clf._valid_rows
    assert len(rows) == 30 and len(np.unique(rows)) == 30
    assert (y[rows] >= 0).all()


def test_score_needs_labelled_rows():
    X, y = make_data(n=60)
    clf = fast(max_epochs=2).fit(X, y)
    with pytest.raises(ValueError, match="score needs labelled rows; every label in y is -1"):
        clf.score(X, np.full(60, -1))


def test_unknown_or_unavailable_device():
    X, y = make_data(n=60)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available on this machine"):
            fast(device="cuda").fit(X, y)
    assert fast(device="auto", max_epochs=1).fit(X, y).device_.type in {"cpu", "cuda"}
    with pytest.raises(ValueError, match="'tpu' is not a torch device; use 'auto'"):
        fast(device="tpu").fit(X, y)


def test_cuda_index_beyond_the_machine_is_an_error(monkeypatch):
    # Simulated, so it runs on CPU-only machines: one GPU, index 1 asked for.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    from skmmer.base import resolve_device

    assert resolve_device("cuda:0") == torch.device("cuda", 0)
    with pytest.raises(ValueError, match="has 1 CUDA device"):
        resolve_device("cuda:1")


@pytest.mark.skipif(torch.cuda.is_available(), reason="simulates loading a GPU pickle on a CPU box")
def test_pickle_from_a_gpu_fit_loads_on_cpu():
    X, y = make_data(n=100)
    clf = fast(max_epochs=3).fit(X, y)
    expected = clf.predict_proba(X)
    clf.device_ = torch.device("cuda", 0)  # as if fitted on a GPU
    restored = pickle.loads(pickle.dumps(clf))
    assert restored.device_ == torch.device("cpu")
    np.testing.assert_array_equal(restored.predict_proba(X), expected)


def test_pickle_stores_weights_not_torch_modules():
    X, y = make_data(n=100)
    clf = fast(max_epochs=2).fit(X, y)
    state = clf.__getstate__()
    assert not isinstance(state["module_"], torch.nn.Module)
    restored = pickle.loads(pickle.dumps(clf))
    restored.fit(X, y)  # a restored estimator can be refitted


def test_verbose_shows_progress(capsys):
    X, y = make_data(n=80)
    fast(max_epochs=3, verbose=1).fit(X, y)
    assert "MaskedFusionClassifier" in capsys.readouterr().err


def test_verbose_2_keeps_a_bar_that_counts_each_epoch_with_its_own_loss(capsys):
    X, y = make_data(n=80)
    # tol so large that no epoch after the first counts as a gain: it stops at epoch 1 + 2
    clf = fast(max_epochs=50, verbose=2, early_stopping=False, n_iter_no_change=2, tol=1e9)
    clf.fit(X, y)
    assert clf.n_epochs_ == 3
    final = capsys.readouterr().err.split("\r")[-1]  # the bar's last redraw, left on screen
    assert "3/50" in final
    assert f"loss={clf.history_[-1]['loss']:.4g}" in final


def test_all_missing_training_rows_are_allowed_and_predict_prior():
    X, y = make_data(n=120)
    X[:10] = np.nan
    with pytest.warns(UserWarning, match="10 of the 120 labelled rows have no modality observed"):
        clf = fast().fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X[:10]), np.tile(clf.class_prior_, (10, 1)), rtol=1e-6)


def test_unlabelled_rows_do_not_change_a_supervised_fit():
    X, y = make_data(n=200, unlabelled_fraction=0.3)
    labelled = y >= 0
    with_unlabelled = fast().fit(X, y)
    # only the standardization statistics see the unlabelled rows
    only_labelled = fast().fit(X[labelled], y[labelled])
    assert with_unlabelled.classes_.tolist() == [0, 1, 2]
    assert with_unlabelled.n_epochs_ == only_labelled.n_epochs_


def test_a_validation_split_that_leaves_nothing_to_train_on_is_an_error():
    # It used to train on an empty set and blame the learning rate for the NaN loss.
    X, y = make_data(n=10)
    with pytest.raises(ValueError, match="hold out 10 of the 10 labelled rows.*leaving none to train on"):
        fast(early_stopping=True, validation_fraction=0.95).fit(X, y)
    y_semi = np.full(100, -1)
    X_semi, y_full = make_data(n=100)
    y_semi[:10] = y_full[:10]
    with pytest.raises(ValueError, match="10 of the 10 labelled rows"):
        fast(early_stopping=True, validation_fraction=0.95).fit(X_semi, y_semi)


@pytest.mark.filterwarnings("ignore:.*early stopping holds out only")
def test_a_validation_split_that_takes_a_class_away_warns():
    X, y_full = make_data(n=60)
    y = np.full(60, -1)
    for label in range(3):  # one labelled row per class: validation must take a class away
        y[np.flatnonzero(y_full == label)[0]] = label
    clf = fast(max_epochs=2, early_stopping=True, validation_fraction=0.5)  # 2 of the 3 rows
    with pytest.warns(UserWarning, match=r"holds out every labelled row of the classes \[\d, \d\]"):
        clf.fit(X, y)


@pytest.mark.filterwarnings("ignore:.*labelled rows have no modality observed")
def test_a_modality_seen_only_in_unlabelled_rows_is_unseen_when_they_do_not_train():
    # MaskedFusionClassifier drops unlabelled rows: block c, observed only there, would
    # feed an encoder that never trained (its random initial weights) into predictions.
    X, y = make_data(n=200)
    y = y.copy()
    y[100:] = -1
    X[:100, 7:] = np.nan
    with pytest.warns(UserWarning, match=r"\['c'\] are missing in every labelled training row"):
        clf = fast(max_epochs=3).fit(X, y)
    blanked = X.copy()
    blanked[:, 7:] = np.nan
    np.testing.assert_array_equal(clf.predict_proba(X), clf.predict_proba(blanked))


def test_standardization_does_not_depend_on_the_units_of_a_column():
    X, y = make_data(n=150)
    reference = fast(max_epochs=3).fit(X, y).predict_proba(X)
    in_small_units = X * 1e-9
    np.testing.assert_allclose(
        fast(max_epochs=3).fit(in_small_units, y).predict_proba(in_small_units), reference, atol=1e-5
    )
    # Rounding noise of the mean of a constant column in large units is not a spread
    # (an absolute cut-off standardized it to +1 or -1).
    constant_in_large_units = np.full((50, 1), 1000000.1)
    mean, scale = observed_mean_and_scale(constant_in_large_units)
    assert scale[0] == 1.0
    assert np.abs((constant_in_large_units - mean) / scale).max() < 1e-6


def test_a_column_that_varies_too_little_to_standardize_is_named_in_a_warning():
    X, y = make_data(n=150)
    X[:, 2] *= 1e-14
    with pytest.warns(UserWarning, match=r"Columns \[2\] of X vary by less than 1e-12"):
        fast(max_epochs=1).fit(X, y)


class _SeedSpy:
    """Records ``manual_seed`` calls in place of a torch generator or a global seeding function."""

    def __init__(self, name, calls):
        self.name, self.calls = name, calls

    def __call__(self, seed):
        self.calls.append((self.name, seed))

    def manual_seed(self, seed):
        self(seed)


def _spy_on_global_seeding(monkeypatch, calls):
    """Replace every torch function that seeds generators other than the forked ones."""
    monkeypatch.setattr(torch, "manual_seed", _SeedSpy("torch.manual_seed", calls))
    monkeypatch.setattr(torch.random, "manual_seed", _SeedSpy("torch.random.manual_seed", calls))
    for name in ("manual_seed", "manual_seed_all"):
        monkeypatch.setattr(torch.cuda, name, _SeedSpy(f"torch.cuda.{name}", calls))


def test_seeded_on_the_cpu_seeds_the_cpu_generator_only_and_restores_it(monkeypatch):
    # torch.manual_seed also seeds every CUDA/MPS/XPU generator, which fork_rng(devices=[])
    # does not restore: a seeded CPU fit would change the caller's GPU random state.
    calls = []
    _spy_on_global_seeding(monkeypatch, calls)
    before = torch.random.get_rng_state()
    with seeded(123, torch.device("cpu")):
        inside = torch.rand(3)
    torch.random.default_generator.manual_seed(123)
    torch.testing.assert_close(inside, torch.rand(3))  # the CPU generator was seeded
    torch.random.set_rng_state(before)
    assert calls == []


def test_seeded_on_a_cuda_device_forks_and_seeds_that_device_only(monkeypatch):
    # No GPU here: fork_rng and CUDA's default generators are stand-ins that record what
    # seeded forks and seeds.
    calls, forked = [], []

    @contextlib.contextmanager
    def fake_fork_rng(devices=None, device_type=None, **kwargs):
        forked.append((list(devices), device_type))
        yield

    _spy_on_global_seeding(monkeypatch, calls)
    monkeypatch.setattr(torch.random, "fork_rng", fake_fork_rng)
    monkeypatch.setattr(torch.random, "default_generator", _SeedSpy("cpu", calls))
    monkeypatch.setattr(
        torch.cuda, "default_generators", tuple(_SeedSpy(f"cuda:{i}", calls) for i in range(3)),
        raising=False,
    )
    with seeded(7, torch.device("cuda:1")):
        pass
    assert forked == [([1], "cuda")]
    assert calls == [("cpu", 7), ("cuda:1", 7)]


def test_seeded_on_another_accelerator_seeds_its_generator(monkeypatch):
    # MPS / XPU: only the CPU generator is forked, but the device's own generator must be
    # seeded too, or dropout drawn there would not repeat.
    calls = []
    _spy_on_global_seeding(monkeypatch, calls)
    monkeypatch.setattr(torch.mps, "manual_seed", _SeedSpy("torch.mps.manual_seed", calls))
    before = torch.random.get_rng_state()
    with seeded(5, torch.device("mps")):
        inside = torch.rand(3)
    torch.testing.assert_close(torch.random.get_rng_state(), before)  # the CPU one is restored
    torch.random.default_generator.manual_seed(5)
    torch.testing.assert_close(inside, torch.rand(3))
    torch.random.set_rng_state(before)
    assert calls == [("torch.mps.manual_seed", 5)]


# --------------------------------------------------------------------------- #
# A failed fit
# --------------------------------------------------------------------------- #
def _fitted_attributes(estimator):
    return sorted(name for name in vars(estimator) if name.endswith("_"))


def test_a_fit_that_diverges_leaves_no_model_behind():
    # It used to keep the previous fit's attributes next to a module full of NaN.
    X, y = make_data(n=100)
    clf = fast(max_epochs=2).fit(X, y)
    clf.set_params(learning_rate=1e12, max_epochs=5)
    with pytest.raises(FloatingPointError, match="lower learning_rate"):
        clf.fit(X * 1e6, y)
    assert _fitted_attributes(clf) == []
    with pytest.raises(NotFittedError):
        clf.predict(X)
    clf.set_params(learning_rate=1e-3).fit(X, y)  # and it can be fitted again
    assert clf.predict(X).shape == (100,)


def _every_estimator():
    from skmmer import (
        CrossModalMatchingClassifier,
        DiffusionImputer,
        ImaginationClassifier,
        InvariantImagination,
        MultiViewDGMClassifier,
        NoiseRobustClassifier,
    )

    small = dict(modalities=SIZES, max_epochs=2, random_state=0)
    return [
        fast(max_epochs=2),
        MultiViewDGMClassifier(hidden_dims=(8,), latent_dim=2, n_samples=2, **small),
        CrossModalMatchingClassifier(hidden_dim=8, latent_dim=4, **small),
        ImaginationClassifier(embed_dim=4, hidden_dim=8, latent_dim=2, n_blocks=1, **small),
        InvariantImagination(embed_dim=4, hidden_dim=8, latent_dim=2, n_blocks=1, **small),
        NoiseRobustClassifier(embed_dim=4, hidden_dim=8, latent_dim=2, **small),
        DiffusionImputer(hidden_dim=8, n_layers=1, n_steps=2, **small),
    ]


@pytest.mark.parametrize("estimator", _every_estimator(), ids=lambda e: type(e).__name__)
def test_an_error_after_training_started_leaves_the_estimator_unfitted(estimator, monkeypatch):
    """Every fit path: an error after the first training run (a later stage, say) keeps no model."""
    X, y = make_data(n=80)
    estimator.fit(X, y)  # a previous, good fit: its model must not survive either
    train = type(estimator)._train

    def train_then_fail(self, *args, **kwargs):
        train(self, *args, **kwargs)
        raise RuntimeError("failure after a training run")

    monkeypatch.setattr(type(estimator), "_train", train_then_fail)
    with pytest.raises(RuntimeError, match="failure after a training run"):
        estimator.fit(X, y)
    assert _fitted_attributes(estimator) == []
    # Nor any training-time helper (a mask sampler holds device tensors): the failed estimator
    # holds what a fresh clone holds.
    assert set(vars(estimator)) == set(vars(clone(estimator)))
    with pytest.raises(NotFittedError):
        estimator.transform(X)


# --------------------------------------------------------------------------- #
# Early stopping: tol sets the patience, not the epoch restored
# --------------------------------------------------------------------------- #
def test_early_stopping_restores_the_lowest_validation_loss_even_below_tol():
    # Scripted validation losses: epochs 2 and 3 improve, but by less than tol=0.05.
    script = iter([1.0, 0.99, 0.98, 2.0, 2.0, 2.0])
    weights_after_epoch = []

    def scripted_monitor(module, data, generator):
        weights_after_epoch.append(module.weight.detach().clone())
        return torch.tensor(next(script))

    def loss_fn(module, batch, generator):
        return {"mse": (module(batch["x"]) - 1.0).pow(2).mean()}

    g = make_generator(0)
    data = {"x": torch.randn(64, 3, generator=g)}
    module = torch.nn.Linear(3, 1)
    config = TrainingConfig(max_epochs=6, batch_size=16, learning_rate=0.1, tol=0.05, n_iter_no_change=3)
    result = train_module(
        module, data, loss_fn, config, g, validation_data={"x": data["x"][:8]},
        monitor_fn=scripted_monitor,
    )
    assert result.best_epoch == 3  # the lowest validation loss, 0.98
    torch.testing.assert_close(module.weight.detach(), weights_after_epoch[2], rtol=0, atol=0)
    # tol still sets the patience: epochs 2, 3 and 4 each gain less than 0.05 on the best.
    assert result.n_epochs == 4
    assert "did not improve by tol=0.05 for 3 epochs" in result.stop_reason


# --------------------------------------------------------------------------- #
# Pickles from a GPU this machine lacks
# --------------------------------------------------------------------------- #
def test_pickle_from_a_gpu_index_this_machine_lacks_loads_on_cpu(monkeypatch):
    X, y = make_data(n=100)
    clf = fast(max_epochs=2).fit(X, y)
    expected = clf.predict_proba(X)
    clf.device_ = torch.device("cuda", 1)  # as if fitted on the second GPU of another machine
    blob = pickle.dumps(clf)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # this machine: one GPU
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    restored = pickle.loads(blob)
    assert restored.device_ == torch.device("cpu")
    monkeypatch.undo()
    np.testing.assert_array_equal(restored.predict_proba(X), expected)
