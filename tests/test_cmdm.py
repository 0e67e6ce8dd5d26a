"""CrossModalMatchingClassifier: the MMD term, its masking, and what it buys."""

import numpy as np
import pytest
import torch
from sklearn.metrics import balanced_accuracy_score

from skmmer.datasets import make_multimodal_classification
from skmmer.nn import gaussian_kernel_matrix, mean_pairwise_mmd, pairwise_mmd
from skmmer.semi_supervised import CrossModalMatchingClassifier


def transfer_data(seed=0, n_labelled=90, n_unlabelled=400, n_test=200):
    """Two views of one latent; labelled rows have only view A, test rows only view B.

    Unlabelled rows have both. Unequal class sizes make the matching of
    clusters across views unique, as real emotion classes are.
    """
    rng = np.random.RandomState(seed)
    Wa, Wb = rng.normal(size=(3, 8)), rng.normal(size=(3, 8))

    def draw(n):
        y = rng.choice(3, n, p=[0.6, 0.3, 0.1])
        z = 3 * np.eye(3)[y] + rng.normal(scale=0.5, size=(n, 3))
        X = np.hstack([z @ Wa, z @ Wb]) + 0.3 * rng.normal(size=(n, 16))
        return X, y

    X_l, y_l = draw(n_labelled)
    X_l[:, 8:] = np.nan
    X_u, _ = draw(n_unlabelled)
    X_t, y_t = draw(n_test)
    X_t[:, :8] = np.nan
    X = np.vstack([X_l, X_u])
    y = np.concatenate([y_l, -np.ones(n_unlabelled, dtype=int)])
    return X, y, X_t, y_t


def fit(X, y, **kw):
    params = dict(modalities=[8, 8], max_epochs=40, random_state=0)
    params.update(kw)
    return CrossModalMatchingClassifier(**params).fit(X, y)


@pytest.fixture(scope="module")
def transfer():
    X, y, X_t, y_t = transfer_data()
    # a strong weight: here the views share everything, so full matching is right
    with_mmd, without_mmd = fit(X, y, mmd_weight=1.0), fit(X, y, mmd_weight=0.0)
    return with_mmd, without_mmd, X_t, y_t


def test_mmd_aligns_modality_latents_during_training(transfer):
    with_mmd, without_mmd, _, _ = transfer
    assert with_mmd.history_[-1]["mmd"] < 0.25 * with_mmd.history_[0]["mmd"]
    assert without_mmd.history_[-1]["mmd"] > 5 * with_mmd.history_[-1]["mmd"]


def test_alignment_transfers_a_classifier_to_a_modality_it_never_saw_labelled(transfer):
    with_mmd, without_mmd, X_t, y_t = transfer
    matched = balanced_accuracy_score(y_t, with_mmd.predict(X_t))
    unmatched = balanced_accuracy_score(y_t, without_mmd.predict(X_t))
    assert matched > 0.9
    assert matched > unmatched + 0.2


@pytest.mark.filterwarnings("ignore:Modalities .* are missing in every labelled training row")
def test_dropping_unlabelled_rows_loses_the_transfer():
    X, y, X_t, y_t = transfer_data()
    supervised = fit(X, y, mmd_weight=1.0, use_unlabelled=False)
    # the labelled rows never show view B, so nothing can align it
    assert balanced_accuracy_score(y_t, supervised.predict(X_t)) < 0.8


def test_missing_blocks_do_not_enter_reconstruction_or_mmd():
    X, y, _, _ = transfer_data(n_unlabelled=60)
    clf = fit(X, y, max_epochs=2)
    data = clf._prepare_predict(X)
    data["y"] = torch.as_tensor(np.where(y >= 0, y, -1))
    clf.module_.eval()
    with torch.no_grad():
        before = clf._losses(clf.module_, data, None)
        garbage = data["x"].clone()
        garbage[~data["observed"][:, 1], 8:] = 123.0  # values inside missing blocks
        after = clf._losses(clf.module_, {**data, "x": garbage}, None)
    for name in ("reconstruction", "mmd", "cross_entropy"):
        assert torch.allclose(before[name], after[name]), name


