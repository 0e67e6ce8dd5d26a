"""Parsing and validation of the ``modalities`` parameter.

This module is the one place that turns what a user passes as ``modalities``
into a :class:`ModalityLayout`: an ordered mapping from modality name to the
column indices of its block. Everything else in skmmer works with the layout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral

import numpy as np

__all__ = ["ModalityLayout", "check_no_inf", "resolve_modalities"]


@dataclass(frozen=True)
class ModalityLayout:
    """Column blocks of a multimodal feature matrix.

    Attributes
    ----------
    names : tuple of str
        Modality names, in the order the estimators use them.
    columns : tuple of ndarray of int
        Column indices of each modality's block, one array per name.
    n_features : int
        Total number of columns of ``X``.
    """

    names: tuple[str, ...]
    columns: tuple[np.ndarray, ...]
    n_features: int

    @property
    def n_modalities(self) -> int:
        return len(self.names)

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(len(c) for c in self.columns)

    def as_dict(self) -> dict[str, np.ndarray]:
        """Ordered ``{name: column indices}``, the form of fitted ``modalities_``."""
        return {name: cols.copy() for name, cols in zip(self.names, self.columns)}

    def index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise ValueError(
                f"Unknown modality {name!r}; the modalities are {list(self.names)}."
            ) from None

    def column_owner(self) -> np.ndarray:
        """For each column of X, the index of the modality it belongs to."""
        owner = np.empty(self.n_features, dtype=np.intp)
        for m, cols in enumerate(self.columns):
            owner[cols] = m
        return owner


def check_no_inf(
    X: np.ndarray, layout: ModalityLayout | None = None, feature_names=None
) -> None:
    """Raise a ValueError that names the first columns holding +/-inf (and their modality)."""
    bad = np.flatnonzero(np.isinf(X).any(axis=0))
    if bad.size == 0:
        return
    owner = None if layout is None else layout.column_owner()
    described = []
    for col in bad[:5]:
        label = f"column {col}"
        if feature_names is not None:
            label += f" ({str(feature_names[col])!r})"
        if owner is not None:
            label += f" of modality {layout.names[owner[col]]!r}"
        described.append(label)
    more = f" and {bad.size - 5} more columns" if bad.size > 5 else ""
    raise ValueError(
        f"Input X contains infinity in {', '.join(described)}{more}. Replace inf by a finite "
        "value, or by NaN to mark the value as missing."
    )


def _describe_columns(columns: np.ndarray, feature_names: np.ndarray | None, limit: int = 10) -> str:
    labels = [str(feature_names[c]) if feature_names is not None else str(c) for c in columns]
    shown = ", ".join(labels[:limit])
    if len(labels) > limit:
        shown += f", ... ({len(labels)} in all)"
    return f"[{shown}]"


def _sizes_to_columns(sizes: Sequence[int], names: Sequence[str], n_features: int) -> list[np.ndarray]:
    for name, size in zip(names, sizes):
        if not isinstance(size, Integral) or isinstance(size, bool) or size < 1:
            raise ValueError(
                f"modalities: the size of block {name!r} must be a positive integer, got "
                f"{size.item() if isinstance(size, np.generic) else size!r}."
            )
    total = int(sum(sizes))
    if total != n_features:
        raise ValueError(
            f"modalities: the block sizes {list(map(int, sizes))} add up to {total} columns but X "
            f"has {n_features}. Give one size per modality, in column order, covering every column."
        )
    bounds = np.cumsum([0, *sizes])
    return [np.arange(bounds[i], bounds[i + 1]) for i in range(len(sizes))]


def _check_slice_inside(name: str, spec: slice, n_features: int) -> slice:
    """``spec`` unchanged if its bounds lie inside X; an error like a list's otherwise.

    Python cuts a slice short at the end of a sequence, so ``slice(10, 20)``
    of 15 columns would silently make a 5-column block of what the user
    meant as 10 columns.
    """
    outside = [
        bound for bound in (spec.start, spec.stop)
        if isinstance(bound, Integral) and not -n_features <= bound <= n_features
    ]
    if outside:
        raise ValueError(
            f"modalities: block {name!r} is the slice {spec.start}:{spec.stop}, which reaches "
            f"outside 0..{n_features - 1} (X has {n_features} columns, so a slice bound must "
            f"lie in -{n_features}..{n_features}). A slice past the last column is an error "
            "rather than cut short: give the block's real columns."
        )
    return spec


def _spec_to_columns(
    name: str, spec, n_features: int, feature_names: np.ndarray | None
) -> np.ndarray:
    """Column indices of one block given as indices, a slice, or column names."""
    if isinstance(spec, slice):
        cols = np.arange(n_features)[_check_slice_inside(name, spec, n_features)]
    elif isinstance(spec, str):  # one column name, not a sequence of one-letter names
        return _spec_to_columns(name, [spec], n_features, feature_names)
    else:
        values = np.asarray(list(spec) if not isinstance(spec, np.ndarray) else spec)
        if values.size == 0:
            cols = np.array([], dtype=np.intp)
        elif values.dtype.kind in "iu":
            cols = values.astype(np.intp).ravel()
            bad = cols[(cols < 0) | (cols >= n_features)]
            if bad.size:
                raise ValueError(
                    f"modalities: block {name!r} names column indices {bad.tolist()} outside "
                    f"0..{n_features - 1} (X has {n_features} columns)."
                )
        elif values.dtype.kind in "UO":
            if feature_names is None:
                raise ValueError(
                    f"modalities: block {name!r} is given by column names, which needs X to be a "
                    "pandas DataFrame with those columns, all of its column labels strings "
                    "(scikit-learn keeps a DataFrame's column names only then); give column "
                    "positions otherwise. In a "
                    "Pipeline, scikit-learn steps in front pass arrays on unless the pipeline is "
                    "told otherwise: pipeline.set_output(transform=\"pandas\")."
                )
            position = {str(c): i for i, c in enumerate(feature_names)}
            missing = [str(v) for v in values.ravel() if str(v) not in position]
            if missing:
                raise ValueError(
                    f"modalities: block {name!r} names columns {missing[:10]} that are not in X."
                )
            cols = np.array([position[str(v)] for v in values.ravel()], dtype=np.intp)
        else:
            raise ValueError(
                f"modalities: block {name!r} must be a size, a list of column indices, a slice "
                f"or a list of column names; got {spec!r}."
            )
    if cols.size == 0:
        raise ValueError(f"modalities: block {name!r} has no columns.")
    if len(np.unique(cols)) != len(cols):
        raise ValueError(f"modalities: block {name!r} lists a column more than once.")
    return cols


def resolve_modalities(
    modalities, n_features: int, feature_names: np.ndarray | None = None
) -> ModalityLayout:
    """Turn a ``modalities`` parameter into a validated :class:`ModalityLayout`.

    Parameters
    ----------
    modalities : None, sequence of int, or dict
        ``None``: all columns form one block named ``"all"``. A sequence of
        block sizes in column order: blocks named ``"m0"``, ``"m1"``, ...
        A dict ``name -> size`` (blocks in column order), or a dict
        ``name -> column indices | slice | column names`` (names need a
        DataFrame).
    n_features : int
        Number of columns of ``X``.
    feature_names : ndarray of str, default=None
        Column names of ``X`` when it is a DataFrame.

    Returns
    -------
    ModalityLayout

    Raises
    ------
    ValueError
        If blocks overlap, leave columns uncovered, fall outside ``X`` or are
        malformed. The message names the blocks and columns concerned.
    """
    if modalities is None:
        return ModalityLayout(("all",), (np.arange(n_features),), n_features)

    if isinstance(modalities, Mapping):
        names = [str(k) for k in modalities.keys()]
        if len(set(names)) != len(names):
            raise ValueError("modalities: two blocks have the same name once converted to str.")
        specs = list(modalities.values())
        if not specs:
            raise ValueError("modalities: the dict is empty; give at least one block.")
        if all(isinstance(s, Integral) and not isinstance(s, bool) for s in specs):
            columns = _sizes_to_columns(specs, names, n_features)
        elif any(isinstance(s, Integral) for s in specs):
            raise ValueError(
                "modalities: mix of block sizes and column lists; give either a size for every "
                "block or columns for every block."
            )
        else:
            columns = [
                _spec_to_columns(name, spec, n_features, feature_names)
                for name, spec in zip(names, specs)
            ]
    elif isinstance(modalities, (Sequence, np.ndarray)) and not isinstance(modalities, str):
        sizes = list(modalities)
        if not sizes:
            raise ValueError("modalities: the list is empty; give at least one block size.")
        names = [f"m{i}" for i in range(len(sizes))]
        columns = _sizes_to_columns(sizes, names, n_features)
    else:
        raise ValueError(
            "modalities must be None, a list of block sizes, or a dict name -> size / columns; "
            f"got {type(modalities).__name__}."
        )

    owner = np.full(n_features, -1, dtype=np.intp)
    for m, cols in enumerate(columns):
        clash = cols[owner[cols] >= 0]
        if clash.size:
            other = names[owner[clash[0]]]
            raise ValueError(
                f"modalities: blocks {other!r} and {names[m]!r} overlap on columns "
                f"{_describe_columns(clash, feature_names)}; every column must belong to one block."
            )
        owner[cols] = m
    uncovered = np.flatnonzero(owner < 0)
    if uncovered.size:
        raise ValueError(
            f"modalities: columns {_describe_columns(uncovered, feature_names)} belong to no "
            "block; add them to a modality or drop them from X."
        )
    return ModalityLayout(tuple(names), tuple(np.asarray(c, dtype=np.intp) for c in columns), n_features)
