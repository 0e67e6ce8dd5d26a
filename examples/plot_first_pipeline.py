"""
A first pipeline with missing modalities
========================================

Multimodal data arrives as one table: each modality is a block of columns, and
a block that is all NaN in a row means that modality is missing for that
sample. This example fits :class:`~skmmer.MaskedFusionClassifier` on the
bundled handwritten-digit data (six feature "views" standing in for six
sensors), with modalities removed at random, and compares it with a
scikit-learn pipeline that imputes the missing values.
"""

# %%
# Load the bundled data and remove modalities
# -------------------------------------------
# ``modalities`` says which columns belong to which modality.
# :func:`~skmmer.masking.simulate_missing` removes whole blocks at random,
# never the last one of a row.
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmmer import MaskedFusionClassifier
from skmmer.datasets import load_mfeat
from skmmer.masking import observed_modalities, simulate_missing

X, y, modalities = load_mfeat(return_X_y=True)
X = simulate_missing(X, modalities, rate=0.5, random_state=0)
print("fraction of modality blocks observed:", observed_modalities(X, modalities).mean().round(2))

X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

# %%
# Fit the masked-fusion network and an imputation baseline
# ---------------------------------------------------------
# The network standardizes features itself and never sees the NaN blocks:
# each observed modality is encoded, and the embeddings are averaged over the
# modalities a row actually has.
clf = MaskedFusionClassifier(modalities=modalities, modality_dropout=0.3, random_state=0)
clf.fit(X_train, y_train)

baseline = make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression(max_iter=2000))
baseline.fit(X_train, y_train)

print(f"MaskedFusionClassifier accuracy: {clf.score(X_test, y_test):.3f}")
print(f"mean imputation + logistic regression: {baseline.score(X_test, y_test):.3f}")
print(f"stopped after {clf.n_epochs_} epochs ({clf.stop_reason_}); kept epoch {clf.best_epoch_}")
