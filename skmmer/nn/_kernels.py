"""Distribution distances between modality representations, computed on a batch."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import torch


def gaussian_kernel_matrix(
    points: torch.Tensor, bandwidths: Sequence[float], present: torch.Tensor | None = None
) -> torch.Tensor:
    """Sum of Gaussian kernels between all rows of ``points`` (n, d) -> (n, n).

    Bandwidths are multipliers of the mean pairwise squared distance
    (detached), so the kernel adapts to the scale of the representation as it
    trains instead of saturating or vanishing. ``present`` (bool, n) limits
    that mean to real points, so placeholders of missing modalities cannot
    move the bandwidth.
    """
    squared = torch.cdist(points, points).pow(2)
    detached = squared.detach()
    if present is None:
        scale = detached.mean()
    else:
        pair = (present.unsqueeze(0) & present.unsqueeze(1)).to(detached.dtype)
        scale = (detached * pair).sum() / pair.sum().clamp(min=1.0)
    scale = scale.clamp(min=1e-8)
    kernel = torch.zeros_like(squared)
    for multiplier in bandwidths:
        kernel = kernel + torch.exp(-squared / (2.0 * multiplier * scale))
    return kernel


def pairwise_mmd(
    representations: torch.Tensor,
    weights: torch.Tensor,
    bandwidths: Sequence[float] = (0.25, 0.5, 1.0, 2.0, 4.0),
) -> torch.Tensor:
    """Biased MMD^2 between every pair of modalities, with per-row weights.

    Parameters
    ----------
    representations : Tensor of shape (n, M, d)
        One representation per row and modality.
    weights : Tensor of shape (n, M) or (n, M, C)
        Non-negative row weights per modality (0 where the modality is missing
        or the row is excluded). A trailing class axis C gives one MMD per
        class (class-conditional matching).

    Returns
    -------
    mmd : Tensor of shape (M, M) or (C, M, M)
        ``mmd[m, k]`` compares modality m's weighted distribution with
        modality k's; a pair involving an empty distribution is 0.
    """
    n, n_modalities, dim = representations.shape
    squeeze = weights.dim() == 2
    w = weights.unsqueeze(-1) if squeeze else weights  # (n, M, C)
    present = (w > 0).any(dim=-1).reshape(n * n_modalities)
    kernel = gaussian_kernel_matrix(representations.reshape(n * n_modalities, dim), bandwidths, present)
    kernel = kernel.reshape(n, n_modalities, n, n_modalities)
    mass = w.sum(dim=0)  # (M, C)
    p = w / mass.clamp(min=1e-12)
    # cross[c, m, k] = sum_ij p[i, m, c] K[i, m, j, k] p[j, k, c]
    cross = torch.einsum("imc,imjk,jkc->cmk", p, kernel, p)
    within = torch.diagonal(cross, dim1=1, dim2=2)  # (C, M)
    mmd = within.unsqueeze(2) + within.unsqueeze(1) - 2.0 * cross
    present = (mass > 0).T.to(mmd.dtype)  # (C, M)
    mmd = mmd * present.unsqueeze(2) * present.unsqueeze(1)
    return mmd.squeeze(0) if squeeze else mmd


def mean_pairwise_mmd(
    representations: torch.Tensor,
    weights: torch.Tensor,
    bandwidths: Sequence[float] = (0.25, 0.5, 1.0, 2.0, 4.0),
) -> torch.Tensor:
    """Mean MMD^2 over the modality pairs m < k whose two sides both have rows.

    With a class axis in ``weights``, the mean also runs over classes.
    """
    mmd = pairwise_mmd(representations, weights, bandwidths)
    n_modalities = representations.shape[1]
    if n_modalities < 2:
        return representations.sum() * 0.0
    w = weights.unsqueeze(-1) if weights.dim() == 2 else weights
    present = (w.sum(dim=0) > 0).T  # (C, M)
    upper = torch.triu(torch.ones(n_modalities, n_modalities, dtype=torch.bool, device=mmd.device), 1)
    pairs = (present.unsqueeze(2) & present.unsqueeze(1) & upper).to(mmd.dtype)
    mmd = mmd if mmd.dim() == 3 else mmd.unsqueeze(0)
    return (mmd * pairs).sum() / pairs.sum().clamp(min=1.0)


# Central moment discrepancy (Zellinger et al., 2017), as IF-MMIN uses it.
def _moments(h: torch.Tensor, weight: torch.Tensor, n_moments: int) -> torch.Tensor:
    """Mean and central moments 2..K of ``h`` (n, d) over rows weighted by ``weight`` (n,).

    Returns a (K, d) tensor. Rows of weight 0 do not count; with no row the
    moments are 0 (the caller switches such a term off).
    """
    w = weight.to(h.dtype).unsqueeze(1)
    total = w.sum().clamp(min=1.0)
    mean = (w * h).sum(dim=0) / total
    centred = h - mean
    moments = [mean]
    power = centred
    for _ in range(2, n_moments + 1):
        power = power * centred
        moments.append((w * power).sum(dim=0) / total)
    return torch.stack(moments)


def _cmd_from_moments(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Sum over orders of the Euclidean distance between two moment stacks."""
    return torch.linalg.vector_norm(a - b, dim=1).sum()


def central_moment_discrepancy(
    x: torch.Tensor, y: torch.Tensor, n_moments: int = 5
) -> torch.Tensor:
    """CMD between the row distributions of ``x`` (n, d) and ``y`` (m, d).

    ``||E x - E y||_2 + sum_{k=2..K} ||c_k(x) - c_k(y)||_2`` with ``c_k`` the
    element-wise k-th central moment over the rows. As in IF-MMIN, there is
    no range normalization. Zero exactly when the first K moments agree.
    """
    wx = torch.ones(x.shape[0], device=x.device)
    wy = torch.ones(y.shape[0], device=y.device)
    return _cmd_from_moments(_moments(x, wx, n_moments), _moments(y, wy, n_moments))


def modality_cmd(h: torch.Tensor, observed: torch.Tensor, n_moments: int = 5) -> torch.Tensor:
    """Mean CMD over all pairs of modalities of the invariant features ``h`` (n, M, d).

    The moments of modality ``m`` are taken over the rows where it is
    observed, so a missing modality's zero embedding never enters them. A
    pair counts only when both modalities are observed in at least two rows
    of the batch (no host sync: the switch is a tensor).
    """
    n_modalities = h.shape[1]
    if n_modalities < 2:
        return h.sum() * 0.0
    counts = observed.sum(dim=0)
    moments = [_moments(h[:, m], observed[:, m], n_moments) for m in range(n_modalities)]
    total = h.new_zeros(())
    n_pairs = h.new_zeros(())
    for i, j in itertools.combinations(range(n_modalities), 2):
        active = ((counts[i] > 1) & (counts[j] > 1)).to(h.dtype)
        total = total + active * _cmd_from_moments(moments[i], moments[j])
        n_pairs = n_pairs + active
    return total / n_pairs.clamp(min=1.0)
