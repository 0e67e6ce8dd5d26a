"""The torch core of :class:`~skmmer.impute.DiffusionImputer`.

Three pieces, all independent of scikit-learn:

* :class:`ConditionalDenoiser`: one mask-conditioned MLP that denoises the
  hidden entries of a row given its visible entries and the visibility mask
  (any missing pattern), with EDM preconditioning (Karras et al., 2022);
* the noise schedules (``"edm"``: log-normal training noise levels and the
  Karras sigma grid; ``"ve"``: IMDer's variance-exploding SDE with
  sigma = 25) and their samplers (Heun's probability-flow ODE, and
  Euler-Maruyama on the reverse VE SDE);
* counter-based per-row noise (:func:`row_keys`, :func:`row_normal`): the
  sampler's random numbers for a row are a pure function of
  ``(seed, row content, draw, step, feature)``, so a row's imputation does
  not depend on the other rows, their order or the chunk size.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

__all__ = [
    "ConditionalDenoiser",
    "conditional_mean",
    "row_keys",
    "row_normal",
    "sample_missing",
    "training_sigmas",
    "ve_sigma",
]

#: Standard deviation of the (standardized) data, used by the preconditioning.
SIGMA_DATA = 1.0
#: EDM: log-normal training noise levels and the sampler's grid.
EDM_P_MEAN, EDM_P_STD = -1.0, 1.4
EDM_SIGMA_MIN, EDM_SIGMA_MAX, EDM_RHO = 0.002, 10.0, 7.0
#: IMDer's VE SDE: sigma_t = sqrt((S^(2t) - 1) / (2 ln S)), S = 25; t in [eps, 1].
VE_SIGMA, VE_EPS_TRAIN, VE_EPS_SAMPLE = 25.0, 1e-5, 1e-3


# --------------------------------------------------------------------------- #
# Network
# --------------------------------------------------------------------------- #
class _FourierTime(nn.Module):
    """sin/cos features of the log noise level at fixed geometric frequencies."""

    def __init__(self, n_frequencies: int = 32):
        super().__init__()
        freqs = torch.exp(torch.linspace(math.log(0.5), math.log(200.0), n_frequencies))
        self.register_buffer("freqs", freqs, persistent=False)
        self.out_dim = 2 * n_frequencies

    def forward(self, c_noise: torch.Tensor) -> torch.Tensor:
        angles = c_noise.unsqueeze(1) * self.freqs
        return torch.cat([angles.sin(), angles.cos()], dim=1)


class _FiLMBlock(nn.Module):
    """Pre-norm residual MLP block whose normalized input is scaled/shifted by the noise level."""

    def __init__(self, width: int, emb_dim: int):
        super().__init__()
        self.norm = nn.LayerNorm(width, elementwise_affine=False)
        self.film = nn.Linear(emb_dim, 2 * width)
        self.fc1 = nn.Linear(width, width)
        self.fc2 = nn.Linear(width, width)
        self.act = nn.SiLU()

    def forward(self, h: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        scale, shift = self.film(emb).chunk(2, dim=1)
        y = self.norm(h) * (1 + scale) + shift
        return h + self.fc2(self.act(self.fc1(self.act(y))))


class ConditionalDenoiser(nn.Module):
    """D(x_noisy, sigma | visible values, mask): the denoised estimate of a whole row.

    Inputs per row (``n_features`` = D, block order): the noisy values of the
    hidden entries (scaled by ``c_in``, zero where visible), the visible
    values (zero where hidden) and the visibility mask; the noise level
    enters through Fourier features and FiLM in every block. The output is
    ``c_skip * x_noisy + c_out * F(...)`` (EDM preconditioning); only its
    hidden entries are used. No operation mixes rows.
    """

    def __init__(self, n_features: int, *, hidden_dim: int, n_layers: int):
        super().__init__()
        self.n_features = int(n_features)
        self.time = _FourierTime()
        emb_dim = min(hidden_dim, 64)
        self.embed = nn.Sequential(
            nn.Linear(self.time.out_dim, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim), nn.SiLU()
        )
        self.inp = nn.Linear(3 * self.n_features, hidden_dim)
        self.blocks = nn.ModuleList(_FiLMBlock(hidden_dim, emb_dim) for _ in range(n_layers))
        self.out_norm = nn.LayerNorm(hidden_dim)
        self.out = nn.Linear(hidden_dim, self.n_features)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(
        self, x_noisy: torch.Tensor, sigma: torch.Tensor, cond: torch.Tensor, visible: torch.Tensor
    ) -> torch.Tensor:
        vis = visible.to(x_noisy.dtype)
        sigma = sigma.reshape(-1, 1).to(x_noisy.dtype)
        var = sigma**2 + SIGMA_DATA**2
        c_skip = SIGMA_DATA**2 / var
        c_out = sigma * SIGMA_DATA / var.sqrt()
        c_in = 1.0 / var.sqrt()
        hidden = 1.0 - vis
        features = torch.cat([c_in * x_noisy * hidden, cond * vis, vis], dim=1)
        emb = self.embed(self.time(sigma.squeeze(1).log() / 4))
        h = self.inp(features)
        for block in self.blocks:
            h = block(h, emb)
        F = self.out(torch.nn.functional.silu(self.out_norm(h)))
        return c_skip * x_noisy + c_out * F


# --------------------------------------------------------------------------- #
# Schedules
# --------------------------------------------------------------------------- #
def ve_sigma(t: torch.Tensor) -> torch.Tensor:
    """IMDer's VE marginal standard deviation at time t in (0, 1]."""
    return torch.sqrt((VE_SIGMA ** (2 * t) - 1) / (2 * math.log(VE_SIGMA)))


