"""The torch core of :class:`~skmmer.semi_supervised.CrossModalMatchingClassifier`."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from skmmer.nn import fuse_embeddings, mlp


class CrossModalMatchingNetwork(nn.Module):
    """Per-modality denoising autoencoders sharing one classifier head.

    ``encode`` maps each modality block to a latent of the same size;
    ``decode`` reconstructs every block from its own latent; the head
    classifies the fused latent and, for per-modality posteriors, each
    modality's latent (one head for all: the MMD term makes the latents of
    different modalities interchangeable).
    """

    def __init__(
        self, sizes: Sequence[int], n_classes: int, *, hidden_dim: int, latent_dim: int,
        fusion: str, dropout: float,
    ):
        super().__init__()
        self.sizes = [int(s) for s in sizes]
        self.fusion = fusion
        self.encoders = nn.ModuleList(mlp(d, [hidden_dim], latent_dim, dropout=dropout) for d in self.sizes)
        self.decoders = nn.ModuleList(mlp(latent_dim, [hidden_dim], d) for d in self.sizes)
        self.fused_dim = latent_dim * (len(self.sizes) if fusion == "concat" else 1)
        self.head = mlp(self.fused_dim, [hidden_dim], n_classes, dropout=dropout)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Latents of every modality, (n, M, latent_dim); missing blocks are masked later."""
        blocks = torch.split(x, self.sizes, dim=1)
        return torch.stack([enc(b) for enc, b in zip(self.encoders, blocks)], dim=1)

    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        """Reconstructed values in block order, (n, sum of sizes)."""
        return torch.cat([dec(latents[:, m]) for m, dec in enumerate(self.decoders)], dim=1)

    def fuse(self, latents: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        return fuse_embeddings(latents, keep, self.fusion)

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        return self.head(self.fuse(self.encode(x), keep))
