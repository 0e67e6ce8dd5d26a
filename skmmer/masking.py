"""Missing modalities: the observed-modality matrix and missing-pattern simulation.

The single source of truth for mask semantics in skmmer:

* a modality is **missing** in a row when **all** the columns of its block are
  NaN; NaN in only some columns of a block is feature-level missingness and the
  modality counts as observed;
* simulated missingness never removes the last observed modality of a row.

The samplers are written once, in torch, so that the estimators draw training
masks on their device inside the batch loop; the public numpy functions below
call the same code on the CPU.

Examples
--------
>>> import numpy as np
>>> from skmmer.masking import observed_modalities, simulate_missing
>>> X = np.arange(12, dtype=float).reshape(3, 4)
>>> X[0, :2] = np.nan        # block "a" missing in row 0
>>> X[1, 2] = np.nan         # one feature missing: block "b" still observed
>>> observed_modalities(X, {"a": 2, "b": 2})
array([[False,  True],
       [ True,  True],
       [ True,  True]])
>>> X_sim = simulate_missing(X, {"a": 2, "b": 2}, rate=0.25, random_state=0)
>>> observed_modalities(X_sim, {"a": 2, "b": 2}).any(axis=1).all()
np.True_
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from math import comb
from numbers import Real
from typing import Literal

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from skmmer._layout import ModalityLayout, check_no_inf, resolve_modalities
from skmmer._random import make_generator, seed_from_random_state

__all__ = [
    "ModalityDropout",
    "apply_condition",
    "apply_modality_mask",
    "hide_block",
    "hide_entries",
    "max_missing_rate",
    "missing_conditions",
    "observed_modalities",
    "sample_modality_mask",
    "simulate_missing",
]

Scheme = Literal["rate", "subsets", "balanced_subsets"]
#: The schemes that give every complete row a random subset of its modalities.
SUBSET_SCHEMES = ("subsets", "balanced_subsets")
#: ``_parameter_constraints`` entry of an estimator's ``modality_dropout``.
MODALITY_DROPOUT_CONSTRAINT = [Interval(Real, 0, 1, closed="left"), StrOptions(set(SUBSET_SCHEMES))]


# --------------------------------------------------------------------------- #
# Observed matrix
# --------------------------------------------------------------------------- #
def _float_array_and_names(X) -> tuple[np.ndarray, np.ndarray | None]:
    """X as a 2-D float64 array (pandas' NA read as NaN, as the estimators do), its column names."""
    names = None
    if hasattr(X, "columns") and hasattr(X, "iloc"):
        names = np.asarray(X.columns, dtype=object).astype(str)
        array = X.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        array = np.asarray(X, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"Expected a 2-D array of shape (n_samples, n_features), got {array.ndim}-D.")
    return array, names


def _checked_input(X, modalities) -> tuple[np.ndarray, ModalityLayout]:
    """Float array and layout of ``X``; inf is an error here as in every estimator."""
    array, names = _float_array_and_names(X)
    layout = _layout_of((array.shape[1], names), modalities)
    check_no_inf(array, layout, names)
    return array, layout


def _layout_of(X_shape_names: tuple[int, np.ndarray | None], modalities) -> ModalityLayout:
    if isinstance(modalities, ModalityLayout):
        return modalities
    n_features, names = X_shape_names
    return resolve_modalities(modalities, n_features, names)


def observed_matrix_from_layout(X: np.ndarray, layout: ModalityLayout) -> np.ndarray:
    """Observed-modality matrix of a float array for an already resolved layout."""
    isnan = np.isnan(X)
    observed = np.empty((X.shape[0], layout.n_modalities), dtype=bool)
    for m, cols in enumerate(layout.columns):
        observed[:, m] = ~isnan[:, cols].all(axis=1)
    return observed


def incomplete_matrix_from_layout(X: np.ndarray, layout: ModalityLayout) -> np.ndarray:
    """``(n_samples, n_modalities)``: True where a block has at least one NaN (missing or partly so)."""
    isnan = np.isnan(X)
    return np.column_stack([isnan[:, cols].any(axis=1) for cols in layout.columns])


def observed_modalities(X, modalities=None) -> np.ndarray:
    """Which modalities are observed in each row.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
        Features; a block whose columns are all NaN in a row is missing there.
    modalities : None, list of int or dict, default=None
        Column blocks, in any form the estimators accept (see
        :func:`skmmer._layout.resolve_modalities`); ``None`` is one block.

    Returns
    -------
    observed : ndarray of bool, shape (n_samples, n_modalities)
        ``observed[i, m]`` is False exactly when every column of block ``m``
        is NaN in row ``i``.
    """
    array, layout = _checked_input(X, modalities)
    return observed_matrix_from_layout(array, layout)


# --------------------------------------------------------------------------- #
# Samplers (torch; used on the device by the estimators)
# --------------------------------------------------------------------------- #
def max_missing_rate(n_modalities: int) -> float:
    """Largest missing rate compatible with keeping one modality per row: (M - 1) / M."""
    return (n_modalities - 1) / n_modalities


def _truncated_binomial_pmf(p: float, n: int) -> np.ndarray:
    """P(k) for k = 0..n-1 of Binomial(n, p) conditioned on k < n."""
    if n == 0:
        return np.array([1.0])
    if p >= 1.0:
        pmf = np.zeros(n)
        pmf[-1] = 1.0
        return pmf
    pmf = np.array([comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n)])
    return pmf / pmf.sum()


