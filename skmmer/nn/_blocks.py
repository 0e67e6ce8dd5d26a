"""Layers reused across methods: MLPs, per-modality encoders, masked fusion."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def mlp(
    in_dim: int,
    hidden: Sequence[int],
    out_dim: int,
    *,
    dropout: float = 0.0,
    activation: type[nn.Module] = nn.ReLU,
) -> nn.Sequential:
    """Linear -> activation -> dropout for each hidden size, then a linear output."""
    layers: list[nn.Module] = []
    previous = in_dim
    for width in hidden:
        layers += [nn.Linear(previous, width), activation()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        previous = width
    layers.append(nn.Linear(previous, out_dim))
    return nn.Sequential(*layers)


class ModalityEncoders(nn.Module):
    """One MLP per modality; a missing modality's embedding is exactly zero.

    ``forward(x, keep)`` splits ``x`` (block order) into the modality blocks,
    encodes each and returns embeddings of shape (n, M, embed_dim) multiplied
    by ``keep`` so that a dropped or missing modality contributes nothing and
    receives no gradient.
    """

    def __init__(self, sizes: Sequence[int], hidden_dim: int, embed_dim: int, dropout: float = 0.0):
        super().__init__()
        self.sizes = [int(s) for s in sizes]
        self.embed_dim = int(embed_dim)
        self.encoders = nn.ModuleList(
            mlp(size, [hidden_dim], embed_dim, dropout=dropout) for size in self.sizes
        )

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        blocks = torch.split(x, self.sizes, dim=1)
        embeddings = torch.stack([enc(b) for enc, b in zip(self.encoders, blocks)], dim=1)
        return embeddings * keep.unsqueeze(-1).to(embeddings.dtype)


def masked_mean(embeddings: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Mean over the kept modalities (zeros for a row that keeps none)."""
    weights = keep.to(embeddings.dtype).unsqueeze(-1)
    return (embeddings * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)


def fuse_embeddings(embeddings: torch.Tensor, keep: torch.Tensor, fusion: str) -> torch.Tensor:
    """``"mean"``: masked mean, (n, d). ``"concat"``: zero-filled concatenation, (n, M*d)."""
    if fusion == "mean":
        return masked_mean(embeddings, keep)
    if fusion == "concat":
        return (embeddings * keep.unsqueeze(-1).to(embeddings.dtype)).flatten(start_dim=1)
    raise ValueError(f"fusion must be 'mean' or 'concat', got {fusion!r}.")