def test_class_conditional_and_posterior_options_change_the_fit():
    X, y, _ = make_multimodal_classification(n_samples=150, modality_sizes=(8, 8), random_state=0)
    y = np.where(np.arange(150) % 2 == 0, y, -1)  # labelled rows have both modalities
    base = fit(X, y, max_epochs=5).predict_proba(X)
    for options in ({"class_conditional_mmd": True}, {"mmd_on": "posterior"}, {"modality_head_weight": 1.0}):
        assert not np.allclose(fit(X, y, max_epochs=5, **options).predict_proba(X), base), options


def test_invalid_bandwidths():
    X, y, _, _ = transfer_data(n_unlabelled=20)
    with pytest.raises(ValueError, match="mmd_bandwidths must be positive numbers"):
        fit(X, y, mmd_bandwidths=(1.0, -2.0))


def test_vectorized_mmd_matches_the_direct_estimator():
    g = torch.Generator().manual_seed(0)
    reps = torch.stack([torch.randn(50, 4, generator=g), torch.randn(50, 4, generator=g) + 1.5], dim=1)
    weights = torch.ones(50, 2)
    weights[:20, 1] = 0  # modality 1 missing in 20 rows
    present = weights.reshape(100) > 0  # the bandwidth ignores placeholders of missing blocks
    kernel = gaussian_kernel_matrix(reps.reshape(100, 4), (0.5, 1.0, 2.0), present).reshape(50, 2, 50, 2)
    a, b = slice(None), slice(20, None)
    direct = kernel[a, 0][:, a, 0].mean() + kernel[b, 1][:, b, 1].mean() - 2 * kernel[a, 0][:, b, 1].mean()
    assert torch.allclose(pairwise_mmd(reps, weights, (0.5, 1.0, 2.0))[0, 1], direct, atol=1e-5)
    assert torch.allclose(mean_pairwise_mmd(reps, weights, (0.5, 1.0, 2.0)), direct, atol=1e-5)


def test_mmd_is_zero_for_identical_distributions_and_ignores_empty_sides():
    reps = torch.randn(30, 1, 3).expand(30, 2, 3).contiguous()
    assert mean_pairwise_mmd(reps, torch.ones(30, 2)).abs() < 1e-6
    weights = torch.ones(30, 2)
    weights[:, 1] = 0
    assert mean_pairwise_mmd(reps, weights) == 0


@pytest.mark.parametrize("fusion", ["mean", "concat"])
def test_single_modality_logits_are_the_head_on_that_modality_alone(fusion):
    """The per-modality heads (and MMD on posteriors) read each modality as if it were the only one."""
    from skmmer.semi_supervised._cmdm import _single_modality_logits

    X, y, _, _ = transfer_data(n_unlabelled=60)
    clf = fit(X, y, fusion=fusion, max_epochs=3, mmd_on="posterior", modality_head_weight=0.5)
    module = clf.module_.eval()
    x = torch.as_tensor(np.nan_to_num(X[:20]), dtype=torch.float32)
    with torch.no_grad():
        latents = module.encode(x)
        per_modality = _single_modality_logits(module, latents)
        for m in range(2):
            only_m = torch.zeros(20, 2, dtype=torch.bool)
            only_m[:, m] = True
            alone = module.head(module.fuse(latents, only_m))
            torch.testing.assert_close(per_modality[:, m], alone)
    width = 2 * clf.latent_dim if fusion == "concat" else clf.latent_dim
    assert clf.transform(X[:5]).shape == (5, width)


def test_kernel_bandwidth_scale_defaults_to_every_pair():
    """Without ``present`` the scale is the mean over all pairs, as with every point present."""
    points = torch.randn(30, 4, generator=torch.Generator().manual_seed(0))
    everyone = torch.ones(30, dtype=torch.bool)
    kernel = gaussian_kernel_matrix(points, (0.5, 2.0))
    torch.testing.assert_close(kernel, gaussian_kernel_matrix(points, (0.5, 2.0), everyone))
    torch.testing.assert_close(torch.diagonal(kernel), torch.full((30,), 2.0))
    # scaling the points leaves the kernel unchanged: the bandwidth follows the scale
    torch.testing.assert_close(gaussian_kernel_matrix(10 * points, (0.5, 2.0)), kernel)
