"""Tests of MultiViewDGMClassifier and its torch core."""

import numpy as np
import pytest
import torch
from sklearn.utils._param_validation import InvalidParameterError

from skmmer.generative import MultiViewDGMClassifier
from skmmer.generative._dgm_network import MultiViewDGMNetwork, gaussian_log_density
from skmmer.masking import simulate_missing

FAST = dict(latent_dim=4, hidden_dims=(32,), n_samples=3, max_epochs=30, random_state=0)
SIZES = {"a": 6, "b": 5, "c": 4}


def _blobs(n=240, seed=0, informative=(True, True, True), shift=1.5):
    """Three blocks; the informative ones are shifted by the class, the others pure noise."""
    rng = np.random.RandomState(seed)
    y = np.arange(n) % 2
    blocks = []
    for size, info in zip(SIZES.values(), informative):
        block = rng.normal(size=(n, size))
        if info:
            block += shift * (2 * y[:, None] - 1)
        blocks.append(block)
    return np.hstack(blocks), y


def _network(inference="heads", seed=0):
    torch.manual_seed(seed)
    return MultiViewDGMNetwork(
        list(SIZES.values()), 3, latent_dim=3, hidden_dims=[16], inference=inference
    )


def _batch(n=7, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, sum(SIZES.values()), generator=g)
    observed = torch.ones(n, 3, dtype=torch.bool)
    observed[1, 1] = observed[2, 0] = observed[2, 2] = False
    x = x * observed.repeat_interleave(torch.tensor(list(SIZES.values())), dim=1)
    return x, observed


def _class_bounds(net, x, observed, seed):
    """L(x_o, y) of every row and class, (n, K), in the pair order the unlabelled loss uses."""
    n, K = x.shape[0], net.n_classes
    rows = torch.arange(n).repeat(K)
    classes = torch.arange(K).repeat_interleave(n)
    bounds = net.pair_bounds(x, observed, rows, classes, torch.Generator().manual_seed(seed))
    return bounds.view(K, n).T


# --------------------------------------------------------------------------- #
# The mixture posterior and missing modalities
# --------------------------------------------------------------------------- #
def test_mixture_weights_renormalise_over_observed_modalities():
    net = _network()
    with torch.no_grad():
        net.weight_logits.copy_(torch.tensor([0.0, 1.0, 2.0]))
    _, observed = _batch()
    w = torch.exp(net.log_mixture_weights(observed)).detach()
    np.testing.assert_allclose(w.sum(1).numpy(), 1.0, rtol=1e-6)
    assert (w[~observed] == 0).all()
    full = torch.softmax(torch.tensor([0.0, 1.0, 2.0]), 0)
    np.testing.assert_allclose(w[0].numpy(), full.numpy(), rtol=1e-6)
    np.testing.assert_allclose(w[1].numpy(), [full[0] / (full[0] + full[2]), 0, full[2] / (full[0] + full[2])], rtol=1e-5)
    np.testing.assert_allclose(w[2].numpy(), [0, 1, 0], atol=0)


