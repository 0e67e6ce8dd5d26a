"""InvariantImagination (IF-MMIN) and ImaginationClassifier (MMIN)."""

import numpy as np
import pytest
import torch
from _views import MODALITIES, shared_latent_views
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import InvalidParameterError

from skmmer.imagination import ImaginationClassifier, InvariantImagination
from skmmer.imagination._networks import ImaginationNetwork, ResidualAutoencoder
from skmmer.masking import apply_condition, missing_conditions
from skmmer.nn import central_moment_discrepancy, masked_mse, modality_cmd

SMALL = dict(
    embed_dim=8, hidden_dim=16, latent_dim=4, n_blocks=2, dropout=0.0,
    max_epochs=30, batch_size=32, early_stopping=False, device="cpu", random_state=0,
)


@pytest.fixture(scope="module")
def fitted():
    X, y = shared_latent_views()
    return {
        cls.__name__: cls(modalities=MODALITIES, **SMALL).fit(X, y)
        for cls in (InvariantImagination, ImaginationClassifier)
    }


# --------------------------------------------------------------------------- #
# Losses
# --------------------------------------------------------------------------- #
def test_cmd_is_zero_for_identical_samples_and_grows_with_moment_gaps():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(500, 4, generator=gen)
    assert central_moment_discrepancy(x, x.clone()).item() == pytest.approx(0.0, abs=1e-6)
    # a permutation of the rows is the same distribution
    assert central_moment_discrepancy(x, x[torch.randperm(500, generator=gen)]).item() < 1e-5
    shifts = [central_moment_discrepancy(x, x + s).item() for s in (0.1, 0.5, 1.0)]
    assert shifts[0] < shifts[1] < shifts[2]
    assert shifts[2] == pytest.approx(2.0, rel=1e-4)  # ||(1,1,1,1)||, central moments unchanged
    scales = [central_moment_discrepancy(x, x * s).item() for s in (1.2, 1.5, 2.0)]
    assert 0 < scales[0] < scales[1] < scales[2]
    # higher moments count: same mean and variance, different skew
    skewed = torch.distributions.Exponential(1.0).sample((20000, 1)) - 1.0
    normal = torch.randn(20000, 1, generator=gen)
    assert central_moment_discrepancy(skewed, normal, n_moments=2).item() < 0.1
    assert central_moment_discrepancy(skewed, normal, n_moments=5).item() > 1.0


def test_modality_cmd_uses_only_observed_rows():
    gen = torch.Generator().manual_seed(1)
    h = torch.randn(200, 3, 5, generator=gen)
    h[:, 1] = h[:, 0]
    h[:, 2] = h[:, 0]
    observed = torch.ones(200, 3, dtype=torch.bool)
    assert modality_cmd(h, observed).item() < 1e-6
    observed[:50, 1] = False
    h_garbage = h.clone()
    h_garbage[:50, 1] = 100.0  # values of unobserved entries must not matter
    assert torch.allclose(modality_cmd(h, observed), modality_cmd(h_garbage, observed))
    shifted = h.clone()
    shifted[:, 2] += 1.0
    assert modality_cmd(shifted, observed).item() > 0.5
    # a single modality has no pair
    assert modality_cmd(h[:, :1], observed[:, :1]).item() == 0.0


def test_masked_mse_ignores_unobserved_modalities():
    gen = torch.Generator().manual_seed(2)
    pred = torch.randn(10, 3, 4, generator=gen)
    target = torch.randn(10, 3, 4, generator=gen)
    mask = torch.ones(10, 3, dtype=torch.bool)
    mask[:, 2] = False
    changed = target.clone()
    changed[:, 2] += 50.0
    assert torch.equal(masked_mse(pred, target, mask), masked_mse(pred, changed, mask))
    expected = ((pred[:, :2] - target[:, :2]) ** 2).mean()
    assert torch.allclose(masked_mse(pred, target, mask), expected)
    assert masked_mse(pred, target, torch.zeros_like(mask)).item() == 0.0