def _drop_probability_for_rate(rate: float, n_modalities: int) -> float:
    """Per-entry drop probability p whose truncated binomial has mean ``rate * M``.

    Dropping each modality independently with probability p and redrawing
    rows that lost everything is the same as drawing the number of dropped
    modalities from Binomial(M, p) conditioned on k < M; its mean grows
    monotonically from 0 to M - 1 with p, so bisection finds p.
    """
    target = rate * n_modalities
    if target <= 0:
        return 0.0
    if rate >= max_missing_rate(n_modalities) - 1e-12:
        return 1.0
    lo, hi = 0.0, 1.0
    ks = np.arange(n_modalities)
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        mean = float(ks @ _truncated_binomial_pmf(mid, n_modalities))
        lo, hi = (mid, hi) if mean < target else (lo, mid)
    return 0.5 * (lo + hi)


def _check_rate(rate: float, n_modalities: int, name: str = "rate", hint: str = "") -> None:
    """Refuse a missing rate that no draw keeping one modality per row can reach.

    ``name`` is the parameter as the caller knows it (an estimator's
    ``modality_dropout``); ``hint`` is appended to the message.
    """
    top = max_missing_rate(n_modalities)
    if n_modalities == 1 and rate > 0:
        raise ValueError(
            f"{name}={rate!r} needs at least two modalities: with one, every row keeps it, so the "
            f"only reachable missing rate is 0.{hint}"
        )
    if not 0.0 <= rate <= top + 1e-12:
        raise ValueError(
            f"{name}={rate!r} is not reachable with {n_modalities} modalities while keeping at least "
            f"one per row: the missing rate must lie in [0, {top:.4g}] ((M - 1) / M).{hint}"
        )


