"""Torch cores of the imagination methods (MMIN and IF-MMIN), utterance-level variant.

Everything here works on per-row vectors: ``x`` holds the standardized
modality blocks in block order (missing blocks zeroed) and ``keep`` / ``observed``
are boolean ``(n, M)`` masks. A modality that is not kept has an embedding of
exactly zero (see :class:`skmmer.nn.ModalityEncoders`), which is the
zero-filling of the original methods.

* The CMD loss between invariant features lives in :mod:`skmmer.nn`
  (:func:`~skmmer.nn.modality_cmd`), beside the MMD.
* :class:`InvariantEncoderNetwork` -- IF-MMIN's stage 1 (specific encoders, a
  shared invariant encoder, a classifier on both); usable on its own and
  meant to be reused by later methods (NMER).
* :class:`ResidualAutoencoder` -- the imagination cascade: MMIN's residual
  form and IF-MMIN's invariant-feature-guided form.
* :class:`ImaginationNetwork` -- stage 2 with its stage-1 teacher inside.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from skmmer.fusion._network import MaskedFusionNetwork
from skmmer.nn import ModalityEncoders, masked_cross_entropy, masked_mean, mlp, modality_cmd

__all__ = [
    "ImaginationNetwork",
    "InvariantEncoderNetwork",
    "ResidualAutoencoder",
    "TeacherStudentNetwork",
    "invariant_stage1_losses",
    "shared_encoder",
]


def invariant_stage1_losses(
    teacher, batch, n_moments: int, class_weight: torch.Tensor | None = None
) -> dict[str, torch.Tensor]:
    """IF-MMIN's stage-1 objective: cross-entropy on [specific; invariant] plus CMD.

    Shared by :class:`~skmmer.InvariantImagination` and NMER, whose stage 1
    is the same network. Rows with no modality carry no label signal.
    """
    observed = batch["observed"]
    specific, invariant = teacher.features(batch["x"], observed)
    logits = teacher.classify(specific, invariant)
    return {
        "cross_entropy": masked_cross_entropy(logits, batch["y"], class_weight, keep=observed),
        "cmd": modality_cmd(invariant, observed, n_moments),
    }


# --------------------------------------------------------------------------- #
# Stage 1 of IF-MMIN
# --------------------------------------------------------------------------- #
def shared_encoder(dim: int) -> nn.Sequential:
    """IF-MMIN's shared encoder ``S``: Linear-LeakyReLU-Linear-LeakyReLU, width ``dim``."""
    return nn.Sequential(nn.Linear(dim, dim), nn.LeakyReLU(), nn.Linear(dim, dim), nn.LeakyReLU())


class InvariantEncoderNetwork(nn.Module):
    """Specific encoders + shared invariant encoder + classifier (IF-MMIN stage 1).

    ``E_m = encoder_m(x_m)`` is the modality-specific embedding (zero when
    the modality is missing) and ``H_m = S(E_m)`` its modality-invariant
    feature, with one shared ``S`` (Linear-LeakyReLU-Linear-LeakyReLU) for
    every modality; a missing modality's ``H_m`` is zero too. The classifier
    sees the concatenation ``[E_1..E_M, H_1..H_M]``. Train it with
    cross-entropy plus :func:`modality_cmd` on ``H``.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        n_classes: int,
        *,
        hidden_dim: int,
        embed_dim: int,
        dropout: float,
    ):
        super().__init__()
        self.n_modalities = len(sizes)
        self.embed_dim = int(embed_dim)
        self.encoders = ModalityEncoders(sizes, hidden_dim, embed_dim, dropout)
        self.shared = shared_encoder(embed_dim)
        self.joint_dim = 2 * self.n_modalities * self.embed_dim
        self.head = mlp(self.joint_dim, [hidden_dim], n_classes, dropout=dropout)

    def invariant(self, specific: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """``H`` (n, M, d) from the specific embeddings, zero where not kept."""
        return self.shared(specific) * keep.unsqueeze(-1).to(specific.dtype)

    def features(self, x: torch.Tensor, keep: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Specific and invariant embeddings, each (n, M, d)."""
        specific = self.encoders(x, keep)
        return specific, self.invariant(specific, keep)

    def classify(self, specific: torch.Tensor, invariant: torch.Tensor) -> torch.Tensor:
        """Logits from the concatenation ``[E_1..E_M, H_1..H_M]``."""
        return self.head(torch.cat([specific.flatten(1), invariant.flatten(1)], dim=1))

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        return self.classify(*self.features(x, keep))


