"""NoiseRobustClassifier (NMER): noise scheduler, CVAE, estimator behaviour."""

import numpy as np
import pandas as pd
import pytest
import torch
from _views import MODALITIES, shared_latent_views

from skmmer._layout import resolve_modalities
from skmmer.masking import apply_condition
from skmmer.noise import NoiseRobustClassifier, add_modality_noise
from skmmer.noise._nmer_network import (
    IMPULSE_PROBABILITY,
    NoiseScheduler,
    gaussian_kl,
    scaled_linear_alpha_bars,
)

SMALL = dict(
    embed_dim=8, hidden_dim=16, latent_dim=4, dropout=0.0, max_epochs=25, batch_size=32,
    learning_rate=5e-3, early_stopping=False, device="cpu", random_state=0,
)
SIZES = list(MODALITIES.values())


@pytest.fixture(scope="module")
def fitted():
    X, y = shared_latent_views()
    return NoiseRobustClassifier(modalities=MODALITIES, **SMALL).fit(X, y)


# --------------------------------------------------------------------------- #
# Noise scheduler
# --------------------------------------------------------------------------- #
def test_alpha_bars_schedule():
    abar = scaled_linear_alpha_bars(100, (0.01, 0.5))
    assert abar.shape == (101,)
    assert abar[0] == 1.0
    assert torch.all(abar[1:] < abar[:-1])  # strictly more noise at every step
    betas = torch.linspace(0.1, 0.5**0.5, 100, dtype=torch.float64) ** 2
    assert torch.isclose(abar[1], 1 - betas[0])
    assert abar[100] < 1e-8  # pure noise at the last step


def test_corruption_identity_at_t0_and_pure_noise_at_T():
    scheduler = NoiseScheduler(SIZES, 100, (0.01, 0.5), "gaussian")
    g = torch.Generator().manual_seed(0)
    x = torch.randn(500, sum(SIZES), generator=g)
    everything = torch.ones(500, 3, dtype=torch.bool)
    zero = torch.zeros(500, 3, dtype=torch.long)
    assert torch.equal(scheduler.corrupt(x, everything, zero, g), x)
    last = torch.full((500, 3), 100, dtype=torch.long)
    noisy = scheduler.corrupt(x, everything, last, g)
    corr = np.corrcoef(x.flatten().numpy(), noisy.flatten().numpy())[0, 1]
    assert abs(corr) < 0.05  # signal fraction ~ 0
    assert abs(noisy.std().item() - 1.0) < 0.05


def test_corruption_formula_per_row_and_modality():
    scheduler = NoiseScheduler(SIZES, 100, (0.01, 0.5), "gaussian")
    g = torch.Generator().manual_seed(1)
    x = torch.randn(4, 18, generator=g)
    eps = torch.randn(4, 18, generator=g)
    corrupt = torch.tensor([[1, 0, 0], [0, 1, 1], [1, 1, 1], [0, 0, 0]], dtype=torch.bool)
    t = torch.tensor([[10, 50, 3], [7, 20, 90], [1, 40, 100], [5, 5, 5]])
    out = scheduler.corrupt(x, corrupt, t, eps=eps)
    abar = scheduler.alpha_bars
    for i in range(4):
        for m in range(3):
            cols = slice(6 * m, 6 * m + 6)
            a = abar[t[i, m]]
            expected = a.sqrt() * x[i, cols] + (1 - a).sqrt() * eps[i, cols] if corrupt[i, m] else x[i, cols]
            torch.testing.assert_close(out[i, cols], expected)


def test_steps_are_drawn_per_row_and_modality():
    scheduler = NoiseScheduler(SIZES, 100, (0.01, 0.5), "gaussian")
    t = scheduler.sample_steps((64, 3), torch.Generator().manual_seed(0))
    assert t.min() >= 1 and t.max() <= 100
    assert len(torch.unique(t[:, 0])) > 20  # rows differ
    assert (t[:, 0] != t[:, 1]).any() and (t[:, 1] != t[:, 2]).any()  # modalities differ


