"""skmmer: scikit-learn estimators for multimodal emotion recognition
with missing modalities and scarce labels.

Every estimator takes ``X`` with one column block per modality (the
``modalities`` parameter); a block that is all NaN in a row is a missing
modality, and ``y == -1`` marks an unlabelled row.
"""

from skmmer.fusion import MaskedFusionClassifier
from skmmer.generative import MultiViewDGMClassifier
from skmmer.imagination import ImaginationClassifier, InvariantImagination
from skmmer.impute import DiffusionImputer
from skmmer.noise import NoiseRobustClassifier
from skmmer.semi_supervised import CrossModalMatchingClassifier

__version__ = "0.1.0.dev0"

__all__ = [
    "CrossModalMatchingClassifier",
    "DiffusionImputer",
    "ImaginationClassifier",
    "InvariantImagination",
    "MaskedFusionClassifier",
    "MultiViewDGMClassifier",
    "NoiseRobustClassifier",
    "__version__",
]
