"""Losses shared by methods."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def masked_cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over labelled rows (``y >= 0``); 0 for a batch without labels.

    No host sync: the labelled count stays on the device.
    """
    total = F.cross_entropy(logits, y, ignore_index=-1, reduction="sum")
    return total / (y >= 0).sum().clamp(min=1)


def masked_mse(prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the modality slots where ``mask`` (n, M) is True.

    ``prediction`` and ``target`` are (n, M, d); slots with no target (a
    modality that was never observed in the row) contribute nothing, and a
    batch without any target gives 0.
    """
    w = mask.to(prediction.dtype).unsqueeze(-1)
    squared = ((prediction - target) ** 2 * w).sum()
    return squared / (w.sum() * prediction.shape[-1]).clamp(min=1.0)