def training_sigmas(n: int, schedule: str, generator: torch.Generator, device) -> torch.Tensor:
    """Noise levels of one training batch (one per row)."""
    if schedule == "edm":
        z = torch.randn(n, generator=generator, device=device)
        return torch.exp(EDM_P_MEAN + EDM_P_STD * z)
    t = torch.rand(n, generator=generator, device=device) * (1 - VE_EPS_TRAIN) + VE_EPS_TRAIN
    return ve_sigma(t)


def denoising_loss(module: ConditionalDenoiser, x, visible, target, sigma, noise) -> torch.Tensor:
    """EDM-weighted denoising score matching on the ``target`` entries.

    With ``lambda(sigma) = 1 / c_out^2`` the weighted error of D is the plain
    error of the network output F against its effective target, so every
    noise level contributes on the same scale. For the VE schedule this is
    IMDer's ``(sigma * s + z)^2`` objective up to a per-sigma weight.
    """
    x_noisy = x + sigma.unsqueeze(1) * noise
    denoised = module(x_noisy, sigma, x, visible)
    s = sigma.unsqueeze(1)
    weight = (s**2 + SIGMA_DATA**2) / (s * SIGMA_DATA) ** 2
    err = weight * (denoised - x) ** 2
    mask = target.to(err.dtype)
    return (err * mask).sum() / mask.sum().clamp(min=1.0)


# --------------------------------------------------------------------------- #
# Counter-based per-row noise
# --------------------------------------------------------------------------- #
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finalizer (a bijection of uint64 with good avalanche)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def row_keys(X: np.ndarray, seed: int) -> np.ndarray:
    """A 64-bit key per row from its exact content (NaN canonicalized) and ``seed``.

    Identical rows get identical keys (and so identical draws); a row's key
    does not depend on any other row.
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    X = np.where(np.isnan(X), np.nan, X) + 0.0  # one NaN bit pattern, -0.0 -> +0.0
    bits = X.view(np.uint64)
    cols = np.arange(1, X.shape[1] + 1, dtype=np.uint64) * _GOLDEN
    with np.errstate(over="ignore"):
        per_entry = _mix(bits ^ cols)
        # A sum (mod 2^64) of position-salted hashes is order-aware and cheap.
        acc = per_entry.sum(axis=1, dtype=np.uint64) if X.shape[1] else np.zeros(len(X), np.uint64)
        return _mix(acc ^ _mix(np.uint64(seed % 2**63) * _GOLDEN + _GOLDEN))


def row_normal(keys: np.ndarray, stream: int, n_features: int) -> np.ndarray:
    """Standard normal float32 (n_rows, n_features), a pure function of (key, stream, column)."""
    cols = np.arange(n_features, dtype=np.uint64)
    with np.errstate(over="ignore"):
        base = _mix(keys ^ _mix(np.uint64(stream) * _GOLDEN + np.uint64(0x632BE59BD9B4E019)))
        counter = base[:, None] + cols * np.uint64(2) * _GOLDEN
        a = _mix(counter)
        b = _mix(counter + _GOLDEN)
    scale = 1.0 / 2.0**53
    u1 = ((a >> _S11).astype(np.float64) + 1.0) * scale  # (0, 1]
    u2 = (b >> _S11).astype(np.float64) * scale
    return (np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)).astype(np.float32)


# --------------------------------------------------------------------------- #
# Samplers
# --------------------------------------------------------------------------- #
def edm_sigma_grid(n_steps: int, device) -> torch.Tensor:
    """Karras et al.'s grid of ``n_steps`` decreasing noise levels, then 0."""
    i = torch.arange(n_steps, dtype=torch.float64, device=device)
    lo, hi = EDM_SIGMA_MIN ** (1 / EDM_RHO), EDM_SIGMA_MAX ** (1 / EDM_RHO)
    frac = i / max(n_steps - 1, 1)
    sigmas = (hi + frac * (lo - hi)) ** EDM_RHO
    return torch.cat([sigmas, torch.zeros(1, dtype=torch.float64, device=device)]).float()