def test_stage2_reconstruction_loss_is_masked_per_modality(fitted):
    """The estimator's stage-2 loss ignores targets of modalities a row never had."""
    est = fitted["InvariantImagination"]
    X, y = shared_latent_views(40, seed=3)
    X[:20, 6:12] = np.nan  # modality b missing in half of the rows
    data = est._prepare_predict(X)
    data["y"] = torch.as_tensor(y)
    data.update(est.module_.teacher_targets(data["x"], data["observed"]))
    est._sampler = None
    try:
        base = est._losses(est.module_.eval(), data, None)
        data["target_embed"][:20, 1] = 1e3
        data["target_invariant"][:20, 1] = 1e3
        same = est._losses(est.module_, data, None)
        data["target_embed"][20:, 1] = 1e3
        different = est._losses(est.module_, data, None)
    finally:
        del est._sampler
    assert torch.equal(base["reconstruction"], same["reconstruction"])
    assert torch.equal(base["invariance"], same["invariance"])
    assert different["reconstruction"] > 100 * base["reconstruction"]


# --------------------------------------------------------------------------- #
# The cascade
# --------------------------------------------------------------------------- #
def test_residual_cascade_shapes_and_guidance():
    torch.manual_seed(0)
    x = torch.randn(7, 12)
    guide = torch.randn(7, 12)
    plain = ResidualAutoencoder(12, n_blocks=3, hidden_dim=8, latent_dim=4, guided=False)
    out, latents = plain(x)
    assert out.shape == (7, 12) and latents.shape == (7, 12)
    guided = ResidualAutoencoder(12, n_blocks=3, hidden_dim=8, latent_dim=4, guided=True)
    a, _ = guided(x, guide)
    b, _ = guided(x, guide + 1.0)
    assert not torch.allclose(a, b)  # the invariant features steer every block
    with pytest.raises(ValueError, match="guide"):
        guided(x)


def test_imagination_network_guide_fills_missing_modalities_with_kept_mean():
    net = ImaginationNetwork(
        [3, 3, 3], 2, invariant=True, hidden_dim=8, embed_dim=4, latent_dim=2, n_blocks=2, dropout=0.0
    )
    x = torch.randn(5, 9)
    keep = torch.tensor([[True, False, True]] * 5)
    specific, invariant = net.encode(x, keep)
    out = net.imagine(specific, invariant, keep)
    expected = (invariant[:, 0] + invariant[:, 2]) / 2
    assert torch.allclose(out["invariant"][:, 1], expected)
    assert torch.equal(out["zero_filled"][:, 1], torch.zeros(5, 4))


# --------------------------------------------------------------------------- #
# Estimators
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("name", ["InvariantImagination", "ImaginationClassifier"])
def test_both_stages_run_and_teacher_is_frozen(fitted, name):
    est = fitted[name]
    stages = [h["stage"] for h in est.history_]
    assert stages.count("stage1") == SMALL["max_epochs"] and stages.count("stage2") == SMALL["max_epochs"]
    assert all(not p.requires_grad for p in est.module_.teacher.parameters())
    expected = {"cross_entropy", "reconstruction", "invariance" if name == "InvariantImagination" else "cycle"}
    assert expected <= set(est.history_[-1])
    if name == "InvariantImagination":
        assert "cmd" in est.history_[0]
    X, y = shared_latent_views(60, seed=5)
    assert est.score(X, y) > 0.85
    assert est.transform(X).shape == (60, SMALL["n_blocks"] * SMALL["latent_dim"])
    assert est.transform(X).dtype == np.float32


@pytest.mark.parametrize("name", ["InvariantImagination", "ImaginationClassifier"])
def test_imagined_embedding_is_closer_to_full_than_zero_filled(fitted, name):
    est = fitted[name]
    X, _ = shared_latent_views(120, seed=4)
    target = est.teacher_embedding(X)  # the frozen teacher's embedding of the full rows
    ratios = {}
    for condition in missing_conditions(MODALITIES):
        X_cond = apply_condition(X, MODALITIES, condition)
        imagined = np.mean((est.imagine(X_cond) - target) ** 2)
        zero_filled = np.mean((est.teacher_embedding(X_cond) - target) ** 2)
        ratios[condition] = imagined / zero_filled
    # measured: IF-MMIN 0.09-0.57 (mean 0.21), MMIN 0.09-0.23 (mean 0.15)
    assert max(ratios.values()) < 0.8, ratios
    assert np.mean(list(ratios.values())) < 0.4, ratios


