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


@contextlib.contextmanager
def seeded(seed: int, device: torch.device) -> Iterator[None]:
    """Seed torch's default generators inside the block and restore them after.

    Weight initialisation and dropout draw from torch's default generators;
    forking them keeps ``fit`` repeatable without changing the caller's
    random state. Those generators are shared by every thread, so the block
    holds a process-wide lock: seeded fits in threads (joblib's "threading"
    backend) run one after the other and give the sequential numbers, while
    processes (loky, dask workers) still run in parallel.
    """
    devices = [device.index if device.index is not None else torch.cuda.current_device()] if (
        device.type == "cuda"
    ) else []
    with _DEFAULT_GENERATORS_LOCK, torch.random.fork_rng(devices=devices):
        torch.manual_seed(int(seed))
        yield