class ModalityDropout:
    """Draws which modalities to keep per row, on the device, without host copies.

    Parameters
    ----------
    n_modalities : int
        Number of modalities M.
    scheme : {"rate", "subsets", "balanced_subsets"}
        ``"rate"`` (IMDer's protocol, per row rather than per batch): every
        observed modality of a row is dropped independently with the
        probability that makes the expected fraction of dropped entries of a
        complete row equal to ``rate``, conditioned on keeping at least one.
        ``"subsets"`` (MMIN's protocol): a complete row keeps a uniformly
        random non-empty proper subset of its modalities (for M = 3, one of
        the six patterns); a row that already misses a modality keeps its
        real pattern.
        ``"balanced_subsets"``: like ``"subsets"``, but the number of kept
        modalities is drawn uniformly from 1 .. M - 1 first, then which ones.
        For M = 3 the two schemes are the same distribution; for more
        modalities ``"subsets"`` mostly keeps about half of them (with M = 6
        only 6 of its 62 patterns keep a single modality), while
        ``"balanced_subsets"`` trains as often on one modality as on all
        but one.
    rate : float, default=0.0
        Target missing rate for ``scheme="rate"``, in ``[0, (M - 1) / M]``.
    device : torch.device or str, default="cpu"
        Where the masks are drawn.
    complete_rows_only : bool, default=False
        With ``scheme="rate"``, drop modalities from complete rows only and
        leave a row that already misses one as it is (the subset schemes
        always do), for methods whose simulated patterns need the full row
        as their target.
    """

    def __init__(
        self, n_modalities: int, scheme: Scheme = "rate", rate: float = 0.0, device="cpu",
        complete_rows_only: bool = False,
    ):
        if scheme not in ("rate", *SUBSET_SCHEMES):
            raise ValueError(f"scheme must be one of {('rate', *SUBSET_SCHEMES)}; got {scheme!r}.")
        self.n_modalities = int(n_modalities)
        self.scheme = scheme
        self.rate = float(rate)
        self.device = torch.device(device)
        self.complete_rows_only = bool(complete_rows_only)
        if scheme == "rate":
            _check_rate(self.rate, self.n_modalities)
            p = _drop_probability_for_rate(self.rate, self.n_modalities)
            table = np.zeros((self.n_modalities + 1, max(self.n_modalities, 1)))
            table[0, 0] = 1.0
            for n_observed in range(1, self.n_modalities + 1):
                table[n_observed, :n_observed] = _truncated_binomial_pmf(p, n_observed)
            self._pmf_by_observed = torch.as_tensor(table, dtype=torch.float32, device=self.device)
        elif scheme == "subsets":
            if self.n_modalities > 62:
                raise ValueError("scheme='subsets' supports at most 62 modalities.")
            self._bit_shifts = torch.arange(self.n_modalities, device=self.device)

    @classmethod
    def from_setting(
        cls, setting, n_modalities: int, device="cpu", *, complete_rows_only: bool = False
    ) -> ModalityDropout | None:
        """The sampler for an estimator's ``modality_dropout`` parameter.

        A float is a missing rate (``scheme="rate"``; 0 means no dropout and
        gives None), ``"subsets"`` is MMIN's scheme and ``"balanced_subsets"``
        its variant with uniformly drawn subset sizes.
        """
        if isinstance(setting, str):
            if setting not in SUBSET_SCHEMES:
                raise ValueError(f"modality_dropout must be a rate or one of {SUBSET_SCHEMES}; got {setting!r}.")
            return cls(n_modalities, scheme=setting, device=device)
        if float(setting) == 0.0:
            return None
        return cls(
            n_modalities, scheme="rate", rate=float(setting), device=device,
            complete_rows_only=complete_rows_only,
        )

    def __call__(self, observed: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Keep mask (bool, same shape as ``observed``), a subset of ``observed``."""
        if self.scheme == "rate":
            return self._draw_rate(observed, generator)
        if self.scheme == "subsets":
            return self._draw_subsets(observed, generator)
        return self._draw_balanced_subsets(observed, generator)

    def _draw_rate(self, observed: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        n = observed.shape[0]
        if self.rate == 0.0 or n == 0:
            return observed.clone()
        pmf = self._pmf_by_observed[observed.sum(dim=1)]
        n_drop = torch.multinomial(pmf, 1, generator=generator).squeeze(1)
        keep = observed & (_random_ranks(observed, generator) >= n_drop.unsqueeze(1))
        if self.complete_rows_only:
            return torch.where(observed.all(dim=1, keepdim=True), keep, observed)
        return keep

    def _draw_subsets(self, observed: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        n, n_modalities = observed.shape
        if n_modalities < 2 or n == 0:
            return observed.clone()
        # Integers 1 .. 2^M - 2 are exactly the non-empty proper subsets, as bit patterns.
        code = torch.randint(
            1, 2**n_modalities - 1, (n,), generator=generator, device=observed.device
        )
        subset = ((code.unsqueeze(1) >> self._bit_shifts) & 1).bool()
        complete = observed.all(dim=1, keepdim=True)
        return torch.where(complete, subset, observed)

    def _draw_balanced_subsets(self, observed: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        n, n_modalities = observed.shape
        if n_modalities < 2 or n == 0:
            return observed.clone()
        n_keep = torch.randint(1, n_modalities, (n, 1), generator=generator, device=observed.device)
        subset = _random_ranks(observed, generator) < n_keep
        complete = observed.all(dim=1, keepdim=True)
        return torch.where(complete, subset, observed)


def _random_ranks(observed: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """A uniformly random order of each row's modalities, observed ones first.

    The modalities ranked below ``k`` are a uniform random ``k``-subset of a
    row's observed ones (for ``k`` up to their number).
    """
    scores = torch.rand(observed.shape, generator=generator, device=observed.device)
    scores = scores.masked_fill(~observed, 2.0)  # unobserved modalities rank last
    return scores.argsort(dim=1).argsort(dim=1)


# --------------------------------------------------------------------------- #
# Public numpy helpers
# --------------------------------------------------------------------------- #
def sample_modality_mask(
    observed, *, scheme: Scheme = "rate", rate: float = 0.3, random_state=None
) -> np.ndarray:
    """Draw a simulated keep mask from an observed-modality matrix.

    Parameters
    ----------
    observed : array-like of bool, shape (n_samples, n_modalities)
        The modalities each row has (see :func:`observed_modalities`).
    scheme : {"rate", "subsets", "balanced_subsets"}, default="rate"
        See :class:`ModalityDropout`.
    rate : float, default=0.3
        Expected fraction of dropped modality entries of a complete row
        (``scheme="rate"`` only), in ``[0, (M - 1) / M]``.
    random_state : int, RandomState instance or None, default=None
        Seed of the draw.

    Returns
    -------
    keep : ndarray of bool, shape (n_samples, n_modalities)
        A subset of ``observed`` that keeps at least one modality in every row
        that had one.
    """
    observed = np.asarray(observed, dtype=bool)
    if observed.ndim != 2:
        raise ValueError("observed must be a 2-D boolean matrix (n_samples, n_modalities).")
    sampler = ModalityDropout(observed.shape[1], scheme=scheme, rate=rate)
    generator = make_generator(seed_from_random_state(random_state))
    return sampler(torch.from_numpy(observed), generator).numpy()


def apply_modality_mask(X, modalities, keep) -> np.ndarray:
    """Set to NaN the blocks that ``keep`` drops.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
    modalities : None, list of int or dict
        Column blocks.
    keep : array-like of bool, shape (n_samples, n_modalities)
        False where a block is to become missing.

    Returns
    -------
    X_masked : ndarray of float64
        A copy of ``X`` (as an array) with the dropped blocks all NaN.
    """
    array, layout = _checked_input(X, modalities)
    keep = np.asarray(keep, dtype=bool)
    if keep.shape != (array.shape[0], layout.n_modalities):
        raise ValueError(
            f"keep has shape {keep.shape}; expected (n_samples, n_modalities) = "
            f"{(array.shape[0], layout.n_modalities)}."
        )
    out = array.copy()
    for m, cols in enumerate(layout.columns):
        out[np.ix_(~keep[:, m], cols)] = np.nan
    return out


def simulate_missing(
    X, modalities=None, *, scheme: Scheme = "rate", rate: float = 0.3, random_state=None
) -> np.ndarray:
    """Remove whole modality blocks at random, keeping at least one per row.

    Blocks already missing stay missing; see :class:`ModalityDropout` for the
    schemes.

    Returns
    -------
    X_missing : ndarray of float64
        A copy of ``X`` with the dropped blocks set to NaN.
    """
    array, layout = _checked_input(X, modalities)
    observed = observed_matrix_from_layout(array, layout)
    keep = sample_modality_mask(observed, scheme=scheme, rate=rate, random_state=random_state)
    return apply_modality_mask(array, layout, keep)


def _names_of(modalities) -> list[str]:
    if isinstance(modalities, ModalityLayout):
        return list(modalities.names)
    if isinstance(modalities, (int, np.integer)) and not isinstance(modalities, bool):
        names = [f"m{i}" for i in range(int(modalities))]
    elif isinstance(modalities, Mapping):
        names = [str(k) for k in modalities]
    elif isinstance(modalities, (Sequence, np.ndarray)) and not isinstance(modalities, (str, bytes)):
        items = list(modalities)
        if all(isinstance(i, (int, np.integer)) for i in items):
            names = [f"m{i}" for i in range(len(items))]
        else:
            names = [str(i) for i in items]
    else:
        raise TypeError(
            "modalities must be a number of modalities, a list of names or block sizes, a dict "
            f"or a fitted estimator's modalities_; got {modalities!r}."
        )
    if not names:
        raise ValueError("modalities: give at least one modality.")
    if len(set(names)) != len(names):
        raise ValueError(f"modalities: the names {names} repeat a name.")
    return names


def missing_conditions(modalities, *, include_full: bool = False) -> list[tuple[str, ...]]:
    """The fixed test conditions: which modalities are kept.

    For up to four modalities, every non-empty proper subset (for three, the
    six MMIN conditions {a}, {v}, {l}, {a, v}, {a, l}, {v, l}). For more, the
    2M conditions "only m" and "all but m" (the full power set grows as 2^M).

    Parameters
    ----------
    modalities : int, list of names, list of sizes, dict or fitted ``modalities_``
        The modalities (an int M names them ``m0``, ``m1``, ...).
    include_full : bool, default=False
        Also list the condition that keeps every modality, first.

    Returns
    -------
    list of tuple of str
        Kept modality names per condition, in modality order.
    """
    names = _names_of(modalities)
    n = len(names)
    if n <= 4:
        conditions = [
            c for size in range(1, n) for c in itertools.combinations(names, size)
        ]
    else:
        conditions = [(name,) for name in names]
        conditions += [tuple(x for x in names if x != name) for name in names]
    if include_full:
        conditions.insert(0, tuple(names))
    return conditions


def apply_condition(X, modalities, keep: Iterable[str] | str) -> np.ndarray:
    """Keep only the named modalities in every row; the other blocks become NaN.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
    modalities : None, list of int or dict
        Column blocks.
    keep : str or iterable of str
        Names of the modalities to keep (as in :func:`missing_conditions`).

    Returns
    -------
    X_condition : ndarray of float64
    """
    array, layout = _checked_input(X, modalities)
    kept = [keep] if isinstance(keep, str) else list(keep)
    mask_row = np.zeros(layout.n_modalities, dtype=bool)
    for name in kept:
        mask_row[layout.index(str(name))] = True
    keep_mask = np.broadcast_to(mask_row, (array.shape[0], layout.n_modalities))
    return apply_modality_mask(array, layout, keep_mask)


# --------------------------------------------------------------------------- #
# Hiding observed values to score an imputer
# --------------------------------------------------------------------------- #
def hide_block(X, modalities, name: str) -> np.ndarray:
    """The observed entries of one block, hidden in every row that can be imputed.

    A row qualifies when it observes modality ``name`` and at least one
    other modality, so that an imputer has something to condition on.
    Masking ``X`` with the result and imputing it gives the error of
    recovering a whole modality from the others, the block scenario of
    :func:`skmmer.metrics.imputation_scorer`.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
    modalities : None, list of int or dict
        Column blocks.
    name : str
        The modality to hide (a name of ``modalities``; ``"m0"``, ``"m1"``...
        for a list of sizes).

    Returns
    -------
    hidden : ndarray of bool, shape (n_samples, n_features)
        True at the entries to hide: observed entries of block ``name`` in
        the qualifying rows. ``np.where(hidden, np.nan, X)`` hides them.

    Examples
    --------
    >>> import numpy as np
    >>> from skmmer.masking import hide_block
    >>> X = np.array([[1.0, 2.0, 3.0], [4.0, np.nan, np.nan], [7.0, np.nan, 9.0]])
    >>> hide_block(X, {"a": 1, "b": 2}, "a")  # row 1 has nothing else to go on
    array([[ True, False, False],
           [False, False, False],
           [ True, False, False]])
    """
    array, layout = _checked_input(X, modalities)
    m = layout.index(str(name))
    observed = observed_matrix_from_layout(array, layout)
    rows = observed[:, m] & np.delete(observed, m, axis=1).any(axis=1)
    hidden = np.zeros(array.shape, dtype=bool)
    hidden[np.ix_(rows, layout.columns[m])] = True
    return hidden & ~np.isnan(array)


def hide_entries(X, rate: float, random_state=None) -> np.ndarray:
    """Each observed entry hidden independently with probability ``rate``.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
    rate : float in [0, 1]
        Probability of hiding an observed entry.
    random_state : int, RandomState instance or None, default=None
        Seed of the draw; a RandomState is advanced, so consecutive calls with
        the same instance give different masks.

    Returns
    -------
    hidden : ndarray of bool, shape (n_samples, n_features)
        True at the observed entries to hide. Unlike :func:`simulate_missing`
        this ignores the blocks: a row may lose all its entries.

    Examples
    --------
    >>> import numpy as np
    >>> from skmmer.masking import hide_entries
    >>> X = np.ones((1000, 4))
    >>> X[:, 0] = np.nan
    >>> hidden = hide_entries(X, 0.3, random_state=0)
    >>> bool(hidden[:, 0].any()), round(float(hidden[:, 1:].mean()), 1)
    (False, 0.3)
    """
    if not 0.0 <= float(rate) <= 1.0:
        raise ValueError(f"rate must be in [0, 1], got {rate!r}.")
    array, names = _float_array_and_names(X)
    check_no_inf(array, feature_names=names)
    draws = check_random_state(random_state).rand(*array.shape)
    return ~np.isnan(array) & (draws < rate)
