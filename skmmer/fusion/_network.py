"""The torch core of :class:`~skmmer.fusion.MaskedFusionClassifier`."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from skmmer.nn import ModalityEncoders, fuse_embeddings, mlp


class MaskedFusionNetwork(nn.Module):
    """Per-modality MLP encoders -> masked fusion -> MLP head.

    Also the stage-1 network of the imagination methods, which reuse
    :attr:`encoders`.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        n_classes: int,
        *,
        hidden_dim: int,
        embed_dim: int,
        fusion: str,
        dropout: float,
    ):
        super().__init__()
        self.fusion = fusion
        self.encoders = ModalityEncoders(sizes, hidden_dim, embed_dim, dropout)
        self.fused_dim = embed_dim * (len(sizes) if fusion == "concat" else 1)
        self.head = mlp(self.fused_dim, [hidden_dim], n_classes, dropout=dropout)

    def fuse(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        return fuse_embeddings(self.encoders(x, keep), keep, self.fusion)

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        return self.head(self.fuse(x, keep))