# --------------------------------------------------------------------------- #
# The imagination cascade
# --------------------------------------------------------------------------- #
class _AutoencoderBlock(nn.Module):
    def __init__(self, dim: int, hidden_dim: int, latent_dim: int):
        super().__init__()
        self.encoder = mlp(dim, [hidden_dim], latent_dim, activation=nn.LeakyReLU)
        self.decoder = mlp(latent_dim, [hidden_dim], dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        latent = self.encoder(x)
        return self.decoder(latent), latent


class ResidualAutoencoder(nn.Module):
    """A cascade of ``n_blocks`` autoencoders that imagines the full-modality embedding.

    ``guided=False`` (MMIN): block ``k`` reads ``x_k = x_{k-1} + out_{k-1}``
    (``x_1`` the input, ``out_0 = 0``) and the output is
    ``transition(x_K + out_K)``.

    ``guided=True`` (IF-MMIN): block ``k`` reads ``out_{k-1} + guide``
    (``out_0`` the input, ``guide`` the invariant features) and the output
    is ``transition(out_K)``.

    ``forward`` returns the imagined vector (n, dim) and the concatenated
    block latents (n, n_blocks * latent_dim), which is what the classifier
    reads.
    """

    def __init__(self, dim: int, *, n_blocks: int, hidden_dim: int, latent_dim: int, guided: bool):
        super().__init__()
        self.guided = bool(guided)
        self.blocks = nn.ModuleList(
            _AutoencoderBlock(dim, hidden_dim, latent_dim) for _ in range(n_blocks)
        )
        self.transition = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim))
        self.latent_dim = int(n_blocks * latent_dim)

    def forward(
        self, x: torch.Tensor, guide: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        latents = []
        if self.guided:
            if guide is None:
                raise ValueError("the guided cascade needs the invariant features as guide.")
            out = x
            for block in self.blocks:
                out, latent = block(out + guide)
                latents.append(latent)
            last = out
        else:
            x_in, out = x, torch.zeros_like(x)
            for block in self.blocks:
                x_in = x_in + out
                out, latent = block(x_in)
                latents.append(latent)
            last = x_in + out
        return self.transition(last), torch.cat(latents, dim=1)


# --------------------------------------------------------------------------- #
# Stage 2 (with its teacher)
# --------------------------------------------------------------------------- #
class TeacherStudentNetwork(nn.Module):
    """A stage-1 teacher and a stage-2 student that starts from the teacher's encoders.

    Subclasses set ``teacher`` (with ``encoders`` and, when ``shared`` is not
    None, ``shared``), and the student's ``encoders`` and ``shared``.
    """

    teacher: nn.Module
    encoders: nn.Module
    shared: nn.Module | None

    def start_stage2(self) -> None:
        """Copy the trained teacher's encoders into the student and freeze the teacher."""
        self.encoders.load_state_dict(self.teacher.encoders.state_dict())
        if self.shared is not None:
            self.shared.load_state_dict(self.teacher.shared.state_dict())
        self.teacher.requires_grad_(False)
        self.teacher.eval()

    def student_parameters(self) -> list[nn.Parameter]:
        """Every parameter but the teacher's: what stage 2 trains."""
        teacher = {id(p) for p in self.teacher.parameters()}
        return [p for p in self.parameters() if id(p) not in teacher]


class ImaginationNetwork(TeacherStudentNetwork):
    """Stage-1 teacher plus the stage-2 student of MMIN / IF-MMIN.

    ``invariant=True`` (IF-MMIN): the teacher is an
    :class:`InvariantEncoderNetwork`, the student has its own copy of the
    specific encoders and of the shared encoder ``S``, and the cascade is
    guided by the invariant features. ``invariant=False`` (MMIN): the teacher
    is a :class:`~skmmer.fusion._network.MaskedFusionNetwork` with
    ``fusion="concat"`` (MMIN's utterance-fusion baseline), the cascade is
    the residual one and a backward cascade maps the imagined vector back to
    the zero-filled input (the cycle loss).

    The student's guide for a modality that is not kept is the mean of the
    invariant features of the kept ones: the features are trained to be
    modality-invariant, so any observed modality estimates the missing one's
    (the original code uses the constant ``S(E(0))`` there).
    """

    def __init__(
        self,
        sizes: Sequence[int],
        n_classes: int,
        *,
        invariant: bool,
        hidden_dim: int,
        embed_dim: int,
        latent_dim: int,
        n_blocks: int,
        dropout: float,
    ):
        super().__init__()
        self.invariant = bool(invariant)
        self.n_modalities = len(sizes)
        self.embed_dim = int(embed_dim)
        if self.invariant:
            self.teacher = InvariantEncoderNetwork(
                sizes, n_classes, hidden_dim=hidden_dim, embed_dim=embed_dim, dropout=dropout
            )
        else:
            self.teacher = MaskedFusionNetwork(
                sizes, n_classes, hidden_dim=hidden_dim, embed_dim=embed_dim,
                fusion="concat", dropout=dropout,
            )
        self.encoders = ModalityEncoders(sizes, hidden_dim, embed_dim, dropout)
        self.shared = shared_encoder(embed_dim) if self.invariant else None
        dim = self.n_modalities * self.embed_dim
        cascade = dict(n_blocks=n_blocks, hidden_dim=hidden_dim, latent_dim=latent_dim)
        self.cascade = ResidualAutoencoder(dim, guided=self.invariant, **cascade)
        self.backward_cascade = None if self.invariant else ResidualAutoencoder(dim, guided=False, **cascade)
        self.joint_dim = self.cascade.latent_dim
        self.classifier = mlp(self.joint_dim, [hidden_dim], n_classes, dropout=dropout)

    # -- teacher ---------------------------------------------------------- #
    def teacher_targets(self, x: torch.Tensor, observed: torch.Tensor) -> dict[str, torch.Tensor]:
        """The teacher's embeddings of the rows as observed: ``embed`` and, for IF-MMIN, ``invariant``."""
        specific = self.teacher.encoders(x, observed)
        targets = {"target_embed": specific}
        if self.invariant:
            targets["target_invariant"] = self.teacher.invariant(specific, observed)
        return targets

    # -- student ---------------------------------------------------------- #
    def encode(self, x: torch.Tensor, observed: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Student embeddings of every observed modality: specific and invariant (n, M, d)."""
        specific = self.encoders(x, observed)
        if not self.invariant:
            return specific, None
        return specific, self.shared(specific) * observed.unsqueeze(-1).to(specific.dtype)

    def imagine(
        self, specific: torch.Tensor, invariant: torch.Tensor | None, keep: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        """Imagination from already encoded modalities, keeping only ``keep`` (n, M).

        ``keep`` must be a subset of the mask the embeddings were computed
        with, so that several conditions share one encoding pass.
        """
        weights = keep.unsqueeze(-1).to(specific.dtype)
        zero_filled = specific * weights
        guide = None
        out = {"zero_filled": zero_filled}
        if self.invariant:
            kept_invariant = invariant * weights
            mean = masked_mean(kept_invariant, keep).unsqueeze(1)
            guide = torch.where(keep.unsqueeze(-1), kept_invariant, mean)
            out["invariant"] = guide
            guide = guide.flatten(1)
        flat, latents = self.cascade(zero_filled.flatten(1), guide)
        out["imagined"] = flat.view_as(specific)
        out["joint"] = latents
        out["logits"] = self.classifier(latents)
        return out

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        specific, invariant = self.encode(x, keep)
        return self.imagine(specific, invariant, keep)["logits"]