def test_impulse_noise_support_and_rate():
    scheduler = NoiseScheduler(SIZES, 100, (0.01, 0.5), "impulse")
    eps = scheduler.sample_noise((2000, 18), torch.Generator().manual_seed(0))
    assert set(torch.unique(eps).tolist()) == {-1.0, 0.0, 1.0}
    assert abs((eps != 0).float().mean().item() - IMPULSE_PROBABILITY) < 0.01
    assert abs(eps.mean().item()) < 0.02


def test_training_batches_noise_the_incomplete_modalities_only():
    X, y = shared_latent_views()
    est = NoiseRobustClassifier(modalities=MODALITIES, **SMALL).fit(X, y)
    module = est.module_
    from skmmer.masking import ModalityDropout

    est._sampler = ModalityDropout.from_setting("subsets", 3)
    x = torch.randn(256, 18)
    observed = torch.ones(256, 3, dtype=torch.bool)
    observed[:10, 2] = False  # naturally incomplete rows keep their pattern
    x[:10, 12:] = 0.0
    noisy, given = est._corrupt_batch(module, x, observed, torch.Generator().manual_seed(0))
    del est._sampler
    changed = torch.stack([(noisy[:, 6 * m : 6 * m + 6] != x[:, 6 * m : 6 * m + 6]).any(1) for m in range(3)], 1)
    assert torch.equal(given, observed)  # missing_fill="zeros": missing stays missing
    assert not changed[:10].any()  # no simulated noise on incomplete rows
    complete = changed[10:]
    assert complete.any(1).all() and (~complete).any(1).all()  # a proper non-empty subset noised


# --------------------------------------------------------------------------- #
# KL term
# --------------------------------------------------------------------------- #
def test_gaussian_kl_values():
    assert gaussian_kl(torch.zeros(5, 3), torch.zeros(5, 3)).item() == 0.0
    mu = torch.full((4, 2), 2.0)
    assert torch.isclose(gaussian_kl(mu, torch.zeros(4, 2)), torch.tensor(2.0))  # 0.5 * mu^2, a mean
    logvar = torch.full((4, 2), np.log(4.0))
    assert torch.isclose(gaussian_kl(torch.zeros(4, 2), logvar), torch.tensor(0.5 * (4 - 1 - np.log(4.0)), dtype=torch.float32))


def test_kl_weight_controls_the_posterior():
    X, y = shared_latent_views()
    params = dict(SMALL, max_epochs=20)
    weak = NoiseRobustClassifier(modalities=MODALITIES, kl_weight=0.0, **params).fit(X, y)
    strong = NoiseRobustClassifier(modalities=MODALITIES, kl_weight=100.0, **params).fit(X, y)
    kl_weak = weak.history_[-1]["kl"]
    kl_strong = strong.history_[-1]["kl"]
    assert kl_strong < 0.05  # the encoder is pushed to ignore its input: q(z|.) ~ N(0, I)
    assert kl_weak > 10 * kl_strong

    def posterior(est):
        data = est._prepare_predict(X)
        with torch.no_grad():
            out = est.module_.forward_features(data["x"], data["observed"])
        return out["mu"], out["logvar"].exp()

    mu_s, var_s = posterior(strong)
    assert mu_s.abs().mean() < 0.1 and (var_s.mean() - 1).abs() < 0.1
    _, var_w = posterior(weak)
    assert var_w.mean() < var_s.mean()


# --------------------------------------------------------------------------- #
# Estimator
# --------------------------------------------------------------------------- #
def test_fit_predict_and_transform(fitted):
    X, y = shared_latent_views(seed=1)
    assert fitted.score(X, y) > 0.9
    Z = fitted.transform(X)
    assert Z.shape == (len(X), 3 * 8) and Z.dtype == np.float32
    assert fitted.n_embedding_features_ == 24
    stages = {h["stage"] for h in fitted.history_}
    assert stages == {"stage1", "stage2"}
    assert {"cross_entropy", "reconstruction", "kl", "invariance"} <= set(fitted.history_[-1])


