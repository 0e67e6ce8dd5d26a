"""Torch building blocks shared by skmmer's methods.

Cores never see NaN, pandas or numpy: they get standardized values in block
order (``x``), the observed-modality mask and, for classifiers, labels with
``-1`` for unlabelled rows.
"""

from skmmer.nn._blocks import ModalityEncoders, fuse_embeddings, masked_mean, mlp
from skmmer.nn._kernels import (
    central_moment_discrepancy,
    gaussian_kernel_matrix,
    mean_pairwise_mmd,
    modality_cmd,
    pairwise_mmd,
)
from skmmer.nn._losses import masked_cross_entropy, masked_mse

__all__ = [
    "ModalityEncoders",
    "central_moment_discrepancy",
    "fuse_embeddings",
    "gaussian_kernel_matrix",
    "masked_cross_entropy",
    "masked_mean",
    "masked_mse",
    "mean_pairwise_mmd",
    "mlp",
    "modality_cmd",
    "pairwise_mmd",
]
