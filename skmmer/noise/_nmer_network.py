"""Torch core of :class:`~skmmer.noise.NoiseRobustClassifier` (NMER).

* :class:`NoiseScheduler` -- DDPM-style forward corruption of whole modality
  blocks, ``x~ = sqrt(abar_t) x + sqrt(1 - abar_t) eps``, with one ``t`` per
  row and modality, vectorized on the device.
* :class:`ConditionalVAE` -- a per-row conditional VAE: an MLP encodes
  ``[specific; invariant]`` into ``z`` and an MLP decodes ``[z; invariant]``
  into the clean joint representation (no attention across rows).
* :class:`NoiseRobustNetwork` -- the frozen stage-1 teacher (IF-MMIN's
  :class:`~skmmer.imagination._networks.InvariantEncoderNetwork`), the
  student encoders, the CVAE and the classifier on the reconstruction.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from skmmer.imagination._networks import (
    InvariantEncoderNetwork,
    TeacherStudentNetwork,
    shared_encoder,
)
from skmmer.nn import ModalityEncoders, masked_mean, mlp

__all__ = ["ConditionalVAE", "NoiseRobustNetwork", "NoiseScheduler", "scaled_linear_alpha_bars"]

#: Probability that an entry of impulse noise is non-zero (the reference code's 1 - 0.7).
IMPULSE_PROBABILITY = 0.3


def scaled_linear_alpha_bars(n_steps: int, beta_range: tuple[float, float]) -> torch.Tensor:
    """``abar_t`` for ``t = 0 .. n_steps`` (float64); ``abar_0 = 1`` (no corruption).

    Betas are "scaled linear": linear in ``sqrt(beta)`` from
    ``sqrt(beta_range[0])`` to ``sqrt(beta_range[1])``, then squared;
    ``abar_t = prod_{s <= t} (1 - beta_s)``.
    """
    low, high = (float(b) for b in beta_range)
    betas = torch.linspace(low**0.5, high**0.5, int(n_steps), dtype=torch.float64) ** 2
    return torch.cat([torch.ones(1, dtype=torch.float64), torch.cumprod(1.0 - betas, dim=0)])


class NoiseScheduler(nn.Module):
    """Corrupts chosen modality blocks of each row at a per-row, per-modality step.

    Parameters
    ----------
    sizes : sequence of int
        Block sizes, in block order.
    n_steps : int
        Number of diffusion steps ``T``; valid steps are ``0 .. T`` (0: identity).
    beta_range : (float, float)
        First and last beta of the scaled-linear schedule.
    noise : {"gaussian", "impulse"}
        ``eps ~ N(0, I)``, or impulse noise: ``sign(N(0, 1))`` with probability
        :data:`IMPULSE_PROBABILITY` and 0 otherwise (support {-1, 0, 1}).
    """

    def __init__(self, sizes: Sequence[int], n_steps: int, beta_range, noise: str):
        super().__init__()
        if noise not in ("gaussian", "impulse"):
            raise ValueError(f"noise must be 'gaussian' or 'impulse', got {noise!r}.")
        self.noise = noise
        self.n_steps = int(n_steps)
        alpha_bars = scaled_linear_alpha_bars(n_steps, beta_range).float()
        block_of_feature = torch.repeat_interleave(
            torch.arange(len(sizes)), torch.as_tensor([int(s) for s in sizes])
        )
        # Rebuilt from the parameters: not part of the state dict.
        self.register_buffer("alpha_bars", alpha_bars, persistent=False)
        self.register_buffer("block_of_feature", block_of_feature, persistent=False)

    def sample_noise(self, shape, generator: torch.Generator) -> torch.Tensor:
        device = self.alpha_bars.device
        eps = torch.randn(shape, generator=generator, device=device)
        if self.noise == "impulse":
            fire = torch.rand(shape, generator=generator, device=device) < IMPULSE_PROBABILITY
            eps = torch.sign(eps) * fire.to(eps.dtype)
        return eps

    def sample_steps(self, shape, generator: torch.Generator) -> torch.Tensor:
        """Steps drawn uniformly from ``1 .. T``, one per entry of ``shape``."""
        return torch.randint(
            1, self.n_steps + 1, shape, generator=generator, device=self.alpha_bars.device
        )

    def corrupt(
        self,
        x: torch.Tensor,
        corrupt: torch.Tensor,
        t: torch.Tensor,
        generator: torch.Generator | None = None,
        eps: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``x`` (n, F) with the blocks where ``corrupt`` (n, M) is True noised at ``t`` (n, M)."""
        if eps is None:
            eps = self.sample_noise(x.shape, generator)
        abar = self.alpha_bars[t].to(x.dtype)[:, self.block_of_feature]  # (n, F)
        noisy = abar.sqrt() * x + (1.0 - abar).sqrt() * eps
        return torch.where(corrupt[:, self.block_of_feature], noisy, x)


