"""
Modality importance learned by a semi-supervised deep generative model
======================================================================

:class:`~skmmer.generative.MultiViewDGMClassifier` models every modality with
its own decoder and infers the shared latent variable with a mixture of
per-modality encoders. The learned mixture weights, ``modality_weights_``,
say how much the model relies on each modality; a row that misses a modality
uses the weights renormalized over the modalities it has.

Here three synthetic modalities are generated, and only ``"video"`` carries
the label; 30% of the modality blocks are missing and only 10% of the rows
are labelled (``y == -1`` for the others).
"""

import numpy as np

from skmmer.generative import MultiViewDGMClassifier
from skmmer.masking import simulate_missing

rng = np.random.RandomState(0)
sizes = {"audio": 10, "video": 10, "text": 10}
n = 600
y = np.arange(n) % 2
blocks = {name: rng.normal(size=(n, d)) for name, d in sizes.items()}
blocks["video"] += 1.2 * (2 * y[:, None] - 1)  # the only modality with label signal
X = simulate_missing(np.hstack(list(blocks.values())), sizes, rate=0.3, random_state=0)

y_semi = np.where(rng.rand(n) < 0.1, y, -1)
train, test = np.arange(400), np.arange(400, n)

clf = MultiViewDGMClassifier(
    sizes, missing_view_inference="heads", latent_dim=4, hidden_dims=(32,),
    max_epochs=60, random_state=0,
)
clf.fit(X[train], y_semi[train])
print("test accuracy:", round(clf.score(X[test], y[test]), 3))
print("modality weights:", {k: round(float(w), 3) for k, w in zip(sizes, clf.modality_weights_)})

# %%
# The model also fills in missing blocks (in the original units):
X_filled = clf.impute(X[test])
print("NaN left after impute:", int(np.isnan(X_filled).sum()))

# %%
# A bar chart of the weights (needs matplotlib).
try:
    import matplotlib.pyplot as plt
except ImportError:  # pragma: no cover - optional dependency
    plt = None

if plt is not None:
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar(list(sizes), clf.modality_weights_, color=["0.6", "tab:blue", "0.6"])
    ax.axhline(1 / len(sizes), color="k", lw=0.8, ls="--", label="uniform")
    ax.set_ylabel("modality_weights_")
    ax.set_title("Learned modality importance")
    ax.legend()
    fig.tight_layout()
    plt.show()