def top_sigma(schedule: str) -> float:
    """The largest noise level of a schedule: where every sampler starts."""
    if schedule == "edm":
        return EDM_SIGMA_MAX
    return float(ve_sigma(torch.tensor(1.0, dtype=torch.float64)))


@torch.no_grad()
def conditional_mean(
    module: ConditionalDenoiser, cond: torch.Tensor, visible: torch.Tensor, *, schedule: str
) -> torch.Tensor:
    """E[hidden | visible] in one network call (visible entries copied from ``cond``).

    At the top noise level the noisy input carries almost nothing about the
    clean row, so the trained denoiser, the minimizer of the squared error
    given its inputs, approximates the conditional expectation of the hidden
    entries given the visible ones. The noisy input is set to its centre (0):
    no randomness, and a row's output depends on that row only.
    """
    n = cond.shape[0]
    sigma = torch.full((n,), top_sigma(schedule), device=cond.device, dtype=cond.dtype)
    denoised = module(torch.zeros_like(cond), sigma, cond, visible)
    vis = visible.to(cond.dtype)
    return denoised * (1.0 - vis) + cond * vis


@torch.no_grad()
def sample_missing(
    module: ConditionalDenoiser,
    cond: torch.Tensor,
    visible: torch.Tensor,
    keys: np.ndarray,
    draw: int,
    *,
    n_steps: int,
    schedule: str,
) -> torch.Tensor:
    """One draw of the hidden entries of every row (visible entries copied from ``cond``).

    ``"edm"``: Heun's second-order solver of the probability-flow ODE on
    the Karras grid (``2 * n_steps - 1`` network calls); the only randomness
    is the initial noise. ``"ve"``: Euler-Maruyama on IMDer's reverse VE SDE
    over ``n_steps`` uniform times from 1 to 1e-3 (``n_steps`` calls), fresh
    noise at every step, the last step without noise. Either way the noise
    of a row comes from :func:`row_normal` with its own key.
    """
    device, dtype = cond.device, cond.dtype
    n, d = cond.shape
    vis = visible.to(dtype)

    def noise(step: int) -> torch.Tensor:
        z = row_normal(keys, draw * 100_003 + step, d)
        return torch.from_numpy(z).to(device=device, dtype=dtype)

    def denoise(x, sigma: float) -> torch.Tensor:
        return module(x, torch.full((n,), sigma, device=device, dtype=dtype), cond, visible)

    if schedule == "edm":
        sigmas = edm_sigma_grid(n_steps, device).tolist()  # sigmas[0] == top_sigma("edm")
        x = noise(0) * sigmas[0]
        for i in range(n_steps):
            s, s_next = sigmas[i], sigmas[i + 1]
            d_cur = (x - denoise(x, s)) / s
            x_next = x + (s_next - s) * d_cur
            if s_next > 0:
                d_next = (x_next - denoise(x_next, s_next)) / s_next
                x_next = x + (s_next - s) * 0.5 * (d_cur + d_next)
            x = x_next
    else:
        ts = torch.linspace(1.0, VE_EPS_SAMPLE, n_steps, dtype=torch.float64)
        dt = float(ts[0] - ts[1]) if n_steps > 1 else 1.0 - VE_EPS_SAMPLE
        x = noise(0) * top_sigma("ve")
        for i, t in enumerate(ts.tolist()):
            sigma = float(ve_sigma(torch.tensor(t, dtype=torch.float64)))
            g2 = VE_SIGMA ** (2 * t)
            score = (denoise(x, sigma) - x) / sigma**2
            mean = x + g2 * score * dt
            x = mean if i == n_steps - 1 else mean + math.sqrt(g2 * dt) * noise(i + 1)
    return x * (1.0 - vis) + cond * vis
