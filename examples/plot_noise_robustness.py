"""
Noisy and missing modalities with NMER
======================================

:class:`~skmmer.noise.NoiseRobustClassifier` (NMER) trains on rows whose
"incomplete" modalities are replaced by diffusion-style noise-corrupted
versions of their features, ``sqrt(abar_t) x + sqrt(1 - abar_t) eps``, and
reconstructs a clean joint representation with a conditional VAE. This
example corrupts the test rows' weak modalities with noise of increasing
intensity ``t`` and compares NMER with IF-MMIN and the masked-fusion
baseline, and with the same modalities missing outright.
"""

# %%
# Synthetic data with one strong and two weak modalities
# ------------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.metrics import balanced_accuracy_score

from skmmer.datasets import make_multimodal_classification
from skmmer.fusion import MaskedFusionClassifier
from skmmer.imagination import InvariantImagination
from skmmer.masking import apply_condition
from skmmer.noise import NoiseRobustClassifier, add_modality_noise

torch.set_num_threads(1)  # these networks are tiny: one thread is the fastest

X, y, modalities = make_multimodal_classification(
    n_samples=900,
    n_classes=2,
    modality_sizes={"audio": 20, "video": 20, "text": 20},
    informativeness=(0.6, 0.6, 1.0),
    noise=0.7,
    random_state=0,
)
X_train, y_train, X_test, y_test = X[:600], y[:600], X[600:], y[600:]

# %%
# Fit (all three train with MMIN's six simulated patterns)
# --------------------------------------------------------
common = dict(modalities=modalities, max_epochs=30, random_state=0)
models = {
    "NMER": NoiseRobustClassifier(**common),
    "IF-MMIN": InvariantImagination(**common),
    "masked fusion": MaskedFusionClassifier(modality_dropout="subsets", **common),
}
for model in models.values():
    model.fit(X_train, y_train)

# %%
# Corrupt audio and video at increasing noise steps
# -------------------------------------------------
# ``add_modality_noise`` applies the same forward process as NMER's training
# on standardized features (the training rows' statistics); the signal
# fraction ``sqrt(abar_t)`` falls from 0.92 at ``t = 10`` to ~0 at 100.
loc, scale = X_train.mean(axis=0), X_train.std(axis=0)
steps = [0, 10, 20, 40, 60, 100]
scores = {name: [] for name in models}
for t in steps:
    X_noisy = add_modality_noise(
        X_test, modalities, ["audio", "video"], t, loc=loc, scale=scale, random_state=0
    )
    for name, model in models.items():
        scores[name].append(balanced_accuracy_score(y_test, model.predict(X_noisy)))

X_missing = apply_condition(X_test, modalities, ["text"])
missing = {name: balanced_accuracy_score(y_test, m.predict(X_missing)) for name, m in models.items()}

fig, ax = plt.subplots(figsize=(6, 4))
for name, values in scores.items():
    line = ax.plot(steps, values, marker="o", label=name)[0]
    ax.axhline(missing[name], color=line.get_color(), linestyle=":", linewidth=1)
ax.set_xlabel("noise step t on audio and video (of 100)")
ax.set_ylabel("balanced accuracy")
ax.set_title("Noisy modalities (lines) and missing ones (dotted)")
ax.legend()
fig.tight_layout()

for name in models:
    print(f"{name:>13}: " + " ".join(f"{v:.3f}" for v in scores[name]) + f" | missing {missing[name]:.3f}")

# %%
# The clean joint representation
# ------------------------------
# ``transform`` returns NMER's reconstruction of the frozen teacher's
# embedding of the clean row; it stays closer to that target under noise
# than the teacher's own embedding of the noisy row.
target = models["NMER"].teacher_embedding(X_test)
X_noisy = add_modality_noise(X_test, modalities, ["audio", "video"], 60, loc=loc, scale=scale,
                             random_state=0)
recon_err = np.mean((models["NMER"].transform(X_noisy) - target) ** 2)
naive_err = np.mean((models["NMER"].teacher_embedding(X_noisy) - target) ** 2)
print(f"distance to the clean embedding: NMER {recon_err:.3f}, teacher on noisy input {naive_err:.3f}")
