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