def test_transform_reconstructs_the_clean_teacher_embedding(fitted):
    X, _ = shared_latent_views(seed=2)
    target = fitted.teacher_embedding(X)
    noisy = add_modality_noise(X, MODALITIES, ["b"], t=100, random_state=0)
    err_recon = np.mean((fitted.transform(noisy) - target) ** 2)
    err_naive = np.mean((fitted.teacher_embedding(noisy) - target) ** 2)
    assert err_recon < err_naive


def test_row_independence_and_determinism(fitted):
    X, _ = shared_latent_views(seed=3)
    X = add_modality_noise(X, MODALITIES, ["a"], t=np.arange(len(X)) % 101, random_state=0)
    X[::4, 6:12] = np.nan
    for fill in ("zeros", "noise", "invariant"):
        est = fitted.set_params(missing_fill=fill)
        full = est.predict_proba(X)
        np.testing.assert_allclose(est.predict_proba(X[5:9]), full[5:9], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(est.predict_proba(X[::-1])[::-1], full, rtol=1e-4, atol=1e-5)
        np.testing.assert_array_equal(est.predict_proba(X), full)
    fitted.set_params(missing_fill="zeros")


def test_missing_fill_noise_trains_and_predicts():
    X, y = shared_latent_views()
    X[::5, :6] = np.nan
    est = NoiseRobustClassifier(modalities=MODALITIES, missing_fill="noise", **SMALL).fit(X, y)
    assert est.module_.fill_noise.abs().sum() > 0  # drawn at fit
    X_test, y_test = shared_latent_views(seed=4)
    X_cond = apply_condition(X_test, MODALITIES, ["b"])
    proba = est.predict_proba(X_cond)
    assert np.isfinite(proba).all()
    assert est.score(X_cond, y_test) > 0.8


def test_same_random_state_same_model():
    X, y = shared_latent_views(n=90)
    params = dict(SMALL, max_epochs=3)
    a = NoiseRobustClassifier(modalities=MODALITIES, **params).fit(X, y).predict_proba(X)
    b = NoiseRobustClassifier(modalities=MODALITIES, **params).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)


def test_unlabelled_rows_switch():
    X, y = shared_latent_views(n=120)
    y = y.copy()
    y[40:] = -1
    params = dict(SMALL, max_epochs=2)
    semi = NoiseRobustClassifier(modalities=MODALITIES, **params).fit(X, y)
    sup = NoiseRobustClassifier(modalities=MODALITIES, semi_supervised=False, **params).fit(X, y)
    assert semi.history_[0]["cross_entropy"] != sup.history_[0]["cross_entropy"]
    assert np.isfinite(semi.predict_proba(X)).all()


def test_impulse_noise_estimator():
    X, y = shared_latent_views(n=120)
    est = NoiseRobustClassifier(modalities=MODALITIES, noise="impulse", **dict(SMALL, max_epochs=3))
    assert est.fit(X, y).predict(X).shape == (120,)


@pytest.mark.parametrize("beta_range", [(0.5, 0.1), (0.0, 0.5), (0.1, 1.0), (0.1,)])
def test_bad_beta_range(beta_range):
    X, y = shared_latent_views(n=60)
    with pytest.raises(ValueError, match="beta_range"):
        NoiseRobustClassifier(modalities=MODALITIES, beta_range=beta_range, **SMALL).fit(X, y)