class ConditionalVAE(nn.Module):
    """Per-row CVAE: ``q(z | specific, invariant)`` and ``p(joint | z, invariant)``."""

    def __init__(self, in_dim: int, cond_dim: int, out_dim: int, *, hidden_dim: int, latent_dim: int):
        super().__init__()
        self.encoder = mlp(in_dim, [hidden_dim], 2 * latent_dim, activation=nn.LeakyReLU)
        self.decoder = mlp(latent_dim + cond_dim, [hidden_dim], out_dim, activation=nn.LeakyReLU)
        self.latent_dim = int(latent_dim)

    def encode(self, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.encoder(inputs).chunk(2, dim=1)
        return mu, logvar.clamp(-10.0, 10.0)

    def decode(self, z: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        return self.decoder(torch.cat([z, condition], dim=1))


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, sigma^2) || N(0, I)), averaged over rows and latent dimensions."""
    return 0.5 * torch.mean(mu**2 + logvar.exp() - 1.0 - logvar)


class NoiseRobustNetwork(TeacherStudentNetwork):
    """Stage-1 teacher, student encoders, noise scheduler, CVAE and classifier.

    The student's specific embeddings ``E_m`` (zero where a modality is not
    given) and invariant features ``H_m = S(E_m)`` are concatenated as
    ``[E; H]``; the CVAE encodes them into ``z`` and decodes ``[z; H]`` into
    ``x_hat`` of shape (n, M * embed_dim), trained to match the frozen
    teacher's specific embeddings of the clean input. The classifier reads
    ``x_hat``.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        n_classes: int,
        *,
        hidden_dim: int,
        embed_dim: int,
        latent_dim: int,
        dropout: float,
        n_noise_steps: int,
        beta_range,
        noise: str,
        n_fill_draws: int = 8,
    ):
        super().__init__()
        self.n_modalities = len(sizes)
        self.embed_dim = int(embed_dim)
        self.teacher = InvariantEncoderNetwork(
            sizes, n_classes, hidden_dim=hidden_dim, embed_dim=embed_dim, dropout=dropout
        )
        self.encoders = ModalityEncoders(sizes, hidden_dim, embed_dim, dropout)
        self.shared = shared_encoder(embed_dim)
        self.scheduler = NoiseScheduler(sizes, n_noise_steps, beta_range, noise)
        dim = self.n_modalities * self.embed_dim
        self.joint_dim = dim
        self.cvae = ConditionalVAE(2 * dim, dim, dim, hidden_dim=hidden_dim, latent_dim=latent_dim)
        self.classifier = mlp(dim, [hidden_dim], n_classes, dropout=dropout)
        # Fixed noise for ``missing_fill="noise"`` at prediction (same for every row:
        # deterministic and row-independent); drawn at fit, saved with the weights.
        self.register_buffer("fill_noise", torch.zeros(int(n_fill_draws), sum(int(s) for s in sizes)))

    # -- set-up between the stages -------------------------------------- #
    def start_stage2(self, generator: torch.Generator) -> None:
        """Copy the teacher's encoders into the student, freeze the teacher, draw the fill noise."""
        super().start_stage2()
        self.fill_noise.copy_(self.scheduler.sample_noise(self.fill_noise.shape, generator))

    def teacher_targets(self, x: torch.Tensor, observed: torch.Tensor) -> dict[str, torch.Tensor]:
        specific, invariant = self.teacher.features(x, observed)
        return {"target_specific": specific, "target_invariant": invariant}

    # -- student ---------------------------------------------------------- #
    def forward_features(
        self, x: torch.Tensor, keep: torch.Tensor, *, fill_invariant: bool = False, sample=None
    ) -> dict[str, torch.Tensor]:
        """Encode, (optionally) fill the invariant features of missing slots, run the CVAE.

        ``sample``: a generator to draw ``z`` with (training); None uses the
        posterior mean.
        """
        specific = self.encoders(x, keep)
        invariant = self.shared(specific) * keep.unsqueeze(-1).to(specific.dtype)
        condition = invariant
        if fill_invariant:
            mean = masked_mean(invariant, keep).unsqueeze(1)
            condition = torch.where(keep.unsqueeze(-1), invariant, mean)
        mu, logvar = self.cvae.encode(torch.cat([specific.flatten(1), condition.flatten(1)], dim=1))
        if sample is not None:
            noise = torch.randn(mu.shape, generator=sample, device=mu.device, dtype=mu.dtype)
            z = mu + (0.5 * logvar).exp() * noise
        else:
            z = mu
        recon = self.cvae.decode(z, condition.flatten(1))
        return {
            "invariant": invariant,
            "mu": mu,
            "logvar": logvar,
            "recon": recon,
            "logits": self.classifier(recon),
        }

    def predict_recon(self, x: torch.Tensor, observed: torch.Tensor, missing_fill: str) -> torch.Tensor:
        """Deterministic clean joint representation for rows with truly missing blocks."""
        if missing_fill == "zeros":
            return self.forward_features(x, observed)["recon"]
        if missing_fill == "invariant":
            return self.forward_features(x, observed, fill_invariant=True)["recon"]
        if missing_fill != "noise":
            raise ValueError(f"unknown missing_fill {missing_fill!r}")
        # Missing blocks get pure noise (t = T) from the fixed draws; average the reconstructions.
        n = x.shape[0]
        k = self.fill_noise.shape[0]
        missing = ~observed & observed.any(dim=1, keepdim=True)  # rows with nothing stay empty
        t = torch.full_like(observed, self.scheduler.n_steps, dtype=torch.long)
        xs = x.unsqueeze(0).expand(k, -1, -1).reshape(k * n, -1)
        eps = self.fill_noise.unsqueeze(1).expand(-1, n, -1).reshape(k * n, -1)
        miss = missing.unsqueeze(0).expand(k, -1, -1).reshape(k * n, -1)
        noisy = self.scheduler.corrupt(xs, miss, t.repeat(k, 1), eps=eps)
        keep = (observed | missing).unsqueeze(0).expand(k, -1, -1).reshape(k * n, -1)
        recon = self.forward_features(noisy, keep)["recon"]
        return recon.view(k, n, -1).mean(dim=0)