@pytest.mark.parametrize("inference", ["generate", "heads"])
def test_missing_block_content_is_ignored_and_observed_block_matters(inference):
    net = _network(inference).eval()
    x, observed = _batch()
    garbage = x.clone()
    garbage[1, 6:11] = 100.0  # inside row 1's missing block b
    noise = torch.randn(4, 3, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        base = net.infer(x, observed, noise, n_steps=3)
        other = net.infer(garbage, observed, noise, n_steps=3)
        bounds = _class_bounds(net, x, observed, 2)
        bounds_garbage = _class_bounds(net, garbage, observed, 2)
    for key in ("log_proba", "z_mean"):
        np.testing.assert_array_equal(base[key].numpy(), other[key].numpy())
    np.testing.assert_array_equal(bounds.numpy(), bounds_garbage.numpy())

    changed = x.clone()
    changed[1, :6] += 1.0  # row 1's observed block a
    with torch.no_grad():
        moved = net.infer(changed, observed, noise, n_steps=3)
    assert not torch.allclose(moved["z_mean"][1], base["z_mean"][1])
    np.testing.assert_array_equal(moved["z_mean"][0].numpy(), base["z_mean"][0].numpy())


@pytest.mark.parametrize("inference", ["generate", "heads"])
def test_inference_decodes_only_the_wanted_blocks_without_changing_predictions(inference):
    net = _network(inference).eval()
    x, observed = _batch()
    noise = torch.randn(4, 3, generator=torch.Generator().manual_seed(1))
    everything = torch.ones_like(observed)
    with torch.no_grad():
        default = net.infer(x, observed, noise, n_steps=3)
        full = net.infer(x, observed, noise, n_steps=3, wanted=everything)
    torch.testing.assert_close(default["log_proba"], full["log_proba"])
    torch.testing.assert_close(default["z_mean"], full["z_mean"])
    feature_wanted = net.feature_observed(~observed if inference == "generate" else ~everything)
    torch.testing.assert_close(default["expected_x"][feature_wanted], full["expected_x"][feature_wanted])
    assert (default["expected_x"][~feature_wanted] == 0).all()
    assert (full["expected_x"] != 0).all()


def test_impute_fills_nan_inside_an_observed_block():
    X, y = _blobs(n=120)
    est = MultiViewDGMClassifier(modalities=SIZES, **{**FAST, "max_epochs": 3}).fit(X, y)
    X_test = X[:10].copy()
    X_test[0, 1] = np.nan  # one feature of an observed block
    X_test[1, 6:11] = np.nan  # a whole missing block
    imputed = est.impute(X_test)
    assert not np.isnan(imputed).any()
    observed_entries = ~np.isnan(X_test)
    np.testing.assert_array_equal(imputed[observed_entries], X_test[observed_entries])
    assert imputed[0, 1] != est.scaler_.mean[1]  # the model's reconstruction, not the mean


def test_bound_likelihood_covers_observed_modalities_only():
    """With block c missing, the decoder of c receives no gradient from the bound."""
    net = _network()
    x, observed = _batch()
    observed[:, 2] = False
    x[:, 11:] = 0.0
    bounds = _class_bounds(net, x, observed, 0)
    bounds.sum().backward()
    assert all(p.grad is None or p.grad.abs().max() == 0 for p in net.decoders[2].parameters())
    assert all(p.grad is None or p.grad.abs().max() == 0 for p in net.encoders[2].parameters())
    assert net.decoder_log_var.grad[11:].abs().max() == 0
    assert net.decoders[0][0].weight.grad.abs().max() > 0


def test_observed_log_likelihood_is_the_masked_gaussian_density():
    net = _network()
    x, observed = _batch()
    observed[0, 1] = False
    with torch.no_grad():
        net.decoder_log_var.copy_(torch.linspace(-1.0, 1.0, x.shape[1]))
    decoded = torch.randn(x.shape[0], 3, x.shape[1], generator=torch.Generator().manual_seed(1))
    elementwise = gaussian_log_density(x.unsqueeze(1), decoded, net.decoder_variance_log())
    feat_obs = net.feature_observed(observed).to(x.dtype).unsqueeze(1)
    expected = (elementwise * feat_obs).sum(-1)
    torch.testing.assert_close(net.observed_log_likelihood(x, observed, decoded), expected)


# --------------------------------------------------------------------------- #
# The semi-supervised objective
# --------------------------------------------------------------------------- #
def test_unlabelled_bound_sums_the_class_out():
    net = _network("heads")
    x, observed = _batch()
    y = torch.full((x.shape[0],), -1)
    losses = net.losses(x, observed, y, torch.Generator().manual_seed(3))
    bounds = _class_bounds(net, x, observed, 3)
    q = net.heads_log_proba(x, observed)
    expected = -(q.exp() * (bounds - q)).sum() / x.numel()
    torch.testing.assert_close(losses["neg_elbo_unlabelled"], expected)
    assert losses["neg_elbo_labelled"] == 0 and losses["cross_entropy"] == 0
    # U(x) <= log sum_y exp L(x, y), with equality at q = softmax(L).
    best = torch.log_softmax(bounds, dim=1)
    u_best = (best.exp() * (bounds - best)).sum(1)
    torch.testing.assert_close(u_best, torch.logsumexp(bounds, 1), rtol=1e-5, atol=1e-4)
    assert ((q.exp() * (bounds - q)).sum(1) <= torch.logsumexp(bounds, 1) + 1e-4).all()


def test_labelled_bound_uses_each_rows_own_class_only():
    net = _network("heads")
    x, observed = _batch()
    y = torch.tensor([0, 2, 1, 1, 0, 2, 1])
    losses = net.losses(x, observed, y, torch.Generator().manual_seed(4))
    own = net.pair_bounds(x, observed, torch.arange(7), y, torch.Generator().manual_seed(4))
    torch.testing.assert_close(losses["neg_elbo_labelled"], -own.sum() / x.numel())
    wrong = net.pair_bounds(x, observed, torch.arange(7), (y + 1) % 3, torch.Generator().manual_seed(4))
    assert not torch.allclose(own, wrong)
    assert losses["neg_elbo_unlabelled"] == 0


@pytest.mark.parametrize("inference", ["generate", "heads"])
def test_classifier_learns_from_unlabelled_rows_only_through_the_bound(inference):
    net = _network(inference)
    x, observed = _batch()
    classifier = net.classifier if inference == "generate" else net.heads

    # Unlabelled rows: U(x) trains q(y | x).
    losses = net.losses(x, observed, torch.full((7,), -1), torch.Generator().manual_seed(0))
    losses["neg_elbo_unlabelled"].backward()
    assert sum(p.grad.abs().sum() for p in classifier.parameters()) > 0

    # Labelled rows: the bound does not touch the classifier (supervised model).
    net.zero_grad(set_to_none=True)
    losses = net.losses(x, observed, torch.arange(7) % 3, torch.Generator().manual_seed(0))
    assert losses["neg_elbo_unlabelled"] == 0
    losses["neg_elbo_labelled"].backward()
    assert all(p.grad is None or p.grad.abs().max() == 0 for p in classifier.parameters())


def test_unlabelled_rows_change_the_fit():
    X, y = _blobs()
    y_semi = np.where(np.arange(len(y)) % 5 == 0, y, -1)
    labelled = y_semi >= 0
    semi = MultiViewDGMClassifier(SIZES, **FAST).fit(X, y_semi)
    supervised = MultiViewDGMClassifier(SIZES, **FAST).fit(X[labelled], y_semi[labelled])
    assert all(h["neg_elbo_unlabelled"] == 0 for h in supervised.history_)
    assert all(h["neg_elbo_unlabelled"] != 0 for h in semi.history_)
    assert not np.allclose(semi.predict_proba(X), supervised.predict_proba(X), atol=1e-3)

    # alpha is the only weight on the labels: with no unlabelled rows and alpha=0 the
    # classifier is never trained (predictions stay those of the initial weights).
    untrained = MultiViewDGMClassifier(SIZES, **{**FAST, "alpha": 0.0, "max_epochs": 1})
    untrained.fit(X[labelled], y_semi[labelled])
    later = MultiViewDGMClassifier(SIZES, **{**FAST, "alpha": 0.0, "max_epochs": 5})
    later.fit(X[labelled], y_semi[labelled])
    first, last = _classifier_params(untrained), _classifier_params(later)
    assert first
    for a, b in zip(first, last):
        torch.testing.assert_close(a, b)
    assert not torch.equal(
        untrained.module_.decoders[0][0].weight, later.module_.decoders[0][0].weight
    )


def _classifier_params(clf):
    return [p.detach() for name, p in clf.module_.named_parameters()
            if name.startswith(("classifier.", "heads."))]


# --------------------------------------------------------------------------- #
# Fitted model
# --------------------------------------------------------------------------- #
def test_modality_weights_favour_the_informative_modality():
    # With per-modality heads the weights also mix the label evidence, so they
    # learn which modality carries the label. (With "generate" they are
    # learned from the bound alone and on this data stay close to uniform.)
    X, y = _blobs(n=300, informative=(False, True, False), shift=1.0)
    clf = MultiViewDGMClassifier(SIZES, missing_view_inference="heads", **FAST)
    clf.set_params(max_epochs=60).fit(X, y)
    weights = clf.modality_weights_
    assert weights.shape == (3,)
    np.testing.assert_allclose(weights.sum(), 1.0)
    assert weights.argmax() == 1, weights
    assert weights[1] > 0.38 and max(weights[0], weights[2]) < 0.32, weights
    assert clf.score(X, y) > 0.75


@pytest.mark.parametrize("inference", ["generate", "heads"])
def test_fits_incomplete_rows_and_predicts(inference):
    X, y = _blobs(seed=1)
    X = simulate_missing(X, SIZES, rate=0.3, random_state=0)
    clf = MultiViewDGMClassifier(SIZES, missing_view_inference=inference, **FAST).fit(X, y)
    assert clf.score(X, y) > 0.85
    Z = clf.transform(X)
    assert Z.shape == (len(X), 4) and Z.dtype == np.float32
    assert clf.get_feature_names_out().shape == (4,)


def test_impute_keeps_observed_values_and_recovers_a_dependent_block():
    rng = np.random.RandomState(0)
    n = 400
    y = np.arange(n) % 2
    a = rng.normal(size=(n, 6)) + (2 * y[:, None] - 1)
    b = rng.normal(size=(n, 5))
    c = a[:, :4] @ rng.normal(size=(4, 4)) + 10  # a deterministic function of a
    X = np.hstack([a, b, c])
    X_miss = simulate_missing(X, SIZES, rate=0.3, random_state=1)
    X_miss[0, 0] = np.nan  # feature-level NaN
    clf = MultiViewDGMClassifier(SIZES, **{**FAST, "latent_dim": 8, "max_epochs": 50})
    clf.fit(X_miss[:300], y[:300])
    out = clf.impute(X_miss)
    observed = ~np.isnan(X_miss)
    np.testing.assert_array_equal(out[observed], X_miss[observed])
    assert np.isfinite(out).all()
    rows = np.isnan(X_miss[300:, 11]) & ~np.isnan(X_miss[300:, 0])  # c missing, a observed
    assert rows.sum() > 10
    truth = X[300:][rows][:, 11:]
    model_err = np.mean((out[300:][rows][:, 11:] - truth) ** 2)
    mean_err = np.mean((np.nanmean(X_miss[:300, 11:], axis=0) - truth) ** 2)
    assert model_err < 0.7 * mean_err, (model_err, mean_err)


def test_predictions_are_repeatable_and_row_independent():
    X, y = _blobs(seed=2)
    X = simulate_missing(X, SIZES, rate=0.3, random_state=0)
    clf = MultiViewDGMClassifier(SIZES, missing_view_inference="generate", **FAST).fit(X, y)
    proba = clf.predict_proba(X)
    np.testing.assert_array_equal(proba, clf.predict_proba(X))
    np.testing.assert_allclose(clf.predict_proba(X[5:6])[0], proba[5], rtol=1e-5, atol=1e-6)


def test_parameter_validation():
    X, y = _blobs(n=40)
    with pytest.raises(InvalidParameterError):
        MultiViewDGMClassifier(SIZES, missing_view_inference="zeros").fit(X, y)
    with pytest.raises(ValueError, match="hidden_dims"):
        MultiViewDGMClassifier(SIZES, hidden_dims=(), max_epochs=1).fit(X, y)


def test_n_samples_set_after_fit_is_checked_at_prediction():
    # n_samples=0 used to fail deep in torch with a TypeError.
    X, y = _blobs(n=40)
    clf = MultiViewDGMClassifier(SIZES, **{**FAST, "max_epochs": 2}).fit(X, y)
    clf.set_params(n_samples=0)
    for method in (clf.predict_proba, clf.predict, clf.transform, clf.impute):
        with pytest.raises(InvalidParameterError, match="'n_samples' parameter .* Got 0 instead"):
            method(X)


@pytest.mark.parametrize("hidden_dims", [(16.9,), (32, 8.5), (True,)])
def test_hidden_dims_must_be_integer_widths(hidden_dims):
    # (16.9,) used to build a 16-unit layer without a word.
    X, y = _blobs(n=40)
    with pytest.raises(ValueError, match=r"hidden_dims must be a non-empty sequence of integer"):
        MultiViewDGMClassifier(SIZES, hidden_dims=hidden_dims, max_epochs=1).fit(X, y)