# --------------------------------------------------------------------------- #
# add_modality_noise
# --------------------------------------------------------------------------- #
def test_add_modality_noise():
    X, _ = shared_latent_views()
    X[:3, 6:12] = np.nan
    X[5, 0] = np.nan
    np.testing.assert_array_equal(add_modality_noise(X, MODALITIES, ["a", "b"], t=0), X)
    out = add_modality_noise(X, MODALITIES, ["b"], t=100, random_state=0)
    np.testing.assert_array_equal(out[:, :6], X[:, :6])  # other blocks untouched
    np.testing.assert_array_equal(out[:, 12:], X[:, 12:])
    assert np.isnan(out[:3, 6:12]).all()  # missing stays missing
    z = (X[3:, 6:12] - np.nanmean(X[:, 6:12], 0)) / np.nanstd(X[:, 6:12], 0)
    z_out = (out[3:, 6:12] - np.nanmean(X[:, 6:12], 0)) / np.nanstd(X[:, 6:12], 0)
    assert abs(np.corrcoef(z.ravel(), z_out.ravel())[0, 1]) < 0.15
    again = add_modality_noise(X, MODALITIES, ["b"], t=100, random_state=0)
    np.testing.assert_array_equal(out, again)
    with pytest.raises(ValueError):
        add_modality_noise(X, MODALITIES, ["nope"], t=10)
    with pytest.raises(ValueError, match="t must"):
        add_modality_noise(X, MODALITIES, ["a"], t=101)


@pytest.mark.parametrize(
    ("t", "error", "match"),
    [
        (2.9, TypeError, "integer"),  # was truncated to 2
        (0.5, TypeError, "integer"),  # was truncated to 0: X came back unchanged
        (np.full(20, 3.0), TypeError, "dtype float64"),
        (True, TypeError, "integer"),
        (np.ones(3, dtype=int), ValueError, r"shape \(\) or \(20,\).*got shape \(3,\)"),
        (np.ones((20, 1), dtype=int), ValueError, r"got shape \(20, 1\)"),
        (-1, ValueError, r"t must lie in \[0, 100\]"),
        (np.array([0, 101] * 10), ValueError, r"t must lie in \[0, 100\]"),
    ],
)
def test_add_modality_noise_checks_t(t, error, match):
    X, _ = shared_latent_views()
    with pytest.raises(error, match=match):
        add_modality_noise(X[:20], MODALITIES, ["a"], t=t, random_state=0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_noise_steps": -5}, r"n_noise_steps must be an integer >= 1; got -5"),
        ({"n_noise_steps": 10.5}, r"n_noise_steps must be an integer >= 1; got 10.5"),
        ({"scale": np.ones(5)}, r"scale must hold one value per column of X, shape \(18,\); got shape \(5,\)"),
        ({"loc": np.r_[np.nan, np.zeros(17)]}, r"loc holds NaN or inf at columns \[0\]"),
    ],
)
def test_add_modality_noise_checks_its_other_arguments(kwargs, match):
    X, _ = shared_latent_views()
    with pytest.raises(ValueError, match=match):
        add_modality_noise(X[:20], MODALITIES, ["a"], t=5, random_state=0, **kwargs)


def test_add_modality_noise_takes_integer_steps_of_any_integer_type():
    X, _ = shared_latent_views()
    one_step = add_modality_noise(X[:20], MODALITIES, ["a"], t=np.int32(40), random_state=0)
    per_row = add_modality_noise(X[:20], MODALITIES, ["a"], t=np.full(20, 40, np.uint8), random_state=0)
    np.testing.assert_array_equal(one_step, per_row)


def test_add_modality_noise_reads_dataframes_like_the_estimators():
    # Column names in modalities raised "needs a DataFrame" for a DataFrame; inf passed silently.
    X, _ = shared_latent_views()
    names = [f"f{i}" for i in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=names)
    by_name = {m: [names[c] for c in cols] for m, cols in resolve_modalities(MODALITIES, X.shape[1]).as_dict().items()}
    np.testing.assert_array_equal(
        add_modality_noise(frame, by_name, ["b"], t=50, random_state=0),
        add_modality_noise(X, MODALITIES, ["b"], t=50, random_state=0),
    )
    X[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity in column 0"):
        add_modality_noise(X, MODALITIES, ["b"], t=50)
