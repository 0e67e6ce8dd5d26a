"""Fit every method of a study with several seeds and report the spread over seeds.

On a fixed split (CMU-MOSI) a study cell is one fit, and its fold standard
deviation is undefined; refitting with other seeds on the same split, labels
and masks shows how much of a gap between two methods is training noise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pandas as pd
from sklearn.base import clone

from skmmer.model_selection import summarize

_SEEDED = re.compile(r"^(?P<method>.*) \[seed (?P<seed>\d+)\]$")
_CELL = ["method", "dataset", "protocol", "train_setting", "setting", "metric"]


def reseeded(estimator, seed: int):
    """A clone of ``estimator`` with every ``random_state`` (nested ones too) set to ``seed``."""
    estimator = clone(estimator)
    keys = [k for k in estimator.get_params() if k == "random_state" or k.endswith("__random_state")]
    return estimator.set_params(**dict.fromkeys(keys, seed))


def with_seeds(
    methods: Mapping[str, object], seeds: Sequence[int], *, name_seeds: bool | None = None
) -> dict[str, object]:
    """``{"name [seed s]": estimator seeded with s}`` for every method and seed.

    ``name_seeds=None`` suffixes the names only when there are several seeds;
    ``True`` always does (rows of a later single-seed run then merge with
    those of a multi-seed one).
    """
    if name_seeds is None:
        name_seeds = len(seeds) > 1
    if not name_seeds:
        if len(seeds) != 1:
            raise ValueError(f"{len(seeds)} seeds need seed-suffixed names (name_seeds=True).")
        return {name: reseeded(est, seeds[0]) for name, est in methods.items()}
    return {f"{name} [seed {s}]": reseeded(est, s) for name, est in methods.items() for s in seeds}


def without_seed_suffix(results: pd.DataFrame) -> pd.DataFrame:
    """``results`` with ``"name [seed s]"`` methods renamed ``"name"`` and a ``seed`` column.

    Results without seed-suffixed methods come back unchanged; a mix of the
    two is an error (an unseeded row has no seed to be averaged under).
    """
    parts = results["method"].str.extract(_SEEDED)
    unseeded = parts["seed"].isna()
    if unseeded.all():
        return results
    if unseeded.any():
        names = sorted(results.loc[unseeded, "method"].unique())
        raise ValueError(
            f"Results mix seed-suffixed methods with unseeded ones ({names}); "
            "run every method with the same --seeds."
        )
    return results.assign(method=parts["method"], seed=parts["seed"].astype(int))


def summarize_over_seeds(results: pd.DataFrame) -> pd.DataFrame:
    """:func:`~skmmer.model_selection.summarize`, with ``std`` taken over seeds when there are several.

    Each cell is first averaged over folds per seed; ``mean`` is the mean of
    those per-seed values and ``std`` their standard deviation over seeds
    (the fold spread is left out: on a fixed split there is none). Results
    without seed-suffixed method names are summarized over folds as usual.
    """
    results = without_seed_suffix(results)
    if "seed" not in results:
        return summarize(results)
    keys = [k for k in _CELL if k in results.columns]
    per_seed = summarize(results, by=[*keys, "seed"])
    grouped = per_seed.groupby(keys, sort=False)
    # A seed with a failed fold makes the cell NaN (as summarize does for a fold), not a
    # mean over the other seeds.
    out = grouped["mean"].agg(
        mean=lambda v: v.mean(skipna=False), std=lambda v: v.std(skipna=False)
    ).reset_index()
    out["n_folds"] = grouped["n_folds"].first().to_numpy()
    out["n_failed"] = grouped["n_failed"].sum().to_numpy()
    out["n_seeds"] = grouped["seed"].nunique().to_numpy()
    out["fit_time"] = grouped["fit_time"].mean().to_numpy()
    return out
