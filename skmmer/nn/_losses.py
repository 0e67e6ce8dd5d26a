"""Losses shared by methods."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def masked_cross_entropy(
    logits: torch.Tensor,
    y: torch.Tensor,
    class_weight: torch.Tensor | None = None,
    *,
    keep: torch.Tensor | None,
) -> torch.Tensor:
    """Mean cross-entropy over labelled rows (``y >= 0``) that have input; 0 for a batch without.

    ``keep`` (n, M) tells which modalities the network was given: a row
    given none carries no label signal (its logits are those of an empty
    input), so its label is ignored, whatever the method (the estimators'
    ``fit`` warns when labelled rows have no modality observed, and refuses
    data in which none has one). Every caller says what its network saw;
    ``None`` (every row has input) must be a choice.
    With ``class_weight`` (one weight per class) the mean is weighted by each
    row's class, ``sum_i w[y_i] CE_i / sum_i w[y_i]``, so only the ratios of
    the weights matter and the loss keeps its scale next to the other terms.
    No host sync: the labelled count (or weight) stays on the device.
    """
    if keep is not None:
        y = torch.where(keep.any(dim=1), y, -1)
    total = F.cross_entropy(logits, y, weight=class_weight, ignore_index=-1, reduction="sum")
    if class_weight is None:
        return total / (y >= 0).sum().clamp(min=1)
    row_weights = class_weight[y.clamp(min=0)] * (y >= 0).to(class_weight.dtype)
    return total / row_weights.sum().clamp(min=torch.finfo(class_weight.dtype).tiny)


def masked_mse(prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the modality slots where ``mask`` (n, M) is True.

    ``prediction`` and ``target`` are (n, M, d); slots with no target (a
    modality that was never observed in the row) contribute nothing, and a
    batch without any target gives 0.
    """
    w = mask.to(prediction.dtype).unsqueeze(-1)
    squared = ((prediction - target) ** 2 * w).sum()
    return squared / (w.sum() * prediction.shape[-1]).clamp(min=1.0)
