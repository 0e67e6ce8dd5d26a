"""Turning ``random_state`` into torch generators, without global seeding."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import numpy as np
import torch
from sklearn.utils import check_random_state

__all__ = ["seed_from_random_state", "make_generator", "seeded"]

#: Seeds drawn from a RandomState stay below 2**31 - 1 (what every backend accepts).
_DRAWN_SEED_LIMIT = 2**31 - 1
#: An int random_state is a seed as numpy reads one: 0 to 2**32 - 1.
_LARGEST_SEED = 2**32 - 1
#: torch's default generators are process-wide: fits in two threads would
#: interleave their draws, so a seeded block runs in one thread at a time.
_DEFAULT_GENERATORS_LOCK = threading.RLock()


def seed_from_random_state(random_state) -> int:
    """An integer seed from an int, a ``RandomState`` or ``None``.

    An int is used as is, so ``random_state=0`` means seed 0 and distinct
    ints give distinct seeds; as in numpy, it must lie in 0 .. 2**32 - 1.
    A ``RandomState`` (or ``None``, the global numpy one) is drawn from.
    """
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        seed = int(random_state)
        if not 0 <= seed <= _LARGEST_SEED:
            raise ValueError(
                f"random_state must be an int between 0 and 2**32 - 1, a RandomState or None; "
                f"got {seed}."
            )
        return seed
    return int(check_random_state(random_state).randint(_DRAWN_SEED_LIMIT))


def make_generator(seed: int, device: torch.device | str = "cpu") -> torch.Generator:
    """A torch generator on ``device`` seeded with ``seed``."""
    generator = torch.Generator(device=device)
    generator.manual_seed(int(seed))
    return generator


def _forked_cuda_indices(device: torch.device) -> list[int]:
    """The CUDA device whose generator ``seeded`` forks: the one in use, none off CUDA."""
    if device.type != "cuda":
        return []
    return [device.index if device.index is not None else torch.cuda.current_device()]


@contextlib.contextmanager
def seeded(seed: int, device: torch.device) -> Iterator[None]:
    """Seed torch's default generators inside the block and restore them after.

    Weight initialisation and dropout draw from torch's default generators;
    forking them keeps ``fit`` repeatable without changing the caller's
    random state. Only the generators that are forked are seeded: the CPU
    one and, when ``device`` is a CUDA device, that device's one
    (``torch.manual_seed`` would also seed every other device's generator
    and leave it changed after the block). On another accelerator (MPS,
    XPU) its generator is seeded but not restored. Those generators are shared by
    every thread, so the block holds a process-wide lock: seeded fits in
    threads (joblib's "threading" backend) run one after the other and give
    the sequential numbers, while processes (loky, dask workers) still run
    in parallel.

    Parameters
    ----------
    seed : int
        Seed of the forked generators inside the block.
    device : torch.device
        The device the block computes on.
    """
    cuda_indices = _forked_cuda_indices(device)
    with _DEFAULT_GENERATORS_LOCK, torch.random.fork_rng(devices=cuda_indices, device_type="cuda"):
        torch.random.default_generator.manual_seed(int(seed))
        for index in cuda_indices:  # fork_rng has initialised CUDA: its generators exist
            torch.cuda.default_generators[index].manual_seed(int(seed))
        if device.type not in ("cpu", "cuda"):
            # Another accelerator (MPS, XPU...): seeding its module's generator keeps
            # fits repeatable there; it is not forked, so it stays seeded after the block.
            torch.get_device_module(device.type).manual_seed(int(seed))
        yield