def test_predict_proba_conditions_matches_predict_proba(fitted):
    est = fitted["InvariantImagination"]
    X, _ = shared_latent_views(50, seed=6)
    X[:5, :6] = np.nan  # "a" naturally missing in 5 rows: empty under condition {a}
    probas = est.predict_proba_conditions(X)
    assert list(probas) == missing_conditions(MODALITIES, include_full=True)
    for condition, proba in probas.items():
        direct = est.predict_proba(apply_condition(X, MODALITIES, condition))
        np.testing.assert_allclose(proba, direct, rtol=1e-5, atol=1e-6)
        assert proba.dtype == np.float32
    np.testing.assert_allclose(probas[("a",)][:5], np.tile(est.class_prior_, (5, 1)))


@pytest.mark.parametrize("name", ["InvariantImagination", "ImaginationClassifier"])
def test_predict_proba_conditions_refuses_an_empty_list(fitted, name):
    X, _ = shared_latent_views(10, seed=6)
    with pytest.raises(ValueError, match="conditions is empty"):
        fitted[name].predict_proba_conditions(X, [])


def test_predict_proba_conditions_encodes_once(fitted):
    est = fitted["ImaginationClassifier"]
    X, _ = shared_latent_views(50, seed=7)
    calls = []
    handle = est.module_.encoders.register_forward_hook(lambda *args: calls.append(1))
    try:
        est.predict_proba_conditions(X)
        assert len(calls) == 1  # one encoding pass for the full input and all six conditions
        est.predict_proba(X)
        assert len(calls) == 2
    finally:
        handle.remove()


def test_pipeline_with_logistic_regression():
    X, y = shared_latent_views()
    pipe = make_pipeline(
        InvariantImagination(modalities=MODALITIES, **{**SMALL, "max_epochs": 10}),
        LogisticRegression(),
    )
    assert pipe.fit(X, y).score(X, y) > 0.8


def test_semi_supervised_switch_uses_unlabelled_rows():
    X, y = shared_latent_views()
    y_partial = y.copy()
    y_partial[::3] = -1
    params = {**SMALL, "max_epochs": 5}
    semi = InvariantImagination(modalities=MODALITIES, semi_supervised=True, **params).fit(X, y_partial)
    sup = InvariantImagination(modalities=MODALITIES, semi_supervised=False, **params).fit(X, y_partial)
    # Same labels, same seed: only the unlabelled rows' label-free losses differ.
    assert not np.allclose(semi.transform(X), sup.transform(X))
    assert list(semi.classes_) == [0, 1]


def test_rate_scheme_and_incomplete_training_rows():
    X, y = shared_latent_views()
    X[:30, 6:12] = np.nan
    X[30:40] = np.nan  # rows with nothing observed
    with pytest.warns(UserWarning, match="10 of the 180 labelled rows have no modality observed"):
        est = ImaginationClassifier(
            modalities=MODALITIES, modality_dropout=0.3, **{**SMALL, "max_epochs": 5}
        ).fit(X, y)
    proba = est.predict_proba(X)
    np.testing.assert_allclose(proba[30:40], np.tile(est.class_prior_, (10, 1)), rtol=1e-6)
    assert np.isfinite(est.transform(X)).all()


def test_invalid_parameters():
    X, y = shared_latent_views(40)
    with pytest.raises(InvalidParameterError):
        InvariantImagination(modalities=MODALITIES, modality_dropout="six").fit(X, y)
    with pytest.raises(InvalidParameterError):
        ImaginationClassifier(modalities=MODALITIES, n_blocks=0).fit(X, y)
    with pytest.raises(InvalidParameterError):
        InvariantImagination(modalities=MODALITIES, cmd_weight=-1.0).fit(X, y)


def test_a_single_condition_name_is_one_condition_not_its_letters():
    # "m1" used to be read as the conditions "m" and "1".
    X, y = shared_latent_views(60)
    clf = ImaginationClassifier(modalities=[6, 6, 6], **{**SMALL, "max_epochs": 1}).fit(X, y)
    by_name = clf.predict_proba_conditions(X, conditions="m1")
    assert list(by_name) == [("m1",)]
    np.testing.assert_array_equal(by_name[("m1",)], clf.predict_proba_conditions(X, [("m1",)])[("m1",)])
